"""This service's own export: one JSON document, one item a line, in a fixed order.

The layout (documented in ``docs/export-format.md``, checked by ``docs/export.schema.json``) is
deterministic: fixed key order, no whitespace but the newline before each item, threads by
URL, comments and mentions oldest first, accounts by key, no timestamp of the export itself.
Exporting, importing the file into an empty database and exporting again gives the same bytes.

Keys are what the round trip needs them to be: see :mod:`commentsvc.exports.keys`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from commentsvc.exports import rows
from commentsvc.exports.keys import ExportKeys
from commentsvc.models import Site

FORMAT_NAME = "commentsvc-export"
FORMAT_VERSION = 1


def timestamp(moment: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z``; microseconds only when there are any."""
    moment = rows.utc(moment)
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _array(items: Iterator[Iterator[str]]) -> Iterator[str]:
    """``[`` then each item (its chunks) on a line of its own, then ``]`` on its own line."""
    yield "["
    separator = "\n"
    for item in items:
        yield separator
        yield from item
        separator = ",\n"
    yield "\n]"


def _lines(values: Iterator[dict[str, Any]]) -> Iterator[Iterator[str]]:
    return (iter((_dump(value),)) for value in values)


def export_json(site: Site) -> Iterator[str]:
    """The site's export, as chunks of text to write in order (UTF-8)."""
    keys = ExportKeys(site)
    head = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "origin": keys.origin}
    yield _dump(head)[:-1]
    yield ',"site":' + _dump({"name": site.name, "origins": sorted(site.origins)})
    yield ',"accounts":'
    yield from _array(_lines(_account(row, ids, keys) for row, ids in rows.accounts(site)))
    yield ',"threads":'
    yield from _array(_thread(row, keys) for row in rows.threads(site))
    yield "}\n"


def _account(row: sa.Row, identities: list[tuple[str, str]], keys: ExportKeys) -> dict[str, Any]:
    return {
        "key": keys.name_account(row.id, row.email, identities),
        "display_name": row.display_name,
        "email": row.email,
        "website": row.website,
        "avatar": row.avatar_url,
        "is_email_verified": bool(row.is_email_verified),
        "identities": [{"provider": p, "subject": s} for p, s in identities],
    }


def _thread(row: sa.Row, keys: ExportKeys) -> Iterator[str]:
    """A thread's fields, then its comments and mentions a line each, written as they are read
    (a thread of many thousand comments is never held whole)."""
    keys.load_thread(row.id)
    yield _dump({"key": keys.thread(row.id), "url": row.url, "title": row.title})[:-1]
    yield ',"comments":'
    yield from _array(_lines(_comment(comment, keys) for comment in rows.comments(row.id)))
    yield ',"mentions":'
    yield from _array(_lines(_mention(mention, keys) for mention in rows.mentions(row.id)))
    yield "}"


def _comment(row: sa.Row, keys: ExportKeys) -> dict[str, Any]:
    return {
        "key": keys.comment(row.id),
        "parent": None if row.parent_id is None else keys.comment(row.parent_id),
        "account": None if row.account_id is None else keys.account(row.account_id),
        "created_at": timestamp(row.created_at),
        "edited_at": timestamp(row.edited_at),
        "status": str(row.status),
        "pinned": bool(row.is_pinned),
        "markdown": row.body_markdown,
        "html": row.body_html,
        "author": {
            "name": row.author_name,
            "email": row.author_email,
            "website": row.author_website,
            "avatar": row.author_avatar,
            "provider": row.author_provider,
        },
    }


def _mention(row: sa.Row, keys: ExportKeys) -> dict[str, Any]:
    return {
        "key": keys.mention(row.id),
        "kind": str(row.kind),
        "type": str(row.type),
        "source": row.source,
        "created_at": timestamp(row.created_at),
        "published_at": timestamp(row.published_at),
        "status": str(row.status),
        "verification": str(row.verification),
        "verified_at": timestamp(row.verified_at),
        "rejection_reason": row.rejection_reason,
        "rejection_code": row.rejection_code,
        "title": row.title,
        "excerpt": row.excerpt,
        "author": {"name": row.author_name, "url": row.author_url, "photo": row.author_photo},
    }
