"""The request handler of the development servers (``serve``, ``demo``): werkzeug's, with its
access line as the shipped gunicorn settings write theirs.

werkzeug logs the client's address and the whole request line, query string included (an
OAuth callback's code and state); docs/observability.md says neither is ever logged. So: the
method, the path without its query, the status and the size, token-like segments masked; in
JSON mode none at all (the app writes its own ``commentsvc.access`` line, as under gunicorn).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler

from commentsvc.logs import redact

log = logging.getLogger("werkzeug")


def request_handler(app: Flask) -> type[WSGIRequestHandler]:
    """The handler for a server of ``app`` (its log format decides the access line)."""
    is_json = app.config["LOG_FORMAT"] == "json"
    return type("RequestHandler", (RequestHandler,), {"writes_access_lines": not is_json})


class RequestHandler(WSGIRequestHandler):
    writes_access_lines = True

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        if not self.writes_access_lines:
            return
        path = redact(self.path.partition("?")[0])
        log.info('"%s %s" %s %s', self.command, path, getattr(code, "value", code), size)

    def log(self, type: str, message: str, *args: Any) -> None:
        """werkzeug's other lines (errors), without the client's address or a query string."""
        text = message % args if args else message
        getattr(log, type)(redact(text.partition("?")[0] if "?" in text else text))
