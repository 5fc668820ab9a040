"""WordPress's export (WXR 1.0-1.2, from WordPress and WordPress.com) read as import records.

Every ``<wp:comment>`` of every ``<item>`` (posts, pages, attachments alike; an item without
comments makes no thread). Comments keep their threading, author and GMT date; pingbacks and
trackbacks become verified mentions, since WordPress verified them when they arrived: the
source is the comment's author URL, its title the author name, its excerpt the content
without WordPress's "[…]" marks.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from lxml import etree

from commentsvc.imports.records import (
    ImportedComment,
    ImportedMention,
    ImportedOrigin,
    ImportedThread,
    Record,
    Skipped,
)
from commentsvc.imports.xmlsafe import iter_end_events, local_name, release

STATUSES = {"1": "visible", "0": "pending", "spam": "spam", "trash": "deleted"}
MENTION_KINDS = {"pingback": "pingback", "trackback": "trackback", "webmention": "webmention"}
ELLIPSES = ("[…]", "[&#8230;]", "[&hellip;]", "[...]")
NO_DATE = "0000-00-00 00:00:00"


def _fields(element: etree._Element) -> dict[str, str]:
    """A ``<wp:comment>``'s children by local name (the first of each), stripped, read once."""
    fields: dict[str, str] = {}
    for child in element:
        fields.setdefault(local_name(child), (child.text or "").strip())
    return fields


def _date(fields: dict[str, str]) -> datetime | None:
    """The GMT date; the local one (taken as UTC) when WordPress left GMT empty or zero."""
    for name in ("comment_date_gmt", "comment_date"):
        value = fields.get(name, "")
        # Only WordPress's own "YYYY-MM-DD HH:MM:SS" (fromisoformat alone would take more).
        if value == NO_DATE or len(value) != len(NO_DATE) or value[10] != " ":
            continue
        try:
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _excerpt(content: str) -> str | None:
    """A pingback's content is "[…] the words around the link […]": the words alone."""
    text = content.strip()
    for mark in ELLIPSES:
        text = text.removeprefix(mark).removesuffix(mark).strip()
    text = html.unescape(text)
    return " ".join(text.split()) or None


class _Item:
    """What an ``<item>`` said about its post before its comments start."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.thread_key: str | None = None

    def key(self) -> str:
        return self.fields.get("post_id") or self.fields.get("link", "")


def _comment(element: etree._Element, item: _Item) -> Record:
    fields = _fields(element)
    thread_key = item.thread_key or ""
    comment_id = fields.get("comment_id", "")
    key = f"{thread_key}#{comment_id}"
    created_at = _date(fields)
    if not comment_id:
        return Skipped("comment", key, "comment has no id")
    if created_at is None:
        return Skipped("comment", key, "comment has no date")
    approved = fields.get("comment_approved", "")
    status = STATUSES.get(approved, "deleted" if approved.endswith("trashed") else "pending")
    content = (fields.get("comment_content", "") or "").replace("\r\n", "\n")
    comment_type = fields.get("comment_type", "") or "comment"
    if comment_type in MENTION_KINDS:
        source = fields.get("comment_author_url", "")
        if not source:
            return Skipped("mention", key, "pingback has no source URL")
        return ImportedMention(
            key=key,
            thread_key=thread_key,
            kind=MENTION_KINDS[comment_type],
            source=source,
            created_at=created_at,
            status=status,
            title=html.unescape(fields.get("comment_author", "")) or None,
            excerpt=_excerpt(content),
            published_at=created_at,
            verified_at=created_at,
        )
    if comment_type != "comment":
        return Skipped("comment", key, f"comment type {comment_type[:40]!r}")
    parent = fields.get("comment_parent", "")
    return ImportedComment(
        key=key,
        thread_key=thread_key,
        parent_key=f"{thread_key}#{parent}" if parent and parent != "0" else None,
        created_at=created_at,
        status=status,
        body=content,
        body_format="html",
        author_name=html.unescape(fields.get("comment_author", "")) or None,
        author_email=fields.get("comment_author_email", "") or None,
        author_website=fields.get("comment_author_url", "") or None,
        ip_address=fields.get("comment_author_IP", "") or None,
    )


def _is_in_comment(parent: etree._Element) -> bool:
    """Whether an element whose parent is ``parent`` is a field of an item's comment."""
    grandparent = parent.getparent()
    return (
        local_name(parent) == "comment"
        and grandparent is not None
        and local_name(grandparent) == "item"
    )


def read_wordpress(stream: BinaryIO) -> Iterator[Record]:
    """The records of a WXR file, a thread before its comments; bounded memory: every element
    is released once read (categories, terms and post metadata too), but a comment's fields,
    which are read when the comment ends."""
    item: _Item | None = None
    for element in iter_end_events(stream, "WordPress export", "rss"):
        parent = element.getparent()
        if parent is None or _is_in_comment(parent):
            continue
        name = local_name(element)
        if name == "base_site_url" and local_name(parent) == "channel":
            # The blog the keys (post and comment ids) belong to: two blogs' ids kept apart.
            base = (element.text or "").strip()
            if base:
                yield ImportedOrigin(f"wordpress:{base[:80]}")
        elif local_name(parent) == "item":
            item = item or _Item()
            if name == "comment":
                if item.thread_key is None:
                    item.thread_key = item.key()
                    yield _thread(item)
                yield _comment(element, item)
            elif name in {"title", "link", "post_id"}:
                item.fields[name] = (element.text or "").strip()
        elif name == "item":
            item = None
        release(element)


def _thread(item: _Item) -> Record:
    link = item.fields.get("link", "")
    if not link:
        return Skipped("thread", item.key(), "thread has no link")
    title = html.unescape(item.fields.get("title", "")) or None
    return ImportedThread(key=item.thread_key or link, url=link, title=title)
