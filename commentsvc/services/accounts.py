"""Site accounts: creation, password hashing (argon2), operator roles."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from argon2 import PasswordHasher

from commentsvc.errors import Conflict, InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Account, SiteOperator
from commentsvc.services.sites import get_site

MIN_PASSWORD_LENGTH = 10
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
    if not display_name or len(display_name) > 80:
        raise InvalidInput("A display name is 1-80 characters.")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"A password has at least {MIN_PASSWORD_LENGTH} characters.")
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
