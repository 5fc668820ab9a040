"""Commenter accounts, the provider identities linked to them, operator roles, and the
password failures counted per account and client address."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, utcnow


def _first_generation() -> int:
    """Random, not 0: SQLite gives a deleted account's id to the next account created, and a
    session or token of the deleted one (its id and generation) must not fit the new one.
    Below 2**30, so that bumps never outgrow a 32-bit column."""
    return secrets.randbelow(2**30)


class Account(db.Model):
    __tablename__ = "account"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased; unique without regard to case when present (the index below).
    # OAuth-only accounts may have none.
    email: Mapped[str | None] = mapped_column(sa.String(254))
    display_name: Mapped[str] = mapped_column(sa.String(80))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(1024))
    website: Mapped[str | None] = mapped_column(sa.String(512))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    is_email_verified: Mapped[bool] = mapped_column(default=False)
    # Bumped on sign-out everywhere / password change: every token with an older value dies.
    token_generation: Mapped[int] = mapped_column(default=_first_generation)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    identities: Mapped[list[Identity]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )
    operator_roles: Mapped[list[SiteOperator]] = relationship(
        back_populates="account", cascade="all, delete-orphan"
    )

    def operates(self, site_id: int) -> bool:
        return any(role.site_id == site_id for role in self.operator_roles)


# Rows written before addresses were normalised may differ in case: the index still holds.
sa.Index("uq_account_email_lower", sa.func.lower(Account.email), unique=True)


class LoginFailure(db.Model):
    """Wrong passwords for one account from one client address (its keyed hash, an IPv6
    client's /64): the lock they lead to keeps that address out, never the account's owner."""

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "address", name="uq_login_failure_account_address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(sa.String(64))
    failures: Mapped[int] = mapped_column(default=0)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Identity(db.Model):
    """One provider's user (``provider`` + ``subject``), linked to exactly one account."""

    __tablename__ = "identity"
    __table_args__ = (
        sa.UniqueConstraint("provider", "subject", name="uq_identity_provider_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    provider: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(255))
    display_name: Mapped[str | None] = mapped_column(sa.String(80))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(1024))
    profile_url: Mapped[str | None] = mapped_column(sa.String(1024))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship(back_populates="identities")


class SiteOperator(db.Model):
    __tablename__ = "site_operator"
    __table_args__ = (
        sa.UniqueConstraint("account_id", "site_id", name="uq_site_operator_account_site"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id", ondelete="CASCADE"))
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)

    account: Mapped[Account] = relationship(back_populates="operator_roles")
