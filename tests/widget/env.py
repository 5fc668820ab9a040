"""The demo set-up for widget tests: the service and the sample blog on two loopback origins.

Browser test modules import these fixtures. They run on SQLite only, the embedded default the
demo uses: the browser exercises the widget, and the API's behaviour on both databases is
covered by tests/api.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from commentsvc.cli.demo import DEMO_SITE, blog_app, ensure_demo_site
from commentsvc.extensions import db
from tests.conftest import base_config

POST = "/posts/hello-world/"


@dataclass
class Demo:
    """The live service and blog of one test, and helpers to act through the API."""

    app: Flask
    service: str
    blog: str

    def page(self, path: str = POST) -> str:
        return self.blog + path

    def post(self, body: str, status: int = 201, path: str = POST, **fields: Any) -> dict:
        """A guest comment through the JSON API, as another reader would post it."""
        payload = {"url": self.page(path), "body": body, "name": "Bob", **fields}
        response = self.app.test_client().post(f"/api/sites/{DEMO_SITE}/comments", json=payload)
        assert response.status_code == status, response.json
        return response.json


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict[str, object]:
    return {**base_config(tmp_path, database_url), "MIN_FILL_IN_SECONDS": 0}


@pytest.fixture(name="demo")
def demo_fixture(app: Flask, serve: Callable) -> Demo:
    service = serve(app)
    app.config["PUBLIC_URL"] = service.url  # avatar links point at the live service
    blog = serve(blog_app(service.url))
    ensure_demo_site([blog.url])
    db.session.commit()
    return Demo(app, service.url, blog.url)


def shadow(page, selector: str, **options: Any):
    """A locator inside the widget (Playwright's CSS engine pierces open shadow roots)."""
    return page.locator(f"#comments {selector}", **options)


def add_mention(demo: Demo, path: str = POST, **fields: Any) -> None:
    """A verified webmention on the page's thread, as the mentions worker would leave it."""
    from commentsvc.models import Mention, MentionKind, MentionType, Verification
    from commentsvc.services.sites import get_site
    from commentsvc.services.threads import get_or_create_thread, touch_thread

    thread = get_or_create_thread(get_site(DEMO_SITE), demo.page(path))
    values = {
        "source": "https://other.example/notes/1",
        "title": "A reply from another blog",
        "excerpt": "I wrote about this post on my own site.",
        "author_name": "Cleo",
        **fields,
    }
    db.session.add(
        Mention(
            thread_id=thread.id,
            site_id=thread.site_id,
            target=demo.page(path),
            kind=MentionKind.WEBMENTION,
            type=MentionType.REPLY,
            verification=Verification.VERIFIED,
            status="visible",
            is_check_pending=False,
            **values,
        )
    )
    db.session.flush()
    touch_thread(thread)
    db.session.commit()


def seed_conversation(demo: Demo) -> None:
    """A threaded conversation deep enough to reach the indentation cap."""
    first = demo.post("Great write-up. The part about **shadow DOM** convinced me.", name="Ann")
    reply = demo.post(
        "Thanks! Which part did you find surprising?", parent=first["id"], name="Author"
    )
    deeper = demo.post(
        "That `:host{all:initial}` keeps *every* inherited style out.",
        parent=reply["id"],
        name="Ann",
    )
    parent = deeper
    for depth, name in enumerate(["Bob", "Ann", "Bob"], start=3):
        parent = demo.post(f"Reply at depth {depth}.", parent=parent["id"], name=name)
    demo.post("A second top-level comment, with a [link](https://example.org/).", name="Dee")
    add_mention(demo)
