"""``GET /``: a page that says what this service is and where to go next.

The address a newcomer opens first (``commentsvc demo`` prints it) answers a page rather than
the API's JSON 404: the demo blog (``DEMO_BLOG_URL``, set by ``commentsvc demo`` only), the
moderation queue, the API description and the tag a site pastes. It shows nothing about anyone,
so it is the same for every visitor and may be cached briefly.
"""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, current_app, g, render_template, request

bp = Blueprint("home", __name__)


def _nonce() -> str:
    if "home_nonce" not in g:
        g.home_nonce = secrets.token_urlsafe(18)
    return g.home_nonce


@bp.get("/")
def home() -> Response:
    service = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    page = render_template(
        "home.html",
        service=service,
        demo_blog=current_app.config.get("DEMO_BLOG_URL"),
        nonce=_nonce(),
    )
    response = Response(page, mimetype="text/html")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{_nonce()}'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
