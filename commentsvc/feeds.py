"""Atom feeds of a site's recent comments and of one thread, for readers and for operators."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Site, Thread
from commentsvc.services.sites import get_site
from commentsvc.services.threads import find_thread

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

FEED_LENGTH = 50
ATOM = "application/atom+xml"


def _feed(site: Site, title: str, self_url: str, alternate: str) -> FeedGenerator:
    from feedgen.feed import FeedGenerator  # lxml is big, and few web workers serve feeds

    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(title)
    feed.link(href=self_url, rel="self", type=ATOM)
    feed.link(href=alternate, rel="alternate")
    feed.generator("commentsvc")
    feed.language("en")
    return feed


_XML_INVALID = dict.fromkeys(c for c in range(32) if chr(c) not in "\t\n\r")


def _xml_text(value: str) -> str:
    """Text XML can carry: rows stored before input checks may hold control characters."""
    return value.translate(_XML_INVALID)


def _add_entries(feed: FeedGenerator, rows: list[tuple[Comment, Thread]]) -> None:
    # feedgen prepends entries: add oldest first so the newest comes first in the document.
    for comment, thread in reversed(rows):
        entry = feed.add_entry()
        entry.id(f"{thread.url}#comment-{comment.id}")
        name = _xml_text(comment.author_name or "Anonymous")
        entry.title(_xml_text(f"{name} on {thread.title or thread.url}"))
        entry.author({"name": name})
        entry.link(href=f"{thread.url}#comment-{comment.id}", rel="alternate")
        entry.content(_xml_text(comment.body_html), type="html")
        entry.published(comment.created_at)
        entry.updated(comment.edited_at or comment.created_at)


def _recent(*conditions: sa.ColumnElement[bool]) -> list[tuple[Comment, Thread]]:
    return [
        (comment, thread)
        for comment, thread in db.session.execute(
            sa.select(Comment, Thread)
            .join(Thread, Comment.thread_id == Thread.id)
            .where(Comment.status == CommentStatus.VISIBLE, *conditions)
            .order_by(Comment.created_at.desc(), Comment.id.desc())
            .limit(FEED_LENGTH)
        )
    ]


def _response(feed: FeedGenerator) -> Response:
    response = Response(feed.atom_str(pretty=True), mimetype=ATOM)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def _self_url() -> str:
    public = current_app.config["PUBLIC_URL"]
    return f"{public}{request.full_path.rstrip('?')}" if public else request.url


@bp.get("/<site_name>.atom")
def site_feed(site_name: str) -> Response:
    site = get_site(site_name)
    rows = _recent(Thread.site_id == site.id)
    feed = _feed(site, f"Comments on {site.name}", _self_url(), site.origins[0])
    feed.updated(rows[0][0].created_at if rows else site.created_at)
    _add_entries(feed, rows)
    return _response(feed)


@bp.get("/<site_name>/thread.atom")
def thread_feed(site_name: str) -> Response:
    site = get_site(site_name)
    url = request.args.get("url")
    if not url:
        raise InvalidInput("Give the page with ?url=PAGE-URL.", field="url")
    thread = find_thread(site, url)
    rows = _recent(Comment.thread_id == thread.id) if thread else []
    page = thread.url if thread else url
    feed = _feed(site, f"Comments on {thread.title if thread and thread.title else page}",
                 _self_url(), page)  # fmt: skip
    feed.updated(rows[0][0].created_at if rows else site.created_at)
    _add_entries(feed, rows)
    return _response(feed)
