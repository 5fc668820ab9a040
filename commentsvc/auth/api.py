"""``/api/auth``: the widget renews and revokes its bearer token (no cookies involved).

Called cross-origin from the pages of any site; ``commentsvc.cors`` answers CORS for every
``/api/`` path. The bearer token, not the origin, is what authorises; a renewed token keeps the
site and origin of the one it replaces. Registering this blueprint also installs the check
that holds every token on the JSON API to its site.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from commentsvc.auth.tokens import current_grant, refuse_foreign_tokens
from commentsvc.errors import Unauthorized
from commentsvc.extensions import db
from commentsvc.services.accounts import revoke_tokens
from commentsvc.tokens import TokenGrant, issue_token

api_bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")
api_bp.before_app_request(refuse_foreign_tokens)


@api_bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _bearer_grant() -> TokenGrant:
    if not request.headers.get("Authorization", "").lower().startswith("bearer "):
        raise Unauthorized("Send the token as `Authorization: Bearer <token>`.")
    grant = current_grant()
    if grant is None:
        raise Unauthorized("The token is invalid, expired or revoked; sign in again.")
    return grant


@api_bp.post("/refresh")
def refresh() -> Response:
    """A fresh token for a still-valid one, for the same site and origin:
    ``{"token", "expires_at"}``."""
    grant = _bearer_grant()
    token, expires_at = issue_token(grant.account, grant.site, grant.origin)
    return jsonify(token=token, expires_at=expires_at.isoformat().replace("+00:00", "Z"))


@api_bp.post("/logout")
def logout() -> tuple[str, int]:
    """Revoke: every token of the account (and its service sessions) stops working."""
    grant = _bearer_grant()
    revoke_tokens(grant.account)
    db.session.commit()
    return "", 204
