"""Isso's SQLite database read as import records.

Opened read-only (an import never changes the file it reads) and checked to be Isso's:
tables ``threads`` and ``comments`` with Isso's columns. Isso keys a thread by the page's
path; the thread's URL is that path on the site's first origin (``--url-map`` can move it).
Comment ``mode`` 1, 2 and 4 are visible, pending and deleted; the text is Markdown.

The file may come from anyone, so it is read within limits: views, virtual tables and
generated columns are refused (reading them runs code the file brings: a recursive view never
ends), no value may exceed :data:`MAX_VALUE_BYTES`, no statement may compute for
:data:`STEP_SECONDS` without giving a row, and a row whose values are not of the types Isso
writes is reported as skipped.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin

from commentsvc.errors import ImportFileError
from commentsvc.imports.records import ImportedComment, ImportedThread, Record, Skipped

THREAD_COLUMNS = {"id", "uri", "title"}
COMMENT_COLUMNS = {"tid", "id", "parent", "created", "modified", "mode", "text", "author"}
STATUSES = {1: "visible", 2: "pending", 4: "deleted"}
THREADS = "SELECT id, uri, title FROM threads"
COMMENTS = (
    "SELECT id, tid, parent, created, modified, mode, remote_addr, text, author, email, "
    "website FROM comments ORDER BY id"
)
TEXT_COLUMNS = ("remote_addr", "text", "author", "email", "website")
VIRTUAL = re.compile(r"\s*CREATE\s+VIRTUAL\b", re.IGNORECASE)
# Limits for a file from anyone: one value at most this long (Isso caps a comment far below);
# no statement step longer than this (a real database gives a row in microseconds).
MAX_VALUE_BYTES = 4 * 1024 * 1024
STEP_SECONDS = 10.0
PROGRESS_STEPS = 10_000  # SQLite instructions between two looks at the clock


class _Budget:
    """SQLite's progress handler: interrupts a statement that computes for longer than
    :data:`STEP_SECONDS` before its next row, whatever in the file makes it slow."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + STEP_SECONDS
        self.is_spent = False

    def restart(self) -> None:
        self.deadline = time.monotonic() + STEP_SECONDS

    def __call__(self) -> int:
        self.is_spent = time.monotonic() > self.deadline
        return int(self.is_spent)  # non-zero interrupts the statement

    def error(self, error: sqlite3.DatabaseError) -> ImportFileError:
        if self.is_spent:
            return ImportFileError(
                f"The Isso database took more than {STEP_SECONDS:g} seconds to give one row: "
                "it is not a database Isso wrote."
            )
        return ImportFileError(f"The Isso database cannot be read: {error}.")


def _columns(connection: sqlite3.Connection, name: str) -> set[str]:
    """The columns of table ``name``; none when it is not a plain table of stored values: a
    view, a virtual table or a generated column runs code the file brings (a recursive view
    never ends)."""
    found = connection.execute(
        "SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", (name,)
    ).fetchone()
    if found is None or found[0] != "table" or VIRTUAL.match(found[1] or ""):
        return set()
    columns = connection.execute(f"PRAGMA table_xinfo({name})").fetchall()
    if any(column[6] for column in columns):  # hidden: generated, or a virtual table's
        return set()
    return {column[1] for column in columns}


def _text(raw: bytes) -> str | bytes:
    """TEXT as str; bytes that are no UTF-8 stay bytes, so that their row is skipped as not
    text (the decoder's own error would stop the import at that row, on every run)."""
    try:
        return raw.decode()
    except UnicodeDecodeError:
        return raw


