"""Site accounts: creation, password hashing (argon2) and checking with lock-out, profile,
token revocation, operator roles.

Addresses are stored lower-cased and looked up without regard to case: ``OPA@example.org``
and ``opa@example.org`` are one account. Lock-out after wrong passwords is per account *and*
client address: whoever guesses is locked out, the owner signing in from elsewhere is not.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta
from email.errors import HeaderParseError
from email.headerregistry import Address

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from commentsvc.chars import one_line
from commentsvc.errors import Conflict, InvalidInput, ServiceError
from commentsvc.extensions import db
from commentsvc.models import Account, SiteOperator
from commentsvc.models.account import LoginFailure
from commentsvc.models.base import utcnow
from commentsvc.services.sites import get_site

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024  # argon2 hashes anything, but a megabyte password is an attack
MAX_DISPLAY_NAME = 80
MAX_AVATAR_URL = 1024
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


_NOT_IN_AN_ADDRESS = frozenset(',;<>()[]"\\:')


def normalise_email(email: str) -> str:
    """One plain address (``ann@example.org``) as stored and compared: trimmed, in Unicode's
    composed form and lower-cased (mail providers treat the local part without regard to case,
    and two accounts differing only in case are a trap).

    Lists, groups, display names, quoted or bracketed parts and control characters are refused:
    the address goes into a ``To`` header, where any of them would reach several inboxes or
    break the message.
    """
    email = unicodedata.normalize("NFC", (email or "").strip())
    refusal = InvalidInput(
        "Give one email address, like ann@example.org (no lists or names).", field="email"
    )
    if len(email) > 254 or any(
        ch in _NOT_IN_AN_ADDRESS or ch.isspace() or not ch.isprintable() for ch in email
    ):
        raise refusal
    try:
        address = Address(addr_spec=email)
    except (ValueError, IndexError, HeaderParseError):
        raise refusal from None
    if not address.username or "." not in address.domain:
        raise refusal
    return email.lower()


def _email_is(email: str) -> sa.ColumnElement[bool]:
    """Matches ``email`` (normalised) without regard to case, rows stored before included."""
    return sa.func.lower(Account.email) == email


def create_account(
    email: str,
    display_name: str,
    password: str | None,
    *,
    operator_of: Sequence[str] = (),
    is_email_verified: bool = False,
) -> Account:
    email = normalise_email(email)
    display_name = one_line(display_name or "")
    if not display_name or len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidInput(f"A display name is 1-{MAX_DISPLAY_NAME} characters.", field="name")
    if password is not None:
        check_new_password(password)
    if db.session.scalar(sa.select(Account.id).where(_email_is(email))) is not None:
        raise Conflict(f"An account for {email} exists already.")
    account = Account(
        email=email,
        display_name=display_name,
        password_hash=hash_password(password) if password else None,
        is_email_verified=is_email_verified,
    )
    db.session.add(account)
    try:  # no savepoint: pysqlite would commit the account at once, before the caller's checks
        db.session.flush()
    except sa.exc.IntegrityError:  # a concurrent registration of the address won
        db.session.rollback()
        raise Conflict(f"An account for {email} exists already.") from None
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
    """One message for an unknown email, a wrong password, a locked account and an address not
    confirmed yet: no enumeration (a stranger who registers a taken address and then signs in
    with the password they chose must not tell it from a free one)."""

    status = 401
    code = "sign-in-refused"
    title = "Sign-in refused"

    def __init__(self) -> None:
        super().__init__(
            "That email and password do not match a confirmed account, or the account is locked "
            "for a while after repeated failures. Check them, wait a few minutes, or reset your "
            "password. Just registered? Follow the link we mailed to confirm the address first."
        )


class EmailNotVerified(SignInRefused):
    """The right password for an address not confirmed yet: said as any refusal is; the view
    mails the address a new link."""

    def __init__(self, account: Account) -> None:
        super().__init__()
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
    return db.session.scalar(sa.select(Account).where(_email_is(email)))


def _failures(account: Account, address: str) -> LoginFailure | None:
    return db.session.scalar(
        sa.select(LoginFailure).where(
            LoginFailure.account_id == account.id, LoginFailure.address == address
        )
    )


def _failure_record(account: Account, address: str) -> LoginFailure:
    """The failures of ``address`` on ``account``, recorded if new, and locked until the caller
    commits: guesses sent at once from one address are checked one after another, each seeing
    the count the last one left (else a burst would all be checked before any lock took)."""
    record = _failures(account, address)
    if record is None:
        try:
            with db.session.begin_nested():
                record = LoginFailure(account_id=account.id, address=address, failures=0)
                db.session.add(record)
        except sa.exc.IntegrityError:  # a concurrent attempt from the same address
            record = _failures(account, address)
            if record is None:
                raise
    db.session.refresh(record, with_for_update=True)
    return record


def _count_failure(record: LoginFailure, now: datetime) -> None:
    """One more wrong password; the :data:`MAX_FAILED_LOGINS`-th within :data:`LOCK_DURATION`
    of each other locks that address out for :data:`LOCK_DURATION`."""
    if record.failures and record.last_failed_at < now - LOCK_DURATION:
        record.failures = 0
    record.failures += 1
    record.last_failed_at = now
    if record.failures >= MAX_FAILED_LOGINS:
        record.locked_until = now + LOCK_DURATION
        record.failures = 0
    stale = (  # what can no longer lock anyone; a row another attempt holds waits its turn
        sa.select(LoginFailure.id)
        .where(
            LoginFailure.account_id == record.account_id,
            LoginFailure.last_failed_at < now - 2 * LOCK_DURATION,
        )
        .with_for_update(skip_locked=True)
    )
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.id.in_(stale)))
    db.session.flush()


def authenticate(email: str, password: str, address: str) -> Account:
    """The account whose email and password these are, asked from client ``address`` (a key
    the caller derives from it). Failures are counted per account and address, and lock that
    address out of that account after :data:`MAX_FAILED_LOGINS` of them for
    :data:`LOCK_DURATION`; other addresses, the owner's, are not affected."""
    account = find_account_by_email(email)
    if account is None or not account.password_hash:
        _spend_equal_time(password)
        raise SignInRefused()
    record = _failure_record(account, address)
    now = utcnow()
    is_locked = record.locked_until is not None and record.locked_until > now
    is_right = _verify(account.password_hash, password)
    if is_locked:
        raise SignInRefused()
    if not is_right:
        _count_failure(record, now)
        raise SignInRefused()
    db.session.delete(record)
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
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.account_id == account.id))
    revoke_tokens(account)


def revoke_tokens(account: Account) -> None:
    """Every bearer token and session issued so far for ``account`` stops working."""
    account.token_generation = (account.token_generation or 0) + 1
    db.session.flush()


def mark_email_verified(account: Account, email: str) -> None:
    """Confirms ``email`` only if it is still the account's address (the link names it)."""
    if account.email is None or account.email.lower() != email.lower():
        raise InvalidInput("This confirmation link is for an address the account no longer has.")
    account.is_email_verified = True
    db.session.flush()


def update_profile(account: Account, display_name: str, avatar_url: str | None) -> None:
    """The commenter's own name and avatar, overriding what the provider said."""
    display_name = one_line(display_name or "")
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
