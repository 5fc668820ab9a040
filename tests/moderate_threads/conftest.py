"""Fixtures for moving responses and merging threads in /moderate: operators of two sites,
comments and mentions on pages of the site "blog", and form posts carrying the CSRF token."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from commentsvc.extensions import db
from commentsvc.markup import render_markdown
from commentsvc.models import (
    Account,
    Comment,
    CommentStatus,
    Mention,
    MentionKind,
    Site,
    Thread,
    Verification,
)
from commentsvc.services.threads import get_or_create_thread, touch_thread
from tests.operators import sign_in

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def operator_client(client: FlaskClient, operator: Account) -> FlaskClient:
    return sign_in(client, operator)


@pytest.fixture
def other_operator_client(app: Flask, other_operator: Account) -> FlaskClient:
    return sign_in(app.test_client(), other_operator)


@pytest.fixture
def post_form() -> Callable[..., Any]:
    """``post_form(client, path, data)``: a form POST with the session's CSRF token, as the
    browser sends it from a moderation page."""

    def send(client: FlaskClient, path: str, data: dict[str, Any] | None = None):
        page = client.get("/moderate/").get_data(as_text=True)
        match = _CSRF.search(page)
        assert match, page[:500]
        g.pop("account", None)
        return client.post(path, data={"csrf_token": match.group(1), **(data or {})})

    return send


@pytest.fixture
def thread_of(site: Site) -> Callable[..., Thread]:
    """``thread_of(url, title=None, site=site)``: the thread of a page, created if new."""

    def make(url: str, title: str | None = None, *, on: Site = site) -> Thread:
        thread = get_or_create_thread(on, url)
        db.session.flush()
        if title:
            thread.title = title
        db.session.commit()
        return thread

    return make


@pytest.fixture
def add_comment(thread_of: Callable[..., Thread]) -> Callable[..., Comment]:
    """``add_comment(url, body, parent=None, status=visible)``."""

    def add(
        url: str,
        body: str = "A comment",
        *,
        parent: Comment | None = None,
        status: CommentStatus = CommentStatus.VISIBLE,
    ) -> Comment:
        thread = thread_of(url)
        comment = Comment(
            thread_id=thread.id,
            parent_id=parent.id if parent else None,
            depth=parent.depth + 1 if parent else 0,
            author_name="Gus Guest",
            author_email="gus@example.net",
            body_markdown=body,
            body_html=render_markdown(body),
            status=status,
            ip_hash="ab12" * 8,
        )
        db.session.add(comment)
        touch_thread(thread)
        db.session.commit()
        return comment

    return add


@pytest.fixture
def add_mention(thread_of: Callable[..., Thread]) -> Callable[..., Mention]:
    """``add_mention(url, source, status=pending)``: a verified pingback of the page."""

    def add(
        url: str,
        source: str = "https://elsewhere.example/reply",
        *,
        status: CommentStatus = CommentStatus.PENDING,
    ) -> Mention:
        thread = thread_of(url)
        mention = Mention(
            thread_id=thread.id,
            site_id=thread.site_id,
            source=source,
            target=url,
            kind=MentionKind.PINGBACK,
            verification=Verification.VERIFIED,
            is_check_pending=False,
            status=status,
            title="A reply elsewhere",
            excerpt="[…] I agree with this post […]",
            author_name="Elsie Elsewhere",
        )
        db.session.add(mention)
        touch_thread(thread)
        db.session.commit()
        return mention

    return add
