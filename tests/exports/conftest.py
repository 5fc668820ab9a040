"""Fixtures for export and the operators' import page: a site holding one of everything an
export must carry, operators of it and of another site, and a signed-in browser-like client."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from commentsvc.extensions import db
from commentsvc.markup import render_markdown
from commentsvc.models import (
    Account,
    Comment,
    CommentStatus,
    Identity,
    Mention,
    MentionKind,
    MentionType,
    Site,
    Verification,
)
from commentsvc.models.base import utcnow
from commentsvc.services.accounts import create_account
from commentsvc.services.sites import create_site
from commentsvc.services.threads import get_or_create_thread

PASSWORD = "correct horse battery"
ORIGIN = "https://blog.example.org"


def at(day: int, hour: int = 12, micro: int = 0) -> datetime:
    return datetime(2021, 3, day, hour, 30, 15, micro, tzinfo=UTC)


def _comment(thread_id: int, created: datetime, body: str, **fields) -> Comment:
    """A comment as posting leaves it: a deleted one has no author details, a live one an
    avatar (the identicon of its author when none was given)."""
    if fields.get("status") != CommentStatus.DELETED:
        fields.setdefault("author_avatar", f"http://comments.test/avatar/{created:%d%H}.svg")
    comment = Comment(
        thread_id=thread_id,
        created_at=created,
        body_markdown=body,
        body_html=render_markdown(body),
        ip_hash="ab12" * 8,
        **fields,
    )
    db.session.add(comment)
    db.session.flush()
    return comment


def _mention(thread, source: str, created: datetime, **fields) -> Mention:
    mention = Mention(
        site_id=thread.site_id,
        thread_id=thread.id,
        target=thread.url,
        source=source,
        created_at=created,
        updated_at=created,
        is_check_pending=False,
        **fields,
    )
    db.session.add(mention)
    db.session.flush()
    return mention


@pytest.fixture
def full_site(site: Site) -> Site:
    """Two threads (one with no title), a reply chain, every status, an edited comment, an
    account with two identities, guests, mentions of every kind and verification, a claim no
    worker verified (no thread: not exported), and ids out of order with the dates."""
    rita = create_account("rita@example.net", "Rita Reader", None, is_email_verified=True)
    rita.website = "https://rita.example.net/"
    rita.avatar_url = "https://rita.example.net/me.png"
    rita.password_hash = "argon2-secret-hash-never-exported"
    db.session.add_all(
        [
            Identity(account_id=rita.id, provider="twitter", subject="4242"),
            Identity(account_id=rita.id, provider="facebook", subject="fb-77"),
        ]
    )
    post = get_or_create_thread(site, f"{ORIGIN}/2021/spring")
    other = get_or_create_thread(site, f"{ORIGIN}/about")
    db.session.flush()
    post.title = "Spring — a post with “quotes” & <angle brackets>"
    # Created later but inserted first: the export orders by date, not by id.
    late = _comment(
        post.id, at(9), "Late, *inserted first*.", author_name="Lou ]]> Reed", is_pinned=True
    )
    first = _comment(
        post.id,
        at(1, micro=123456),
        "First!\n\n```python\nprint('hi')\n```\n\n[a link](https://example.com/x?a=1&b=2)",
        author_name="Gus Guest",
        author_email="gus@example.net",
        author_website="https://gus.example.net",
        edited_at=at(1, 13),
    )
    reply = _comment(
        post.id,
        at(2),
        "A reply from an account. Ünïcödé ✓",
        parent_id=first.id,
        depth=1,
        account_id=rita.id,
        author_name="Rita Reader",
        author_avatar=rita.avatar_url,
        author_provider="twitter",
    )
    _comment(post.id, at(3), "Reply to the reply", parent_id=reply.id, depth=2, author_name="Gus")
    _comment(post.id, at(4), "Held back", status=CommentStatus.PENDING, author_name="New")
    _comment(post.id, at(5), "Buy pills", status=CommentStatus.SPAM, author_name="Spammer")
    _comment(post.id, at(6), "", status=CommentStatus.DELETED, parent_id=first.id, depth=1)
    _comment(other.id, at(7), "On the about page ]]> with a CDATA end", author_name="Cy\x0bril")
    late.author_email = None
    _mention(
        post,
        "https://elsewhere.example/reply",
        at(8),
        kind=MentionKind.WEBMENTION,
        type=MentionType.REPLY,
        verification=Verification.VERIFIED,
        status=CommentStatus.VISIBLE,
        verified_at=at(8, 13),
        title="A reply elsewhere",
        excerpt="I <b>agree</b> with this post",
        author_name="Elsie Elsewhere",
        author_url="https://elsewhere.example/",
        author_photo="https://elsewhere.example/me.jpg",
        published_at=at(8, 10),
    )
    _mention(
        post,
        "https://pinger.example/post",
        at(8, 14),
        kind=MentionKind.PINGBACK,
        verification=Verification.VERIFIED,
        status=CommentStatus.VISIBLE,
        verified_at=at(8, 15),
        title="Pinger's post",
        excerpt="as seen on the spring post",
    )
    _mention(
        other,
        "https://tb.example/entry",
        at(9, 9),
        kind=MentionKind.TRACKBACK,
        verification=Verification.GONE,
        status=CommentStatus.VISIBLE,
        verified_at=at(9, 10),
        rejection_reason="the source answered 410",
        rejection_code="gone",
    )
    db.session.add(
        Mention(
            site_id=site.id,
            thread_id=None,
            target=f"{ORIGIN}/2021/spring",
            source="https://unchecked.example/",
            kind=MentionKind.WEBMENTION,
            created_at=utcnow(),
        )
    )
    db.session.commit()
    return site


# ---------------------------------------------------------------- operators and their client


@pytest.fixture
def operator(site: Site) -> Account:
    account = create_account("ops@blog.example.org", "Olga Ops", PASSWORD, operator_of=["blog"])
    db.session.commit()
    return account


@pytest.fixture
def other_operator(app: Flask) -> Account:
    create_site("shop", ["https://shop.example.org"])
    account = create_account("ops@shop.example.org", "Sam Shop", PASSWORD, operator_of=["shop"])
    db.session.commit()
    return account


@pytest.fixture
def sign_in(client: FlaskClient):
    """``sign_in(account)``: the client carries the session the sign-in page leaves."""

    def signed_in(account: Account) -> FlaskClient:
        with client.session_transaction() as session:
            session["account_id"] = account.id
            session["generation"] = account.token_generation
        g.pop("account", None)  # requests share the test's app context: forget the last one
        return client

    return signed_in


@pytest.fixture
def operator_client(sign_in, operator: Account) -> FlaskClient:
    return sign_in(operator)


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def csrf_token():
    """``csrf_token(client)``: the token the import page embeds for this client's session."""

    def token(client: FlaskClient, site_name: str = "blog") -> str:
        page = client.get(f"/moderate/sites/{site_name}/transfer").get_data(as_text=True)
        match = _CSRF.search(page)
        assert match, page[:500]
        return match.group(1)

    return token
