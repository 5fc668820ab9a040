"""Fixtures for votes, order and pins: readers (guests' browsers, accounts), operators of two
sites, and a thread to vote on."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from commentsvc.extensions import db
from commentsvc.models import Account, Site
from commentsvc.services.accounts import create_account
from tests.operators import PASSWORD

PAGE = "https://blog.example.org/posts/hello"


@pytest.fixture
def reader_account(site: Site) -> Account:
    account = create_account("rita@example.net", "Rita Reader", PASSWORD)
    db.session.commit()
    return account


class Browser:
    """One reader's browser: its own cookies, address and voter token."""

    def __init__(self, app: Flask, address: str) -> None:
        self.client: FlaskClient = app.test_client()
        self.address = address
        self.voter = secrets.token_urlsafe(16)  # 22 characters, as the widget makes them

    def _environ(self) -> dict[str, str]:
        return {"REMOTE_ADDR": self.address}

    def sign_in(self, account: Account) -> Browser:
        with self.client.session_transaction() as session:
            session["account_id"] = account.id
            session["generation"] = account.token_generation
        return self

    def post(self, body: str = "Hello", **fields: Any):
        return self.client.post(
            "/api/sites/blog/comments",
            json={"url": PAGE, "body": body, "name": "Gus", **fields},
            headers={"X-Commentsvc-Voter": self.voter},
            environ_base=self._environ(),
        )

    def vote(self, comment_id: int, value: Any = 1, *, voter: str | None = "", **kwargs: Any):
        headers = kwargs.pop("headers", {})
        token = self.voter if voter == "" else voter
        if token is not None:
            headers["X-Commentsvc-Voter"] = token
        if "data" not in kwargs:
            kwargs.setdefault("json", {"value": value})
        return self.client.put(
            f"/api/comments/{comment_id}/vote",
            headers=headers,
            environ_base=self._environ(),
            **kwargs,
        )

    def pin(self, comment_id: int, pinned: Any = True):
        return self.client.put(
            f"/api/comments/{comment_id}/pin", json={"pinned": pinned}, environ_base=self._environ()
        )

    def thread(self, *, if_none_match: str | None = None, **params: Any):
        return self.client.get(
            "/api/sites/blog/thread",
            query_string={"url": PAGE, **params},
            headers={"If-None-Match": if_none_match} if if_none_match else {},
            environ_base=self._environ(),
        )


@pytest.fixture
def browser_at(app: Flask, site: Site) -> Callable[[str], Browser]:
    """``browser_at("10.0.0.2")``: a new browser at that address."""
    return lambda address: Browser(app, address)


@pytest.fixture
def author(browser_at) -> Browser:
    return browser_at("10.0.0.1")


@pytest.fixture
def reader(browser_at) -> Browser:
    return browser_at("10.0.0.2")


@pytest.fixture
def posted(author: Browser) -> Callable[..., int]:
    """``posted("text", parent=id)``: a visible guest comment by ``author``; its id."""

    def send(body: str = "Hello", **fields: Any) -> int:
        response = author.post(body, **fields)
        assert response.status_code == 201, response.json
        return response.json["id"]

    return send
