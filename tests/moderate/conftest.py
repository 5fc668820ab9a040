"""Fixtures for the moderation tests: operators of two sites, a commenter, held items."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
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
    Verification,
)
from commentsvc.services.accounts import create_account
from commentsvc.services.threads import get_or_create_thread
from tests.operators import PASSWORD, sign_in


@pytest.fixture
def commenter(site: Site) -> Account:
    account = create_account("reader@example.net", "Rita Reader", PASSWORD)
    db.session.commit()
    return account


@pytest.fixture
def operator_client(client: FlaskClient, operator: Account) -> FlaskClient:
    return sign_in(client, operator)


def add_comment(
    site: Site,
    body: str = "Hello **there**",
    *,
    status: CommentStatus = CommentStatus.PENDING,
    url: str | None = None,
    name: str = "Gus Guest",
    email: str | None = "gus@example.net",
    held_reason: str | None = "first-time commenter",
    account: Account | None = None,
) -> Comment:
    thread = get_or_create_thread(site, url or f"{site.origins[0]}/post")
    db.session.flush()
    thread.title = "A post"
    comment = Comment(
        thread_id=thread.id,
        account_id=account.id if account else None,
        author_name=name,
        author_email=email,
        body_markdown=body,
        body_html=render_markdown(body),
        status=status,
        held_reason=held_reason if status == CommentStatus.PENDING else None,
        ip_hash="ab12" * 8,
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def add_mention(
    site: Site,
    source: str = "https://elsewhere.example/reply",
    *,
    kind: MentionKind = MentionKind.PINGBACK,
    status: CommentStatus = CommentStatus.PENDING,
    verification: Verification = Verification.VERIFIED,
    url: str | None = None,
) -> Mention:
    target = url or f"{site.origins[0]}/post"
    thread = get_or_create_thread(site, target)
    db.session.flush()
    thread.title = "A post"
    mention = Mention(
        thread_id=thread.id,
        site_id=thread.site_id,
        source=source,
        target=target,
        kind=kind,
        verification=verification,
        status=status,
        title="A reply elsewhere",
        excerpt="I <b>agree</b> with this post",
        author_name="Elsie Elsewhere",
        held_reason="mentions are moderated",
    )
    db.session.add(mention)
    db.session.commit()
    return mention


@pytest.fixture
def comment_factory(site: Site) -> Callable[..., Comment]:
    return lambda *args, **kwargs: add_comment(kwargs.pop("site", site), *args, **kwargs)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token the queue page embeds in its forms for this client's session."""
    html = client.get("/moderate/").get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, html[:500]
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict | None = None, **kwargs):
    """A form POST carrying the session's CSRF token, as a browser would send it."""
    fields = {"csrf_token": csrf_token(client), **(data or {})}
    return client.post(path, data=fields, **kwargs)
