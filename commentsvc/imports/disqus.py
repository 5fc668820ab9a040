"""Disqus's export XML read as import records.

The file lists every ``<thread>`` and then every ``<post>``. Disqus's odd cases (a thread with
no link, a post whose thread is missing, a post without a date) are reported as skipped, not
fatal: the writer reports posts of an unknown thread the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import BinaryIO

from lxml import etree

from commentsvc.imports.records import (
    ImportedComment,
    ImportedOrigin,
    ImportedThread,
    Record,
    Skipped,
)
from commentsvc.imports.xmlsafe import child, child_text, iter_end_events, local_name, release

DSQ_ID = "{http://disqus.com/disqus-internals}id"


def _is_true(element: etree._Element, name: str) -> bool:
    return child_text(element, name).lower() == "true"


def _date(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        return None
    except OverflowError:  # 9999-12-31 west of UTC: past the last moment there is
        return None


def _ref(element: etree._Element, name: str) -> str | None:
    ref = child(element, name)
    return ref.get(DSQ_ID) if ref is not None else None


def _thread(element: etree._Element) -> Record:
    key = element.get(DSQ_ID) or ""
    if not key:  # every such thread would be one key: the first would take the others' posts
        return Skipped("thread", "", "thread has no dsq:id")
    link = child_text(element, "link")
    if not link:
        return Skipped("thread", key, "thread has no link")
    return ImportedThread(key=key, url=link, title=child_text(element, "title") or None)


def _post(element: etree._Element) -> Record:
    key = element.get(DSQ_ID) or ""
    if not key:  # every such post would be one key: all but the first "already there"
        return Skipped("comment", "", "comment has no dsq:id")
    created_at = _date(child_text(element, "createdAt"))
    if created_at is None:
        return Skipped("comment", key, "comment has no date")
    thread_key = _ref(element, "thread")
    if not thread_key:
        return Skipped("comment", key, "comment names no thread")
    status = "visible"
    if _is_true(element, "isSpam"):
        status = "spam"
    if _is_true(element, "isDeleted"):
        status = "deleted"
    author = child(element, "author")
    name = child_text(author, "name") if author is not None else ""
    username = child_text(author, "username") if author is not None else ""
    email = child_text(author, "email") if author is not None else ""
    return ImportedComment(
        key=key,
        thread_key=thread_key,
        parent_key=_ref(element, "parent"),
        created_at=created_at,
        status=status,
        body=child_text(element, "message"),
        body_format="html",
        author_name=name or username or None,
        author_email=email or None,
        ip_address=child_text(element, "ipAddress") or None,
    )


def read_disqus(stream: BinaryIO) -> Iterator[Record]:
    """The records of a Disqus export, threads first; bounded memory. The forum named by the
    first thread is the keys' origin: two forums' ``dsq:id`` values are kept apart."""
    forum: str | None = None
    for element in iter_end_events(stream, "Disqus export", "disqus"):
        parent = element.getparent()
        if parent is None:
            continue
        if parent.getparent() is not None:
            continue  # inside a thread or post: read with it
        name = local_name(element)
        if name == "thread":
            if forum is None:
                forum = child_text(element, "forum")
                if forum:
                    yield ImportedOrigin(f"disqus:{forum[:80]}")
            yield _thread(element)
        elif name == "post":
            yield _post(element)
        release(element)
