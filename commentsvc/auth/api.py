"""``/api/auth``: the widget renews and revokes its bearer token (no cookies involved).

Called cross-origin from the pages of any site; ``commentsvc.cors`` answers CORS for every
``/api/`` path. The bearer token, not the origin, is what authorises.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from commentsvc.auth.tokens import current_account, issue_token
from commentsvc.errors import Unauthorized
from commentsvc.extensions import db
from commentsvc.services.accounts import revoke_tokens

api_bp = Blueprint("auth_api", __name__, url_prefix="/api/auth")


@api_bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _bearer_account():
    if not request.headers.get("Authorization", "").lower().startswith("bearer "):
        raise Unauthorized("Send the token as `Authorization: Bearer <token>`.")
    account = current_account()
    if account is None:
        raise Unauthorized("The token is invalid, expired or revoked; sign in again.")
    return account


@api_bp.post("/refresh")
def refresh() -> Response:
    """A fresh token for a still-valid one: ``{"token", "expires_at"}``."""
    token, expires_at = issue_token(_bearer_account())
    return jsonify(token=token, expires_at=expires_at.isoformat().replace("+00:00", "Z"))


@api_bp.post("/logout")
def logout() -> tuple[str, int]:
    """Revoke: every token of the account (and its service sessions) stops working."""
    account = _bearer_account()
    revoke_tokens(account)
    db.session.commit()
    return "", 204
