"""Site accounts: creation, password hashing (argon2) and checking with lock-out, profile,
token revocation, operator roles."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from commentsvc.errors import Conflict, InvalidInput, ServiceError
from commentsvc.extensions import db
from commentsvc.models import Account, SiteOperator
from commentsvc.models.base import utcnow
from commentsvc.services.sites import get_site

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte password is an attack
MAX_DISPLAY_NAME = 80
MAX_AVATAR_URL = 1024
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    email = (email or "").strip()
    local, at, domain = email.rpartition("@")
    if not at or not local or "." not in domain or len(email) > 254 or " " in email:
        raise InvalidInput(f"{email!r} is not an email address.")
    return f"{local}@{domain.lower()}"


def create_account(
    email: str,
    display_name: str,
    password: str | None,
    *,
    operator_of: Sequence[str] = (),
    is_email_verified: bool = False,
) -> Account:
    email = normalise_email(email)
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidInput(f"A display name is 1-{MAX_DISPLAY_NAME} characters.", field="name")
    if password is not None:
        check_new_password(password)
    if db.session.scalar(sa.select(Account.id).where(Account.email == email)) is not None:
        raise Conflict(f"An account for {email} exists already.")
    account = Account(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        is_email_verified=is_email_verified,
    )
    db.session.add(account)
    db.session.flush()
    for site_name in operator_of:
        grant_operator(account, site_name)
    return account


def grant_operator(account: Account, site_name: str) -> SiteOperator:
    site = get_site(site_name)
    role = SiteOperator(account_id=account.id, site_id=site.id)
    db.session.add(role)
    db.session.flush()
    return role


# ---------------------------------------------------------------- signing in with a password

MAX_FAILED_LOGINS = 5
LOCK_DURATION = timedelta(minutes=15)
_dummy_hash: str | None = None


class SignInRefused(ServiceError):
    """One message for an unknown email, a wrong password and a locked account: no enumeration."""

    status = 401
    code = "sign-in-refused"
    title = "Sign-in refused"

    def __init__(self) -> None:
        super().__init__(
            "That email and password do not match an account, or the account is locked for a "
            "while after repeated failures. Check them, wait a few minutes, or reset your password."
        )


class EmailNotVerified(ServiceError):
    """Only said to someone who gave the right password: it reveals nothing to a stranger."""

    status = 403
    code = "email-not-verified"
    title = "Email not confirmed"

    def __init__(self, account: Account) -> None:
        super().__init__(
            f"Confirm your email first: we sent a new link to {account.email}; follow it, "
            "then sign in."
        )
        self.account = account


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _spend_equal_time(password: str) -> None:
    """Hash against a throw-away hash so an unknown email costs what a known one does."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    _verify(_dummy_hash, password)


def find_account_by_email(email: str) -> Account | None:
    try:
        email = normalise_email(email)
    except InvalidInput:
        return None
    return db.session.scalar(sa.select(Account).where(Account.email == email))


def authenticate(email: str, password: str) -> Account:
    """The account whose email and password these are; counts failures and locks after
    :data:`MAX_FAILED_LOGINS` of them for :data:`LOCK_DURATION`."""
    account = find_account_by_email(email)
    if account is None or not account.password_hash:
        _spend_equal_time(password)
        raise SignInRefused()
    now = utcnow()
    is_locked = account.locked_until is not None and account.locked_until > now
    is_right = _verify(account.password_hash, password)
    if is_locked:
        raise SignInRefused()
    if not is_right:
        account.failed_logins = (account.failed_logins or 0) + 1
        if account.failed_logins >= MAX_FAILED_LOGINS:
            account.locked_until = now + LOCK_DURATION
            account.failed_logins = 0
        db.session.flush()
        raise SignInRefused()
    account.failed_logins = 0
    account.locked_until = None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    if not account.is_email_verified:
        db.session.flush()
        raise EmailNotVerified(account)
    db.session.flush()
    return account


def check_new_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"A password has at most {MAX_PASSWORD_LENGTH} characters.")


def set_password(account: Account, password: str) -> None:
    """A new password signs the account out everywhere and lifts a lock."""
    check_new_password(password)
    account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = None
    revoke_tokens(account)


def revoke_tokens(account: Account) -> None:
    """Every bearer token and session issued so far for ``account`` stops working."""
    account.token_generation = (account.token_generation or 0) + 1
    db.session.flush()


def mark_email_verified(account: Account, email: str) -> None:
    """Confirms ``email`` only if it is still the account's address (the link names it)."""
    if account.email != email:
        raise InvalidInput("This confirmation link is for an address the account no longer has.")
    account.is_email_verified = True
    db.session.flush()


def update_profile(account: Account, display_name: str, avatar_url: str | None) -> None:
    """The commenter's own name and avatar, overriding what the provider said."""
    display_name = (display_name or "").strip()
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidInput(f"A display name is 1-{MAX_DISPLAY_NAME} characters.", field="name")
    avatar_url = (avatar_url or "").strip() or None
    if avatar_url is not None and (
        not avatar_url.startswith("https://") or len(avatar_url) > MAX_AVATAR_URL
    ):
        raise InvalidInput("An avatar is an https:// image address.", field="avatar")
    account.display_name = display_name
    account.avatar_url = avatar_url
    db.session.flush()
