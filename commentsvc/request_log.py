"""Per-request bookkeeping: the request id, the request metrics and (in JSON mode) one log
line per request.

Two hooks and nothing else on the hot path: the first ``before_request`` hook notes the
time; the ``after_request`` hook records the URL rule (never the raw path, which carries
tokens and unbounded values), the status and the duration, and returns the request id in
``X-Request-ID``. The log line carries no query string (OAuth callbacks put codes there), no
client address and no header.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request

from commentsvc import metrics
from commentsvc.request_ids import HEADER, request_id_of_request

access_log = logging.getLogger("commentsvc.access")
UNMATCHED = "<unmatched>"  # no URL rule: a 404 for a path nobody serves, or a 405
_STARTED = "commentsvc.started"


def route_of_request() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else UNMATCHED


def _start() -> None:
    request.environ[_STARTED] = time.perf_counter()


def _record(response: Response) -> tuple[str, float]:
    seconds = time.perf_counter() - request.environ.get(_STARTED, time.perf_counter())
    route = route_of_request()
    metrics.observe_request(route, request.method, response.status_code, seconds)
    response.headers[HEADER] = request_id_of_request()
    return route, seconds


def _finish(response: Response) -> Response:
    _record(response)
    return response


def _finish_and_log(response: Response) -> Response:
    route, seconds = _record(response)
    access_log.info(
        "%s %s %s",
        request.method,
        route,
        response.status_code,
        extra={"status": response.status_code, "duration": round(seconds, 6)},
    )
    return response


def init_app(app: Flask) -> None:
    """Install the hooks; the timing hook runs before every other ``before_request`` hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    is_json = app.config["LOG_FORMAT"] == "json"
    app.after_request(_finish_and_log if is_json else _finish)
