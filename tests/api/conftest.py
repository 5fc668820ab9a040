"""Helpers for the API tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

PAGE = "https://blog.example.org/posts/hello"


@pytest.fixture
def post(client: FlaskClient, site):
    """``post(body=..., **fields) -> response``: a guest comment on PAGE of site "blog"."""

    def send(body: str = "Hello", **fields: Any):
        payload = {"url": PAGE, "body": body, "name": "Ann", **fields}
        return client.post(f"/api/sites/{site.name}/comments", json=payload)

    return send


def read_thread(client: FlaskClient, url: str = PAGE, **params: Any):
    return client.get("/api/sites/blog/thread", query_string={"url": url, **params})
