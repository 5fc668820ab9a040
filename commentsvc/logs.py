"""Logging for the entry points (serve, worker, demo, gunicorn's workers); nothing is
configured at import.

``COMMENTSVC_LOG_FORMAT=json`` writes one JSON object per line (time, level, logger,
message, request id, and method and route inside a request; the per-request line adds status
and duration); the default is plain text, with the request id appended when there is one.
Both mask what must never reach a log even if a message carries it: email addresses and the
credentials of a URL.
"""

from __future__ import annotations

import json
import logging
import os
import re
from datetime import UTC, datetime

from flask import current_app, has_app_context, has_request_context, request

from commentsvc.request_ids import current_request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
FORMATS = frozenset({"text", "json"})
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")
# A long run of URL-safe characters after a slash (/auth/verify/<token>, /unsubscribe/<token>)
# or an equals sign (an OAuth callback's ?code=...&state=...) is masked unless it reads as
# words: every piece between separators a word of at most 20 letters, lower-case or
# capitalised, perhaps ending in a number ("html5", "blog2"), or a number perhaps ending in a
# few letters ("2nd"). Random tokens (token_urlsafe, itsdangerous, hex; UUIDs all but about 1
# in 10,000) have a piece that mixes case or interleaves digits, or one longer than any word: a
# 32-character token_urlsafe passes only if all its characters land in one case, about as
# likely as 32 coin flips landing alike. Blog slugs and dated paths stay readable.
PATH_RUN = re.compile(r"(?<=[/=])[A-Za-z0-9_.~=-]{24,}")
SEPARATORS = re.compile(r"[-_.~=]+")
READABLE_PIECE = re.compile(r"[A-Za-z][a-z]{0,19}[0-9]{0,8}|[0-9]{1,20}[a-z]{0,4}")


def _is_readable(run: str) -> bool:
    return all(READABLE_PIECE.fullmatch(piece) for piece in SEPARATORS.split(run) if piece)


def _mask_unless_readable(match: re.Match[str]) -> str:
    return match.group(0) if _is_readable(match.group(0)) else "[token]"


def redact(message: str) -> str:
    """Credentials in URLs, token-like path segments and email addresses, masked."""
    if "/" in message or "=" in message:
        message = PATH_RUN.sub(_mask_unless_readable, message)
    if "@" not in message:
        return message
    return EMAIL.sub("[email]", URL_CREDENTIALS.sub("[credentials]@", message))


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


class JsonFormatter(logging.Formatter):
    """One JSON object per line, with the request (or the enqueuing request) it belongs to."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": current_request_id(),
        }
        if has_request_context():
            line["method"] = request.method
            line["route"] = _route()
        for field in ("method", "route", "status", "duration"):  # a replayed read names its own
            if hasattr(record, field):
                line[field] = getattr(record, field)
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, default=str)


class TextFormatter(logging.Formatter):
    """The plain format, masked, with `` request_id=...`` when a request or job has one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = redact(super().format(record))
        request_id = current_request_id()
        return f"{text} request_id={request_id}" if request_id else text


def log_format() -> str:
    """The app's ``LOG_FORMAT`` inside an app context, else ``COMMENTSVC_LOG_FORMAT``."""
    if has_app_context():
        return str(current_app.config["LOG_FORMAT"])
    return os.environ.get("COMMENTSVC_LOG_FORMAT", "text").strip().lower() or "text"


def configure_logging(format_name: str | None = None) -> None:
    """The root logger on stderr, in ``format_name`` (default: :func:`log_format`)."""
    level = os.environ.get("COMMENTSVC_LOG_LEVEL", "INFO").upper()
    handler = logging.StreamHandler()
    is_json = (format_name or log_format()) == "json"
    handler.setFormatter(JsonFormatter() if is_json else TextFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
