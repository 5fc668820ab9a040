"""Shared by the mention tests: the page a mention targets and how a thread shows it."""

from __future__ import annotations

from flask.testing import FlaskClient

TARGET = "https://blog.example.org/2026/hello"


def thread_mentions(client: FlaskClient, url: str = TARGET) -> list[dict]:
    response = client.get("/api/sites/blog/thread", query_string={"url": url})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["mentions"]
