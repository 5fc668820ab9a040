"""Shared by the mention tests: the page a mention targets and how a thread shows it."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask.testing import FlaskClient

from commentsvc.extensions import db

TARGET = "https://blog.example.org/2026/hello"


def thread_mentions(client: FlaskClient, url: str = TARGET) -> list[dict]:
    response = client.get("/api/sites/blog/thread", query_string={"url": url})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["mentions"]


def wait_for(predicate: Callable[[], bool], seconds: float = 30.0) -> None:
    """Poll the database until ``predicate`` holds (a job or a worker process writes it)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()
        db.session.expire_all()
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")
