"""``POST /api/sites/<site>/outbound/ping``: a static-site build asks for a pass over its feeds.

The caller presents the site's own token (``commentsvc site token NAME``) as
``Authorization: Bearer``. That is not a reader's sign-in token, so this view lives on its own
blueprint, outside :data:`commentsvc.auth.tokens.BEARER_BLUEPRINTS`: the reader-token hook
never reads (or refuses) the header here, and a reader's token is never a site token here.
The answer is 202 at once; the checks, reads and sends run as jobs (recorded, committed, then
enqueued).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request

from commentsvc.clientip import client_network
from commentsvc.errors import Forbidden, Unauthorized
from commentsvc.extensions import db, limiter
from commentsvc.job_names import Job, check_feed_job_id
from commentsvc.jobs import enqueue
from commentsvc.services.feeds import request_pass
from commentsvc.services.site_tokens import is_site_token
from commentsvc.services.sites import get_site

bp = Blueprint("outbound_api", __name__, url_prefix="/api")


def _ping_limit() -> str:
    return current_app.config["RATELIMIT_OUTBOUND_PING"]


def _ping_key() -> str:
    """Per site and caller: someone else's failed attempts never use up a site's own pings."""
    return f"outbound-ping:{(request.view_args or {}).get('site_name')}:{client_network()}"


def _site_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send the site's token as `Authorization: Bearer <token>`; "
            "`commentsvc site token NAME` makes one."
        )
    return token.strip()


@bp.post("/sites/<site_name>/outbound/ping")
@limiter.limit(_ping_limit, key_func=_ping_key)
def ping(site_name: str) -> tuple[dict[str, Any], int]:
    """Make every feed of the site due now and enqueue their checks; 202."""
    token = _site_token()
    site = get_site(site_name)
    if not is_site_token(site, token):
        raise Forbidden(
            f"This is not the current token of site {site_name!r} (a reader's sign-in token "
            "never is); make a new one with `commentsvc site token NAME`."
        )
    feed_ids = request_pass(site)
    db.session.commit()
    for feed_id in feed_ids:
        enqueue(Job.CHECK_FEED, feed_id, job_id=check_feed_job_id(feed_id), retry_delays=())
    return {"site": site.name, "feeds": len(feed_ids), "status": "accepted"}, 202
