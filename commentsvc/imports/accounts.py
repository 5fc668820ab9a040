"""Accounts named by this service's own export, brought in only when the instance's admin
asks (``commentsvc import json --with-accounts``): found by provider identity or address, else
created with the identities the file names.

Only for files the admin trusts (their own export): whoever writes the file decides which
provider identity signs in to which account, and whether an address counts as confirmed.
Uploads on the operators' page never bring accounts. Never a password or a token: an imported
account signs in again through its provider, or sets a password through the usual reset.
"""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.imports.records import ImportedAccount
from commentsvc.models import Account, Identity


def _find(record: ImportedAccount) -> Account | None:
    for provider, subject in record.identities:
        identity = db.session.scalar(
            sa.select(Identity).where(Identity.provider == provider, Identity.subject == subject)
        )
        if identity is not None:
            return identity.account
    if record.email:
        return db.session.scalar(
            sa.select(Account).where(sa.func.lower(Account.email) == record.email.lower())
        )
    return None


def store_account(record: ImportedAccount) -> int:
    """The id of the account ``record`` describes, created when no account matches it."""
    account = _find(record)
    if account is None:
        account = Account(
            display_name=record.display_name[:80],
            email=record.email.lower() if record.email else None,
            website=record.website,
            avatar_url=record.avatar_url,
            is_email_verified=record.is_email_verified,
        )
        account.identities = [
            Identity(provider=provider, subject=subject) for provider, subject in record.identities
        ]
        db.session.add(account)
        db.session.flush()
    return account.id
