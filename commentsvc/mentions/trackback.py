"""``POST /trackback/<site>?url=PAGE``: TrackBack 1.2, verified like the others.

The sender's title, excerpt and blog name are ignored: the worker reads them from the
source page itself, as it does for pingbacks, so a trackback cannot claim what it is not.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from commentsvc.errors import ServiceError, checks_its_own_input, refuse_nul_bytes
from commentsvc.mentions import bp
from commentsvc.mentions.receive import receive
from commentsvc.models import MentionKind
from commentsvc.services.sites import get_site


def _answer(error: str | None) -> Response:
    body = '<?xml version="1.0" encoding="utf-8"?>\n<response>\n'
    if error is None:
        body += "<error>0</error>\n"
    else:
        body += f"<error>1</error>\n<message>{escape(error)}</message>\n"
    return Response(body + "</response>\n", mimetype="text/xml")


@bp.post("/trackback/<site_name>")
@checks_its_own_input
def trackback(site_name: str) -> Response:
    try:
        refuse_nul_bytes()
        site = get_site(site_name)
        source, target = request.form.get("url", ""), request.args.get("url", "")
        receive(site, source, target, MentionKind.TRACKBACK)
    except ServiceError as error:
        return _answer(error.detail)
    except RequestEntityTooLarge:  # TrackBack senders read the XML answer, not the status
        return _answer("The request is too large.")
    return _answer(None)
