"""The reader of this service's own export (``docs/export-format.md``): records from a JSON file,
streamed.

The file is parsed incrementally (ijson): one account, comment or mention is built at a time, so
memory stays bounded by the largest single item, not by the file. That needs the order the
exporter writes: ``format`` first, and a thread's ``key`` and ``url`` before its comments and
mentions. An item that cannot be used (a missing key, an unknown status, a bad date) is
reported as :class:`~commentsvc.imports.records.Skipped`; a file that is not JSON, not an
export, or from a newer version raises :class:`~commentsvc.errors.ImportFileError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

import ijson

from commentsvc.errors import ImportFileError
from commentsvc.imports.jsonsafe import GuardedReader
from commentsvc.imports.records import (
    ImportedAccount,
    ImportedComment,
    ImportedMention,
    ImportedOrigin,
    ImportedThread,
    Record,
    Skipped,
)
from commentsvc.models import CommentStatus, MentionKind, MentionType, Verification

FORMAT_NAME = "commentsvc-export"
SUPPORTED_VERSION = 1


class _BadItem(ValueError):
    """Why one item cannot be imported: becomes a Skipped record, never fatal."""


def _text(item: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise _BadItem(f"no {name}")
        return None
    if not isinstance(value, str):
        raise _BadItem(f"{name} is not text")
    return value


def _moment(item: dict[str, Any], name: str, *, required: bool = False) -> datetime | None:
    value = _text(item, name, required=required)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _BadItem(f"{name} is not a date") from None
    if moment.tzinfo is None:
        raise _BadItem(f"{name} has no time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01 east of UTC: before the first moment there is
        raise _BadItem(f"{name} is not a date") from None


def _choice(item: dict[str, Any], name: str, allowed: type, default: str) -> str:
    value = item.get(name, default)
    if value not in {member.value for member in allowed}:
        raise _BadItem(f"unknown {name} {str(value)[:20]!r}")
    return value


def _flag(item: dict[str, Any], name: str) -> bool:
    value = item.get(name, False)
    if not isinstance(value, bool):
        raise _BadItem(f"{name} is not true or false")
    return value


def _part(item: dict[str, Any], name: str) -> dict[str, Any]:
    value = item.get(name) or {}
    if not isinstance(value, dict):
        raise _BadItem(f"{name} is not an object")
    return value


def _account(item: dict[str, Any]) -> ImportedAccount:
    identities = item.get("identities") or []
    if not isinstance(identities, list) or not all(isinstance(i, dict) for i in identities):
        raise _BadItem("identities is not a list of objects")
    return ImportedAccount(
        key=_text(item, "key", required=True),
        display_name=_text(item, "display_name", required=True),
        email=_text(item, "email"),
        website=_text(item, "website"),
        avatar_url=_text(item, "avatar"),
        is_email_verified=item.get("is_email_verified") is True,
        identities=tuple(
            (_text(i, "provider", required=True), _text(i, "subject", required=True))
            for i in identities
        ),
    )


def _comment(item: dict[str, Any], thread_key: str) -> ImportedComment:
    author = _part(item, "author")
    markdown = item.get("markdown")
    if not isinstance(markdown, str):
        raise _BadItem("no markdown")
    html = item.get("html")
    if html is not None and not isinstance(html, str):
        raise _BadItem("html is not text")
    return ImportedComment(
        key=_text(item, "key", required=True),
        thread_key=thread_key,
        parent_key=_text(item, "parent"),
        created_at=_moment(item, "created_at", required=True),
        status=_choice(item, "status", CommentStatus, "visible"),
        body=markdown,
        body_format="markdown",
        author_name=_text(author, "name"),
        author_email=_text(author, "email"),
        author_website=_text(author, "website"),
        author_avatar=_text(author, "avatar"),
        author_provider=_text(author, "provider"),
        account_key=_text(item, "account"),
        edited_at=_moment(item, "edited_at"),
        body_html=html,
        is_pinned=_flag(item, "pinned"),
    )


def _mention(item: dict[str, Any], thread_key: str) -> ImportedMention:
    author = _part(item, "author")
    return ImportedMention(
        key=_text(item, "key", required=True),
        thread_key=thread_key,
        kind=_choice(item, "kind", MentionKind, ""),
        source=_text(item, "source", required=True),
        created_at=_moment(item, "created_at", required=True),
        status=_choice(item, "status", CommentStatus, "visible"),
        verification=_choice(item, "verification", Verification, "verified"),
        type=_choice(item, "type", MentionType, "mention"),
        title=_text(item, "title"),
        excerpt=_text(item, "excerpt"),
        author_name=_text(author, "name"),
        author_url=_text(author, "url"),
        author_photo=_text(author, "photo"),
        published_at=_moment(item, "published_at"),
        verified_at=_moment(item, "verified_at"),
        rejection_reason=_text(item, "rejection_reason"),
        rejection_code=_text(item, "rejection_code"),
    )


def _record(what: str, build: Callable[[], Record], item: Any) -> Record:
    key = str(item.get("key") or "?")[:100] if isinstance(item, dict) else "?"
    if not isinstance(item, dict):
        return Skipped(what, key, f"the {what} is not an object")
    try:
        return build()
    except _BadItem as reason:
        joined = f"{what} has {reason}" if str(reason).startswith("no ") else f"{what}'s {reason}"
        return Skipped(what, key, joined)


# Where the format has lists, and what the items of each are.
_LISTS = {"accounts", "threads", "threads.item.comments", "threads.item.mentions"}
_ITEMS = {
    "accounts.item": "account",
    "threads.item": "thread",
    "threads.item.comments.item": "comment",
    "threads.item.mentions.item": "mention",
}
_NOT_AN_OBJECT = {"string", "number", "boolean", "null", "start_array"}


class _Reader:
    """Walks ijson's events; builds one item at a time with ijson's own ObjectBuilder."""

    def __init__(self) -> None:
        self.top_keys = 0
        self.thread: dict[str, Any] | None = None
        self.is_thread_out = False
        self.builder: ijson.ObjectBuilder | None = None
        self.built_at = ""
        self.depth = 0

    def feed(self, prefix: str, event: str, value: Any) -> Iterator[Record]:
        if self.builder is not None:
            yield from self._build(event, value)
        elif prefix in _LISTS and event not in {"start_array", "end_array"}:
            name = prefix.rsplit(".", 1)[-1]
            raise ImportFileError(
                f'"{name}" is not a list: the file is not as commentsvc writes it.'
            )
        elif prefix in _ITEMS and event in _NOT_AN_OBJECT:
            what = _ITEMS[prefix]
            yield Skipped(what, "?", f"the {what} is not an object")
        elif prefix == "" and event == "map_key":
            self._top_key(value)
        elif prefix in {"format", "version"}:
            self._check_header(prefix, value)
        elif prefix == "origin" and event == "string":
            yield ImportedOrigin(value[:100])  # the exporting site's: keys are its keys
        elif event == "start_map" and prefix in {
            "accounts.item",
            "threads.item.comments.item",
            "threads.item.mentions.item",
        }:
            if prefix != "accounts.item":
                yield from self._thread_record()
            self.builder, self.built_at, self.depth = ijson.ObjectBuilder(), prefix, 0
            yield from self._build(event, value)
        elif prefix == "threads.item":
            yield from self._thread_event(event)
        elif prefix.startswith("threads.item.") and prefix.count(".") == 2:
            self._thread_field(prefix.rsplit(".", 1)[1], event, value)

    def _top_key(self, key: str) -> None:
        self.top_keys += 1
        if self.top_keys == 1 and key != "format":
            raise ImportFileError(
                'This is not an export of commentsvc: it does not start with "format".'
            )

    def _check_header(self, name: str, value: Any) -> None:
        if name == "format" and value != FORMAT_NAME:
            raise ImportFileError(f'This is not an export of commentsvc ("format" is {value!r}).')
        if name == "version" and (type(value) is not int or value != SUPPORTED_VERSION):
            raise ImportFileError(
                f"This export is version {value!r}; this commentsvc reads version "
                f"{SUPPORTED_VERSION}. Import it with the version that made it, or a newer one."
            )

    def _build(self, event: str, value: Any) -> Iterator[Record]:
        builder = self.builder
        if builder is None:
            return
        builder.event(event, value)
        if event in {"start_map", "start_array"}:
            self.depth += 1
        elif event in {"end_map", "end_array"}:
            self.depth -= 1
        if self.depth:
            return
        item, where = builder.value, self.built_at
        self.builder = None
        if where == "accounts.item":
            yield _record("account", lambda: _account(item), item)
            return
        thread_key = self.thread["key"]  # type: ignore[index]
        if where.endswith("comments.item"):
            yield _record("comment", lambda: _comment(item, thread_key), item)
        else:
            yield _record("mention", lambda: _mention(item, thread_key), item)

    def _thread_event(self, event: str) -> Iterator[Record]:
        if event == "start_map":
            self.thread, self.is_thread_out = {}, False
        elif event == "end_map":
            yield from self._thread_record()
            self.thread = None

    def _thread_field(self, name: str, event: str, value: Any) -> None:
        if self.thread is not None and name in {"key", "url", "title"} and event != "map_key":
            self.thread[name] = value

    def _thread_record(self) -> Iterator[Record]:
        if self.thread is None or self.is_thread_out:
            return
        self.is_thread_out = True
        key, url = self.thread.get("key"), self.thread.get("url")
        if not isinstance(key, str) or not key:
            raise ImportFileError(
                'A thread has no "key" before its comments: the file is not as commentsvc '
                "writes it (a thread's key, url and title come first)."
            )
        if not isinstance(url, str) or not url:
            yield Skipped("thread", key[:100], "thread has no url")
            return
        title = self.thread.get("title")
        yield ImportedThread(key=key, url=url, title=title if isinstance(title, str) else None)


def _first_line(error: Exception) -> str:
    """The parser's message, as text (yajl's may be bytes) and without its two-line pointer."""
    detail = error.args[0] if error.args else ""
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    return str(detail).strip().splitlines()[0] if str(detail).strip() else type(error).__name__


def read_json(stream: BinaryIO) -> Iterator[Record]:
    """The records of an export file opened in binary mode, in the file's order."""
    reader = _Reader()
    try:
        for prefix, event, value in ijson.parse(GuardedReader(stream)):
            yield from reader.feed(prefix, event, value)
    except ijson.JSONError as error:
        raise ImportFileError(
            f"The file is not complete, valid JSON ({_first_line(error)})."
        ) from None
    if reader.top_keys == 0:
        raise ImportFileError("The file is empty or not a JSON object.")
