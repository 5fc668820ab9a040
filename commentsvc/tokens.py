"""The widget's bearer tokens: signed, short-lived, and bound to one site and one origin.

A token is what the sign-in popup hands to the page that opened it, so it must be worth nothing
on any other site: its payload names the site and the page origin it was issued for, and
``commentsvc.auth.tokens`` refuses it for every other site's threads and comments. Bumping
``Account.token_generation`` revokes every token of the account.

Below the views on purpose: the /auth views issue tokens and the API checks them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from commentsvc.extensions import db
from commentsvc.models import Account

TOKEN_LIFETIME = timedelta(hours=1)
# A new salt for the site-bound payload: tokens issued before it (no site) are simply invalid.
_SALT = "commentsvc.api-token.site-bound"


@dataclass(frozen=True)
class TokenGrant:
    """Who a valid token speaks for, and where: ``site`` (its name) from ``origin``."""

    account: Account
    site: str
    origin: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def issue_token(account: Account, site: str, origin: str) -> tuple[str, datetime]:
    """A bearer token for ``account`` on ``site`` seen from ``origin``, and when it expires.

    The caller has checked that ``origin`` is one of the site's origins.
    """
    payload = {"a": account.id, "g": account.token_generation, "s": site, "o": origin}
    return _serializer().dumps(payload), datetime.now(UTC) + TOKEN_LIFETIME


def read_token(token: str) -> TokenGrant | None:
    """The grant of a valid, unexpired, unrevoked token; None for anything else."""
    try:
        payload = _serializer().loads(token, max_age=int(TOKEN_LIFETIME.total_seconds()))
    except BadSignature:
        return None
    if not isinstance(payload, dict):
        return None
    site, origin, account_id = payload.get("s"), payload.get("o"), payload.get("a")
    if not isinstance(site, str) or not isinstance(origin, str) or not isinstance(account_id, int):
        return None
    account = db.session.get(Account, account_id)
    if account is None or account.token_generation != payload.get("g"):
        return None
    return TokenGrant(account=account, site=site, origin=origin)
