"""Fixtures for the feed tests: comments and mentions of the site "blog", made directly in the
database with the dates a test needs (the API and the worker have their own tests)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commentsvc.extensions import db
from commentsvc.markup import render_markdown
from commentsvc.models import (
    Comment,
    CommentStatus,
    Mention,
    MentionKind,
    MentionType,
    Site,
    Verification,
)
from commentsvc.services.threads import get_or_create_thread, touch_thread

PAGE = "https://blog.example.org/posts/hello/"


@pytest.fixture
def page_url() -> str:
    """The page the factories put responses on by default."""
    return PAGE


START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def _thread(site: Site, url: str):
    thread = get_or_create_thread(site, url)
    db.session.flush()
    thread.title = thread.title or "Hello world"
    return thread


@pytest.fixture
def add_comment(site: Site) -> Callable[..., Comment]:
    """``add_comment(body, minutes=0, url=PAGE, **columns)``: a visible comment posted
    ``minutes`` after START."""

    def add(body: str = "A comment", *, minutes: int = 0, url: str = PAGE, **columns: Any):
        thread = _thread(site, url)
        comment = Comment(
            thread_id=thread.id,
            author_name=columns.pop("author_name", "Ann Author"),
            body_markdown=body,
            body_html=render_markdown(body),
            status=columns.pop("status", CommentStatus.VISIBLE),
            ip_hash="cd34" * 8,
            created_at=START + timedelta(minutes=minutes),
            **columns,
        )
        db.session.add(comment)
        touch_thread(thread)
        db.session.commit()
        return comment

    return add


@pytest.fixture
def add_mention(site: Site) -> Callable[..., Mention]:
    """``add_mention(source, minutes=0, url=PAGE, **columns)``: a verified, visible pingback
    received ``minutes`` after START, unless the columns say otherwise."""

    def add(
        source: str = "https://elsewhere.example/a-reply",
        *,
        minutes: int = 0,
        url: str = PAGE,
        **columns: Any,
    ) -> Mention:
        thread = _thread(site, url)
        at = START + timedelta(minutes=minutes)
        fields: dict[str, Any] = {
            "kind": MentionKind.PINGBACK,
            "type": MentionType.MENTION,
            "verification": Verification.VERIFIED,
            "status": CommentStatus.VISIBLE,
            "title": "A reply elsewhere",
            "excerpt": "[…] I agree with the post […]",
            "author_name": "Elsie Elsewhere",
            "author_url": "https://elsewhere.example/",
            "is_check_pending": False,
            **columns,
        }
        mention = Mention(
            thread_id=thread.id,
            site_id=site.id,
            source=source,
            target=thread.url,
            created_at=at,
            updated_at=at,
            verified_at=at,
            **fields,
        )
        db.session.add(mention)
        touch_thread(thread)
        db.session.commit()
        return mention

    return add