def _connect(path: str | os.PathLike[str], budget: _Budget) -> sqlite3.Connection:
    if not Path(path).is_file():
        raise ImportFileError(f"There is no Isso database at {os.fspath(path)!r}.")
    uri = f"{Path(path).resolve().as_uri()}?mode=ro"
    try:
        connection = sqlite3.connect(uri, uri=True)
        connection.text_factory = _text
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        connection.set_progress_handler(budget, PROGRESS_STEPS)
        connection.execute("PRAGMA trusted_schema = OFF")
        tables = {name: _columns(connection, name) for name in ("threads", "comments")}
    except sqlite3.DatabaseError as error:
        if budget.is_spent:
            raise budget.error(error) from error
        raise ImportFileError(f"This is not an SQLite database (Isso's): {error}.") from error
    if not tables["threads"] >= THREAD_COLUMNS or not tables["comments"] >= COMMENT_COLUMNS:
        connection.close()
        raise ImportFileError(
            "This SQLite database is not Isso's: it lacks the tables threads(id, uri, title) "
            "and comments(tid, id, parent, created, mode, text, ...) (plain tables, not views)."
        )
    return connection


def _rows(connection: sqlite3.Connection, budget: _Budget, sql: str) -> Iterator[tuple]:
    """The rows of ``sql``, each within the budget (the time the caller spends with a row is
    not counted)."""
    budget.restart()
    cursor = connection.execute(sql)
    while True:
        budget.restart()
        row = cursor.fetchone()
        if row is None:
            return
        yield row


def _date(value: object) -> datetime | None:
    """A Unix time as a moment; None when it is not one a datetime holds (text, NaN, 1e20)."""
    if not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, ValueError, OSError):
        return None


def count_rows(path: str | os.PathLike[str]) -> int:
    """Threads and comments in the database: the length of the progress bar."""
    budget = _Budget()
    connection = _connect(path, budget)
    try:
        threads = next(_rows(connection, budget, "SELECT count(*) FROM threads"))[0]
        comments = next(_rows(connection, budget, "SELECT count(*) FROM comments"))[0]
    except sqlite3.DatabaseError as error:
        raise budget.error(error) from error
    finally:
        connection.close()
    return threads + comments


def read_isso(path: str | os.PathLike[str], base_url: str) -> Iterator[Record]:
    """Isso's threads, then its comments in id order (a parent before its replies)."""
    budget = _Budget()
    connection = _connect(path, budget)
    try:
        for row in _rows(connection, budget, THREADS):
            yield _thread(row, base_url)
        for row in _rows(connection, budget, COMMENTS):
            yield _comment(row)
    except sqlite3.DatabaseError as error:
        raise budget.error(error) from error
    finally:
        connection.close()


def _thread(row: tuple, base_url: str) -> Record:
    key, uri, title = row
    if not isinstance(key, int):
        return Skipped("thread", str(key)[:100], "thread's id is not a number")
    if not uri:
        return Skipped("thread", str(key), "thread has no link")
    if not isinstance(uri, str) or not isinstance(title, str | None):
        return Skipped("thread", str(key), "thread's uri or title is not text")
    return ImportedThread(key=str(key), url=urljoin(base_url, uri), title=title or None)


def _wrong_type(row: tuple) -> str | None:
    """Why a comment row's values are not of the types Isso writes, or None."""
    key, tid, parent, _created, _modified, mode = row[:6]
    if not isinstance(key, int) or not isinstance(tid, int) or not isinstance(mode, int):
        return "comment's id, thread or mode is not a number"
    if parent is not None and not isinstance(parent, int):
        return "comment's parent is not a number"
    for column, value in zip(TEXT_COLUMNS, row[6:], strict=True):
        if value is not None and not isinstance(value, str):
            return f"comment's {column} is not text"
    return None


def _comment(row: tuple) -> Record:
    key, tid, parent, created, modified, mode = row[:6]
    remote_addr, text, author, email, website = row[6:]
    wrong_type = _wrong_type(row)
    if wrong_type is not None:
        return Skipped("comment", str(key)[:100], wrong_type)
    created_at = _date(created)
    if created is None:
        return Skipped("comment", str(key), "comment has no date")
    if created_at is None or (modified is not None and _date(modified) is None):
        return Skipped("comment", str(key), "comment's date is not a valid time")
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
    )
