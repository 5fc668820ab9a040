"""Atom feeds of a site's recent responses and of one thread's, for readers and for operators.

Like WordPress's comment feeds, which carry pingbacks, they list visible comments and
verified, visible mentions together by date; every entry links to the item's permalink."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from sqlalchemy.orm import contains_eager

from commentsvc.chars import xml_text
from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import (
    Comment,
    CommentStatus,
    Mention,
    MentionType,
    Site,
    Thread,
    Verification,
)
from commentsvc.permalinks import permalink
from commentsvc.services.sites import get_site
from commentsvc.services.threads import find_thread, page_key

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

FEED_LENGTH = 50
ATOM = "application/atom+xml"


def _feed(site: Site, title: str, self_url: str, alternate: str) -> FeedGenerator:
    from feedgen.feed import FeedGenerator  # lxml is big, and few web workers serve feeds

    self_url, alternate = xml_text(self_url), xml_text(alternate)
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(xml_text(title))
    feed.link(href=self_url, rel="self", type=ATOM)
    feed.link(href=alternate, rel="alternate")
    feed.generator("commentsvc")
    feed.language("en")
    return feed


def _add_comment(feed: FeedGenerator, comment: Comment) -> None:
    thread = comment.thread
    entry = feed.add_entry()
    link = permalink(comment)
    entry.id(link)
    name = xml_text(comment.author_name or "Anonymous")
    entry.title(xml_text(f"{name} on {thread.title or thread.url}"))
    entry.author({"name": name})
    entry.link(href=link, rel="alternate")
    entry.content(xml_text(comment.body_html), type="html")
    entry.published(comment.created_at)
    entry.updated(comment.edited_at or comment.created_at)


def _is_web(url: str | None) -> bool:
    return bool(url) and url.startswith(("http://", "https://"))


def _mention_author(mention: Mention) -> dict[str, str]:
    """Atom needs a name: the source's host stands in when its page named no author. The
    author's link is their own page, else (as WordPress gives a pingback) the source."""
    name = mention.author_name or urlsplit(mention.source).hostname or "Someone"
    author = {"name": xml_text(name)}
    uri = next((url for url in (mention.author_url, mention.source) if _is_web(url)), None)
    if uri:
        author["uri"] = xml_text(uri)
    return author


def _add_mention(feed: FeedGenerator, mention: Mention) -> None:
    """A pingback, trackback or webmention as WordPress lists pingbacks in its comment feeds:
    "Pingback from <source title>", the excerpt, a link to the response on the page.

    One link only: feedgen 1.0 drops a link's ``rel``, so a second would be another
    "alternate", which RFC 4287 forbids; the source is the author's link when theirs is
    unknown."""
    entry = feed.add_entry()
    link = permalink(mention)
    entry.id(link)
    label = _MENTION_LABELS.get(mention.type) or mention.kind.value.capitalize()
    entry.title(xml_text(f"{label} from {mention.title or mention.source}"))
    entry.author(_mention_author(mention))
    entry.link(href=link, rel="alternate")
    entry.content(xml_text(mention.excerpt or ""), type="text")
    entry.published(mention.created_at)
    entry.updated(max(mention.created_at, mention.updated_at or mention.created_at))


_MENTION_LABELS = {
    MentionType.REPLY: "Reply",
    MentionType.LIKE: "Like",
    MentionType.REPOST: "Repost",
}


def _add_entries(feed: FeedGenerator, rows: list[Comment | Mention]) -> None:
    # feedgen prepends entries: add oldest first so the newest comes first in the document.
    for row in reversed(rows):
        if isinstance(row, Comment):
            _add_comment(feed, row)
        else:
            _add_mention(feed, row)


def _recent(scope: sa.ColumnElement[bool]) -> list[Comment | Mention]:
    """The newest visible comments and verified, visible mentions of the threads in
    ``scope`` (a condition on Thread), together, newest first."""
    comments = db.session.scalars(
        sa.select(Comment)
        .join(Thread, Comment.thread_id == Thread.id)
        .options(contains_eager(Comment.thread))
        .where(Comment.status == CommentStatus.VISIBLE, scope)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(FEED_LENGTH)
    ).all()
    mentions = db.session.scalars(
        sa.select(Mention)
        .join(Thread, Mention.thread_id == Thread.id)
        .options(contains_eager(Mention.thread))
        .where(
            Mention.status == CommentStatus.VISIBLE,
            Mention.verification == Verification.VERIFIED,
            scope,
        )
        .order_by(Mention.created_at.desc(), Mention.id.desc())
        .limit(FEED_LENGTH)
    ).all()
    rows: list[Comment | Mention] = [*comments, *mentions]
    rows.sort(key=lambda row: (row.created_at, isinstance(row, Comment), row.id), reverse=True)
    return rows[:FEED_LENGTH]


def _response(feed: FeedGenerator) -> Response:
    """Feed readers poll: an ETag of the bytes (the same while nothing new is shown) lets them
    revalidate and get a 304 instead of the whole feed."""
    response = Response(feed.atom_str(pretty=True), mimetype=ATOM)
    response.headers["Cache-Control"] = "public, max-age=300"
    response.add_etag()
    return response.make_conditional(request)


def _self_url() -> str:
    public = current_app.config["PUBLIC_URL"]
    return f"{public}{request.full_path.rstrip('?')}" if public else request.url


@bp.get("/<site_name>.atom")
def site_feed(site_name: str) -> Response:
    site = get_site(site_name)
    rows = _recent(Thread.site_id == site.id)
    feed = _feed(site, f"Comments on {site.name}", _self_url(), site.origins[0])
    feed.updated(rows[0].created_at if rows else site.created_at)
    _add_entries(feed, rows)
    return _response(feed)


@bp.get("/<site_name>/thread.atom")
def thread_feed(site_name: str) -> Response:
    site = get_site(site_name)
    url = request.args.get("url")
    if not url:
        raise InvalidInput("Give the page with ?url=PAGE-URL.", field="url")
    thread = find_thread(site, url)
    rows = _recent(Thread.id == thread.id) if thread else []
    page = thread.url if thread else page_key(site, url)
    feed = _feed(site, f"Comments on {thread.title if thread and thread.title else page}",
                 _self_url(), page)  # fmt: skip
    feed.updated(rows[0].created_at if rows else site.created_at)
    _add_entries(feed, rows)
    return _response(feed)
