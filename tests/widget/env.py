"""The demo set-up for widget tests: the service and the sample blog on two loopback origins.

Browser test modules import these fixtures. They run on SQLite only, the embedded default the
demo uses: the browser exercises the widget, and the API's behaviour on both databases is
covered by tests/api.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
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
        "type": MentionType.REPLY,
        **fields,
    }
    db.session.add(
        Mention(
            thread_id=thread.id,
            site_id=thread.site_id,
            target=demo.page(path),
            kind=MentionKind.WEBMENTION,
            verification=Verification.VERIFIED,
            status="visible",
            is_check_pending=False,
            **values,
        )
    )
    db.session.flush()
    touch_thread(thread)
    db.session.commit()


def add_comments(
    demo: Demo,
    count: int,
    parent_id: int | None = None,
    is_chain: bool = False,
    path: str = POST,
) -> list[int]:
    """``count`` visible comments written straight to the database (a long thread in a second):
    top-level ones, replies to ``parent_id``, or with ``is_chain`` each a reply to the one
    before. Returns their ids in order."""
    from commentsvc.markup import render_markdown
    from commentsvc.models import Comment, CommentStatus
    from commentsvc.models.base import utcnow
    from commentsvc.services.sites import get_site
    from commentsvc.services.threads import get_or_create_thread, touch_thread

    thread = get_or_create_thread(get_site(DEMO_SITE), demo.page(path))
    depth = db.session.get(Comment, parent_id).depth + 1 if parent_id else 0
    start = utcnow() - timedelta(hours=1)
    ids: list[int] = []
    for number in range(count):
        body = f"Comment number {number + 1}" + (f" at depth {depth}" if parent_id else "")
        comment = Comment(
            thread_id=thread.id,
            parent_id=parent_id,
            depth=depth,
            author_name=("Ann", "Bob", "Cleo", "Dee")[number % 4],
            body_markdown=body,
            body_html=render_markdown(body),
            status=CommentStatus.VISIBLE,
            ip_hash="test",
            created_at=start + timedelta(seconds=number),
        )
        db.session.add(comment)
        db.session.flush()
        ids.append(comment.id)
        if is_chain:
            parent_id, depth = comment.id, depth + 1
    touch_thread(thread)
    db.session.commit()
    return ids


def store_photo(url: str, colour: str) -> None:
    """An author photo as the photo job leaves it (fetched, resized, stored as WebP); store it
    before adding the mentions that name it, so the thread shows the served copy."""
    from PIL import Image, ImageDraw

    from commentsvc.services import photos

    image = Image.new("RGB", (96, 96), colour)
    ImageDraw.Draw(image).ellipse((28, 16, 68, 56), fill="#f3d9c4")  # a head on shoulders
    ImageDraw.Draw(image).ellipse((14, 60, 82, 128), fill="#f3d9c4")
    buffer = io.BytesIO()
    image.save(buffer, "WEBP")
    photos.store_photo(photos.want_photo(url), buffer.getvalue(), "image/webp")
    db.session.commit()


def set_title(demo: Demo, title: str, path: str = POST) -> None:
    """The page title the title job would read, set as an operator would."""
    from commentsvc.services import threads
    from commentsvc.services.sites import get_site

    thread = threads.get_or_create_thread(get_site(DEMO_SITE), demo.page(path))
    threads.set_title(thread, title)
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
