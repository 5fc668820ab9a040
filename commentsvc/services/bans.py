"""Bans: refuse posts on a site from a banned account, email address or IP hash."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from commentsvc.errors import Forbidden, InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Account, Ban, Site
from commentsvc.models.base import utcnow
from commentsvc.services.moderation import ensure_operates, record_audit

_HEX_DIGITS = frozenset("0123456789abcdef")  # what the queue shows of an address


class Banned(Forbidden):
    code = "banned"
    title = "You cannot post here"


def ensure_not_banned(
    site: Site,
    *,
    account: Account | None,
    email: str | None,
    ip_hash: str,
    address_hash: str | None = None,
) -> None:
    values = {
        "site_id": site.id,
        **ban_values(account=account, email=email, ip_hash=ip_hash, address_hash=address_hash),
    }
    refuse_if_banned(db.session.scalar(_ban_query(account is not None, bool(email)), values))


def refuse_if_banned(ban: Ban | None) -> None:
    if ban is not None:
        until = f" until {ban.expires_at:%Y-%m-%d %H:%M} UTC" if ban.expires_at else ""
        raise Banned(f"The moderators of this site have blocked you from commenting{until}.")


@cache
def _ban_query(by_account: bool, by_email: bool) -> sa.Select:
    """Built once per shape, since every edit asks (building a statement and its cache key
    costs more than running it)."""
    in_force = _in_force(by_account, by_email)
    return sa.select(Ban).where(Ban.site_id == sa.bindparam("site_id"), *in_force).limit(1)


def ban_in_force(
    site_id: sa.ColumnElement[int], *, by_account: bool, by_email: bool
) -> sa.ScalarSelect[int]:
    """The id of a ban in force on ``site_id`` against the poster of :func:`ban_values`, as a
    subquery: a post asks it in the query that reads the site."""
    query = sa.select(Ban.id).where(*_in_force(by_account, by_email))
    return query.where(Ban.site_id == site_id).limit(1).scalar_subquery()


def ban_values(
    *, account: Account | None, email: str | None, ip_hash: str, address_hash: str | None = None
) -> dict[str, object]:
    """The bound values of :func:`ban_in_force` (and of the check above): who posts, and when.

    ``ip_hash``: what the poster's comments store and the queue shows, their network's hash (an
    IPv6 client's /64); ``address_hash``: their address alone, which bans set before comments
    stored networks name."""
    return {
        "ban_ip_hash": ip_hash,
        "ban_address_hash": address_hash or ip_hash,
        "ban_account_id": account.id if account is not None else None,
        "ban_email": email.lower() if email else None,
        "ban_now": utcnow(),
    }


def _in_force(by_account: bool, by_email: bool) -> list[sa.ColumnElement[bool]]:
    conditions = [Ban.ip_hash.in_([sa.bindparam("ban_ip_hash"), sa.bindparam("ban_address_hash")])]
    if by_account:
        conditions.append(Ban.account_id == sa.bindparam("ban_account_id"))
    if by_email:
        conditions.append(sa.func.lower(Ban.email) == sa.bindparam("ban_email"))
    now = sa.bindparam("ban_now", type_=Ban.expires_at.type)
    return [sa.or_(*conditions), sa.or_(Ban.expires_at.is_(None), Ban.expires_at > now)]


def create_ban(
    actor: Account,
    site: Site,
    *,
    account_id: int | None = None,
    email: str | None = None,
    ip_hash: str | None = None,
    expires_at: datetime | None = None,
    reason: str | None = None,
) -> Ban:
    """Ban one commenter (by account, email and/or IP hash) from ``site``; audited."""
    ensure_operates(actor, site.id)
    email = (email or "").strip().lower() or None
    ip_hash = (ip_hash or "").strip().lower() or None
    reason = (reason or "").strip()[:300] or None
    if account_id is None and email is None and ip_hash is None:
        raise InvalidInput("A ban needs an account, an email address or an IP hash.")
    if email is not None and (len(email) > 254 or "@" not in email):
        raise InvalidInput(f"{email!r} is not an email address.", field="email")
    if ip_hash is not None and (len(ip_hash) > 64 or not set(ip_hash) <= _HEX_DIGITS):
        raise InvalidInput("An IP hash is the hex string shown in the queue.", field="ip_hash")
    if account_id is not None and db.session.get(Account, account_id) is None:
        raise InvalidInput(f"There is no account {account_id}.", field="account_id")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("The end of a ban must be in the future.", field="expires_at")
    ban = Ban(
        site_id=site.id,
        account_id=account_id,
        email=email,
        ip_hash=ip_hash,
        reason=reason,
        created_by_id=actor.id,
        expires_at=expires_at,
    )
    db.session.add(ban)
    db.session.flush()
    record_audit(actor, site.id, "ban", "ban", ban.id, None, describe_ban(ban))
    return ban


def lift_ban(actor: Account, ban: Ban) -> None:
    """Remove a ban; the audit log keeps what it was."""
    ensure_operates(actor, ban.site_id)
    record_audit(actor, ban.site_id, "unban", "ban", ban.id, describe_ban(ban), None)
    db.session.delete(ban)
    db.session.flush()


def describe_ban(ban: Ban) -> dict[str, Any]:
    return {
        "account_id": ban.account_id,
        "email": ban.email,
        "ip_hash": ban.ip_hash,
        "reason": ban.reason,
        "expires_at": ban.expires_at.isoformat() if ban.expires_at else None,
    }


def active_bans(site_ids: Sequence[int]) -> list[Ban]:
    """Bans in force on the given sites, newest first."""
    return list(
        db.session.scalars(
            sa.select(Ban)
            .where(Ban.site_id.in_(site_ids))
            .where(sa.or_(Ban.expires_at.is_(None), Ban.expires_at > utcnow()))
            .order_by(Ban.id.desc())
        )
    )
