"""Isso's SQLite database read as import records.

Opened read-only (an import never changes the file it reads) and checked to be Isso's:
tables ``threads`` and ``comments`` with Isso's columns. Isso keys a thread by the page's
path; the thread's URL is that path on the site's first origin (``--url-map`` can move it).
Comment ``mode`` 1, 2 and 4 are visible, pending and deleted; the text is Markdown.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from commentsvc.errors import ImportFileError
from commentsvc.imports.records import ImportedComment, ImportedThread, Record, Skipped

THREAD_COLUMNS = {"id", "uri", "title"}
COMMENT_COLUMNS = {"tid", "id", "parent", "created", "modified", "mode", "text", "author"}
STATUSES = {1: "visible", 2: "pending", 4: "deleted"}
COMMENTS = (
    "SELECT id, tid, parent, created, modified, mode, remote_addr, text, author, email, "
    "website, likes, dislikes FROM comments ORDER BY id"
)


def _connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise ImportFileError(f"There is no Isso database at {os.fspath(path)!r}.")
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        tables = {
            name: {row[1] for row in connection.execute(f"PRAGMA table_info({name})")}
            for name in ("threads", "comments")
        }
    except sqlite3.DatabaseError as error:
        raise ImportFileError(f"This is not an SQLite database (Isso's): {error}.") from error
    if not tables["threads"] >= THREAD_COLUMNS or not tables["comments"] >= COMMENT_COLUMNS:
        connection.close()
        raise ImportFileError(
            "This SQLite database is not Isso's: it lacks the tables threads(id, uri, title) "
            "and comments(tid, id, parent, created, mode, text, ...)."
        )
    return connection


def _date(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if isinstance(value, int | float) else None


def count_rows(path: str | os.PathLike[str]) -> int:
    """Threads and comments in the database: the length of the progress bar."""
    connection = _connect(path)
    try:
        threads = connection.execute("SELECT count(*) FROM threads").fetchone()[0]
        comments = connection.execute("SELECT count(*) FROM comments").fetchone()[0]
    finally:
        connection.close()
    return threads + comments


def read_isso(path: str | os.PathLike[str], base_url: str) -> Iterator[Record]:
    """Isso's threads, then its comments in id order (a parent before its replies)."""
    connection = _connect(path)
    try:
        for key, uri, title in connection.execute("SELECT id, uri, title FROM threads"):
            if not uri:
                yield Skipped("thread", str(key), "thread has no link")
                continue
            yield ImportedThread(key=str(key), url=urljoin(base_url, uri), title=title or None)
        for row in connection.execute(COMMENTS):
            yield _comment(row)
    except sqlite3.DatabaseError as error:
        raise ImportFileError(f"The Isso database cannot be read: {error}.") from error
    finally:
        connection.close()


def _comment(row: tuple) -> Record:
    key, tid, parent, created, modified, mode = row[:6]
    remote_addr, text, author, email, website, likes, dislikes = row[6:]
    created_at = _date(created)
    if created_at is None:
        return Skipped("comment", str(key), "comment has no date")
    return ImportedComment(
        key=str(key),
        thread_key=str(tid),
        parent_key=str(parent) if parent is not None else None,
        created_at=created_at,
        status=STATUSES.get(mode, "pending"),
        body=text or "",
        body_format="markdown",
        author_name=author or None,
        author_email=email or None,
        author_website=website or None,
        edited_at=_date(modified),
        ip_address=remote_addr or None,
        votes=(likes or 0) - (dislikes or 0),
    )
