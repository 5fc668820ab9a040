"""Who is calling: a bearer token (the widget, immune to third-party cookie blocking) or the
session cookie (pages on the service's own origin, such as the moderation queue).

Tokens are signed and short-lived; bumping ``Account.token_generation`` revokes them all.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app, request, session
from itsdangerous import BadSignature, URLSafeTimedSerializer

from commentsvc.extensions import db
from commentsvc.models import Account

TOKEN_LIFETIME = timedelta(hours=1)
_SALT = "commentsvc.api-token"
_CACHE_KEY = "commentsvc.account"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_token(account: Account) -> tuple[str, datetime]:
    """A bearer token for ``account`` and the time it expires."""
    token = _serializer().dumps({"a": account.id, "g": account.token_generation})
    return token, datetime.now(UTC) + TOKEN_LIFETIME


def account_from_token(token: str) -> Account | None:
    try:
        payload = _serializer().loads(token, max_age=int(TOKEN_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    account = db.session.get(Account, payload.get("a"))
    if account is None or account.token_generation != payload.get("g"):
        return None
    return account


def _account_from_session() -> Account | None:
    account_id = session.get("account_id")
    if account_id is None:
        return None
    account = db.session.get(Account, account_id)
    if account is None or account.token_generation != session.get("generation"):
        return None
    return account


# The widget's token lives in the storage of every embedding site's pages: it may post and
# edit comments through the JSON API, and nothing else (no moderation, no account pages).
BEARER_BLUEPRINTS = frozenset({"api", "auth_api"})


def current_account() -> Account | None:
    """The signed-in account of this request, or None (a guest).

    Cached on the request itself (not ``g``): an app context can outlive one request.
    """
    if _CACHE_KEY not in request.environ:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if request.blueprint not in BEARER_BLUEPRINTS:
            request.environ[_CACHE_KEY] = _account_from_session()
        elif scheme.lower() == "bearer" and token:
            request.environ[_CACHE_KEY] = account_from_token(token.strip())
        else:
            request.environ[_CACHE_KEY] = _account_from_session()
    return request.environ[_CACHE_KEY]
