"""Provider identities: one per (provider, subject), linked to exactly one account, never twice."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from commentsvc.errors import Conflict
from commentsvc.extensions import db
from commentsvc.models import Account, Identity
from commentsvc.models.base import MAX_ID


@dataclass(frozen=True)
class Profile:
    """A provider user, reduced to what an Identity stores."""

    provider: str
    subject: str
    display_name: str
    avatar_url: str | None = None
    profile_url: str | None = None


def find_identity(provider: str, subject: str) -> Identity | None:
    return db.session.scalar(
        sa.select(Identity).where(Identity.provider == provider, Identity.subject == subject)
    )


def sign_in_with(profile: Profile, link_to: Account | None = None) -> Account:
    """The account of this provider user, created on first sign-in (name and avatar from the
    provider), or ``link_to`` when the signed-in commenter adds this provider to their account.

    The provider's latest name and avatar are kept on the identity; the account's own are the
    commenter's to change and are only seeded from the first provider.
    """
    identity = find_identity(profile.provider, profile.subject)
    if identity is not None:
        if link_to is not None and identity.account_id != link_to.id:
            raise Conflict(
                "This sign-in is already linked to another account. Sign in with it, delete "
                "that account, then link it here."
            )
        _refresh(identity, profile)
        db.session.flush()
        return identity.account
    account = link_to
    if account is None:
        account = Account(display_name=profile.display_name, avatar_url=profile.avatar_url)
        db.session.add(account)
        db.session.flush()
    identity = Identity(account_id=account.id, provider=profile.provider, subject=profile.subject)
    _refresh(identity, profile)
    try:
        with db.session.begin_nested():
            db.session.add(identity)
    except sa.exc.IntegrityError:
        # A concurrent callback for the same provider user won the race: use its identity.
        if link_to is None:
            db.session.delete(account)
        winner = find_identity(profile.provider, profile.subject)
        if winner is None:
            raise
        return winner.account
    db.session.refresh(account, ["identities"])
    return account


def _refresh(identity: Identity, profile: Profile) -> None:
    identity.display_name = profile.display_name
    identity.avatar_url = profile.avatar_url
    identity.profile_url = profile.profile_url


def unlink_identity(account: Account, identity_id: int) -> None:
    """Removes one provider from the account, keeping at least one way to sign in."""
    identity = db.session.get(Identity, identity_id) if identity_id <= MAX_ID else None
    if identity is None or identity.account_id != account.id:
        raise Conflict("That sign-in is not linked to your account.")
    if len(account.identities) <= 1 and not account.password_hash:
        raise Conflict("This is your only way to sign in: add another before removing it.")
    db.session.delete(identity)
    db.session.flush()
    db.session.refresh(account, ["identities"])
