"""Signed links sent by email: confirm an address, reset a password, stop reply notifications.

Each kind has its own salt, so one kind of link can never be used as another. A reset link
carries a fingerprint of the current password hash: it works once, until the password changes.

Below the views on purpose: the mail jobs (``workers.mail``, ``workers.notify``) build the links
and the /auth views check them, so neither layer imports the other. ``base_url`` is the
service's public URL (``PUBLIC_URL``), never a client's ``Host`` header.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Account

VERIFY_LIFETIME = timedelta(days=3)
RESET_LIFETIME = timedelta(hours=1)


def _serializer(kind: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"commentsvc.{kind}")


def _load(kind: str, token: str, max_age: timedelta | None) -> dict[str, Any]:
    try:
        data = _serializer(kind).loads(
            token, max_age=int(max_age.total_seconds()) if max_age else None
        )
    except BadSignature as error:
        raise InvalidInput("This link is invalid or has expired; ask for a new one.") from error
    if not isinstance(data, dict):
        raise InvalidInput("This link is invalid; ask for a new one.")
    return data


def _password_fingerprint(account: Account) -> str:
    return hashlib.sha256((account.password_hash or "").encode()).hexdigest()[:16]


def verify_token(account: Account) -> str:
    return _serializer("verify-email").dumps({"a": account.id, "e": account.email})


def account_from_verify_token(token: str) -> tuple[Account, str]:
    data = _load("verify-email", token, VERIFY_LIFETIME)
    account = db.session.get(Account, data.get("a"))
    if account is None or not isinstance(data.get("e"), str):
        raise InvalidInput("This link is for an account that no longer exists.")
    return account, data["e"]


def reset_token(account: Account) -> str:
    return _serializer("reset-password").dumps(
        {"a": account.id, "p": _password_fingerprint(account)}
    )


def account_from_reset_token(token: str) -> Account:
    data = _load("reset-password", token, RESET_LIFETIME)
    account = db.session.get(Account, data.get("a"))
    if account is None or data.get("p") != _password_fingerprint(account):
        raise InvalidInput("This reset link was used already or has expired; ask for a new one.")
    return account


def unsubscribe_token(comment_id: int) -> str:
    return _serializer("unsubscribe").dumps({"c": comment_id})


def comment_id_from_unsubscribe_token(token: str) -> int:
    data = _load("unsubscribe", token, None)
    comment_id = data.get("c")
    if not isinstance(comment_id, int):
        raise InvalidInput("This link is invalid.")
    return comment_id


def verify_link(base_url: str, account: Account) -> str:
    """Confirms the account's current address (the link names it)."""
    return f"{base_url}/auth/verify/{verify_token(account)}"


def reset_link(base_url: str, account: Account) -> str:
    return f"{base_url}/auth/reset/{reset_token(account)}"


def forgot_link(base_url: str) -> str:
    return f"{base_url}/auth/forgot"


def unsubscribe_link(base_url: str, comment_id: int) -> str:
    return f"{base_url}/auth/unsubscribe/{unsubscribe_token(comment_id)}"


NOTIFY_CONFIRM_LIFETIME = timedelta(days=3)


def notify_confirm_link(base_url: str, address: str) -> str:
    """Confirms that ``address`` wants reply notifications (the link names it)."""
    token = _serializer("confirm-notify").dumps({"e": address})
    return f"{base_url}/notify/confirm/{token}"


def address_from_notify_confirm_token(token: str) -> str:
    address = _load("confirm-notify", token, NOTIFY_CONFIRM_LIFETIME).get("e")
    if not isinstance(address, str):
        raise InvalidInput("This link is invalid.")
    return address
