"""The request id: one token that ties a request's log lines, its error body and the jobs it
enqueued together.

Taken from an incoming ``X-Request-ID`` when it is a sane token (a proxy or a client chose
it), generated otherwise; a job carries its request's id in its meta (RQ) or in the closure of
the in-process runner, and the worker sets it again while the job runs, so its log lines
carry it too. Held in a context variable: gunicorn threads, the in-process job pool and work
horses each see their own.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from flask import has_request_context, request

HEADER = "X-Request-ID"
# Bounded and plain: a header value that becomes a log field and a JSON value must not carry
# spaces, quotes or control characters (log injection), nor be long enough to bloat every line.
SANE = re.compile(r"[A-Za-z0-9._:@+=-]{1,128}")
_ENVIRON_KEY = "commentsvc.request_id"

_job_request_id: ContextVar[str | None] = ContextVar("commentsvc_request_id", default=None)


def new_request_id() -> str:
    return secrets.token_hex(16)


def sane(value: str | None) -> str | None:
    """``value`` if it may serve as a request id, else None."""
    return value if value and SANE.fullmatch(value) else None


def request_id_of_request() -> str:
    """The current request's id, fixed on first use (from ``X-Request-ID`` or new)."""
    environ = request.environ
    value = environ.get(_ENVIRON_KEY)
    if value is None:
        value = sane(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        environ[_ENVIRON_KEY] = value
    return value


def current_request_id() -> str | None:
    """The id of the request being served, or of the request that enqueued the running job."""
    if has_request_context():
        return request_id_of_request()
    return _job_request_id.get()


def enter_job(request_id: str | None) -> Token:
    """While a job runs: its log lines carry the id of the request that enqueued it."""
    return _job_request_id.set(sane(request_id))


def leave_job(token: Token) -> None:
    _job_request_id.reset(token)


@contextmanager
def logging_as(request_id: str) -> Iterator[None]:
    """Log lines written inside carry ``request_id``, outside any request context (a read
    the response cache answers before Flask sees it)."""
    token = _job_request_id.set(request_id)
    try:
        yield
    finally:
        _job_request_id.reset(token)
