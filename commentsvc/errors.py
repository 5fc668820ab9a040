"""One error hierarchy for the whole service, rendered once as RFC 9457 problem details.

Services raise these; the handlers in :func:`register_error_handlers` turn them (and any
werkzeug HTTP error) into ``application/problem+json`` so that no client ever sees an HTML
error page or a 500 for bad input.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, current_app, has_request_context, json, render_template, request
from werkzeug.exceptions import HTTPException

from commentsvc import database
from commentsvc.extensions import db, retry_after_seconds
from commentsvc.request_ids import request_id_of_request

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ServiceError(Exception):
    """Base of every error a client can cause; ``status`` and ``code`` are part of the API."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def to_problem(self) -> dict[str, Any]:
        return {
            "type": f"about:blank#{self.code}",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
            **self.extra,
        }


class InvalidInput(ServiceError):
    status = 400
    code = "invalid-input"
    title = "The request is not valid"


class Unauthorized(ServiceError):
    status = 401
    code = "unauthorized"
    title = "Sign-in required"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"
    title = "Not allowed"


class NotFound(ServiceError):
    status = 404
    code = "not-found"
    title = "Not found"


class Conflict(ServiceError):
    status = 409
    code = "conflict"
    title = "Conflict"


class UnsupportedMediaType(ServiceError):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class ImportFileError(ServiceError):
    """A file given to an import cannot be read: hostile, truncated, or not of the kind named."""

    status = 422
    code = "bad-import-file"
    title = "The file cannot be imported"


class TooManyRequests(ServiceError):
    status = 429
    code = "rate-limited"
    title = "Too many requests"


class Unavailable(ServiceError):
    """Full for now (every live stream a process may hold is open): come back after
    ``retry_after`` seconds, which the answer's ``Retry-After`` says."""

    status = 503
    code = "unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after = retry_after


def problem_response(problem: dict[str, Any], headers: dict[str, str] | None = None) -> Response:
    """The problem as ``application/problem+json``, with the request id the logs carry."""
    if has_request_context():
        problem = {**problem, "request_id": request_id_of_request()}
    response = Response(json.dumps(problem), status=problem["status"], mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _wants_html() -> bool:
    return request.blueprint in {"moderate", "auth"} and not request.is_json


def _render(status: int, code: str, title: str, detail: str, headers: dict[str, str] | None):
    if _wants_html():
        body = render_template("error.html", status=status, title=title, detail=detail)
        return Response(body, status=status, headers=headers or {}, mimetype="text/html")
    problem = {
        "type": f"about:blank#{code}",
        "title": title,
        "status": status,
        "code": code,
        "detail": detail,
    }
    return problem_response(problem, headers)


FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


F = TypeVar("F", bound=Callable[..., Any])


def checks_its_own_input(view: F) -> F:
    """Mark a view that must answer even a malformed request in its own protocol (XML-RPC,
    TrackBack's XML): the NUL guard leaves it to call :func:`refuse_nul_bytes` itself."""
    view.checks_its_own_input = True  # type: ignore[attr-defined]
    return view


def _view_checks_its_own_input() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "checks_its_own_input", False)


def guard_nul_bytes() -> None:
    """The app-wide ``before_request`` guard (see :func:`refuse_nul_bytes`)."""
    if not _view_checks_its_own_input():
        refuse_nul_bytes()


def refuse_nul_bytes() -> None:
    """NUL reaches no view: PostgreSQL refuses it in text, so it would surface as a 500.

    Looks at the raw query string (every request, so no parsing) and at every name and every
    value of form fields: views read repeated fields with ``getlist``, not only the first."""
    query = request.environ.get("QUERY_STRING", "")
    values = [request.path]
    if request.method != "GET" and request.mimetype in FORM_TYPES:
        for name, value in request.form.items(multi=True):
            values.extend((name, value))
    if "%00" in query or "\x00" in query or any("\x00" in value for value in values):
        raise InvalidInput("The request contains a NUL character.")


def register_error_handlers(app: Flask) -> None:
    """Render every client error as problem details and log it; keep 5xx generic."""
    app.before_request(guard_nul_bytes)

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        log.info("client error %s %s: %s", error.status, error.code, error.detail)
        headers = None
        if isinstance(error, Unavailable):
            headers = {"Retry-After": str(error.retry_after)}
        if _wants_html():
            return _render(error.status, error.code, error.title, error.detail, headers)
        return problem_response(error.to_problem(), headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        log.info("http error %s on %s %s", status, request.method, request.path)
        code = (error.name or "error").lower().replace(" ", "-")
        headers = dict(error.get_headers()) if status == 405 else {}
        headers.pop("Content-Type", None)
        detail = error.description or error.name
        if status == 429:
            detail = f"Too many requests ({error.description}); wait a little and try again."
            code = "rate-limited"
            retry_after = retry_after_seconds()
            if retry_after is not None:
                headers["Retry-After"] = str(retry_after)
        return _render(status, code, error.name, detail, headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()  # or the error page's own queries fail on the broken transaction
        return _render(500, "internal", "Internal error", "Something went wrong on our side.", None)

    @app.errorhandler(sa.exc.DBAPIError)
    def _database_error(error: sa.exc.DBAPIError):
        """A lost database is a 503 to try again, and a read is first tried again here, once."""
        if not database.is_unavailable(error):
            return _unexpected(error)
        db.session.rollback()  # gives back the dead connection; the next one is a new one
        if database.may_retry():
            log.warning("database lost on %s %s; running it again", request.method, request.path)
            return _run_again(app)
        log.warning("database unavailable on %s %s: %s", request.method, request.path, error.orig)
        detail = "The database is unavailable for a moment; try again in a few seconds."
        headers = {"Retry-After": str(database.RETRY_AFTER_SECONDS)}
        return _render(503, "database-unavailable", "Service unavailable", detail, headers)


def _run_again(app: Flask):
    """The request's hooks and view once more, as ``full_dispatch_request`` runs them.

    The hooks run again too: one of them (sign-in, operator checks) may be what failed."""
    try:
        answer = app.preprocess_request()
        return app.dispatch_request() if answer is None else answer
    except Exception as error:  # handled as the first run's errors are
        return app.handle_user_exception(error)
