"""``POST /trackback/<site>?url=PAGE``: TrackBack 1.2, verified like the others.

The sender's title, excerpt and blog name are ignored: the worker reads them from the
source page itself, as it does for pingbacks, so a trackback cannot claim what it is not.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Response, current_app, request

from commentsvc.errors import ServiceError
from commentsvc.extensions import limiter
from commentsvc.mentions import bp
from commentsvc.mentions.receive import receive
from commentsvc.models import MentionKind
from commentsvc.services.sites import get_site


def _client_limit() -> str:
    return current_app.config["RATELIMIT_MENTION_CLIENT"]


def _answer(error: str | None) -> Response:
    body = '<?xml version="1.0" encoding="utf-8"?>\n<response>\n'
    if error is None:
        body += "<error>0</error>\n"
    else:
        body += f"<error>1</error>\n<message>{escape(error)}</message>\n"
    return Response(body + "</response>\n", mimetype="text/xml")


@bp.post("/trackback/<site_name>")
@limiter.limit(_client_limit, error_message="Too many trackbacks from this address.")
def trackback(site_name: str) -> Response:
    try:
        site = get_site(site_name)
        source, target = request.form.get("url", ""), request.args.get("url", "")
        receive(site, source, target, MentionKind.TRACKBACK)
    except ServiceError as error:
        return _answer(error.detail)
    return _answer(None)
