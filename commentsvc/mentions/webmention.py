"""``POST /webmention/<site>`` (W3C Webmention) and its status URL.

Validation failures are 400 with the reason; an accepted request is ``201 Created`` with a
``Location`` that reports pending / verified / rejected and why. A re-sent webmention asks
for a new check of the same mention (an update, or a deletion when the link or the page is
gone); it never creates a second one.
"""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from commentsvc.errors import InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.mentions import bp
from commentsvc.mentions.receive import receive
from commentsvc.models import Mention, MentionKind, Verification
from commentsvc.models.base import MAX_ID
from commentsvc.models.mention import Rejection
from commentsvc.services.sites import get_site

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _tokens() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="webmention-status")


@bp.post("/webmention/<site_name>")
def webmention(site_name: str) -> tuple[Response, int, dict[str, str]]:
    site = get_site(site_name)
    if request.mimetype not in FORM_TYPES:
        raise InvalidInput("Send source and target as application/x-www-form-urlencoded.")
    recorded = receive(
        site, request.form.get("source", ""), request.form.get("target", ""), MentionKind.WEBMENTION
    )
    token = _tokens().dumps(recorded.mention.id)
    location = url_for("mentions.webmention_status", site_name=site.name, token=token)
    location = _absolute(location)
    body = _status(recorded.mention) | {"location": location}
    return jsonify(body), 201, {"Location": location}


def _absolute(path: str) -> str:
    public = current_app.config.get("PUBLIC_URL")
    return f"{public}{path}" if public else f"{request.host_url.rstrip('/')}{path}"


@bp.get("/webmention/<site_name>/status/<token>")
def webmention_status(site_name: str, token: str) -> Response:
    try:
        mention_id = _tokens().loads(token)
    except BadSignature as error:
        raise NotFound("There is no webmention with this status URL.") from error
    if type(mention_id) is not int or not 0 < mention_id <= MAX_ID:  # never one of ours
        raise NotFound("There is no webmention with this status URL.")
    mention = db.session.get(Mention, mention_id, populate_existing=True)
    if mention is None or mention.site.name != site_name:
        raise NotFound("There is no webmention with this status URL.")
    response = jsonify(_status(mention))
    response.headers["Cache-Control"] = "no-store"
    return response


# What a sender reads: one text per reason code. The fetcher's own words (kept in the
# database for operators, and logged) name addresses a host name resolved to, which would
# let anyone who can send a webmention resolve internal names through the service.
PUBLIC_REASONS = {
    Rejection.UNREACHABLE.value: "the source could not be fetched",
    Rejection.NO_LINK.value: "the source does not link to the target",
    Rejection.GONE.value: "the source is gone",
    Rejection.INTERNAL.value: "the source could not be checked",
}
RETRYING = "the source could not be fetched yet; it will be tried again"


def _public_reason(mention: Mention, state: str) -> str | None:
    if state == "pending":
        return RETRYING if mention.attempts > 0 else None
    if state == "rejected":
        return PUBLIC_REASONS.get(mention.rejection_code or "", PUBLIC_REASONS["unreachable"])
    return None


def _status(mention: Mention) -> dict[str, object]:
    """The mention as its sender may see it: the check's state and a generic reason."""
    if mention.is_check_pending:
        state = "pending"
    elif mention.verification == Verification.VERIFIED:
        state = "verified"
    else:
        state = "rejected"
    return {
        "status": state,
        "verification": mention.verification.value,
        "reason": _public_reason(mention, state),
        "reason_code": mention.rejection_code if state == "rejected" else None,
        "moderation": mention.status.value,
        "source": mention.source,
        "target": mention.target,
        "type": mention.type.value,
        "updated": mention.updated_at.isoformat().replace("+00:00", "Z"),
    }
