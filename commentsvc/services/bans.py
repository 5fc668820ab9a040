"""Bans: refuse posts on a site from a banned account, email address or IP hash."""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.errors import Forbidden
from commentsvc.extensions import db
from commentsvc.models import Account, Ban, Site
from commentsvc.models.base import utcnow


class Banned(Forbidden):
    code = "banned"
    title = "You cannot post here"


def ensure_not_banned(
    site: Site, *, account: Account | None, email: str | None, ip_hash: str
) -> None:
    conditions = [Ban.ip_hash == ip_hash]
    if account is not None:
        conditions.append(Ban.account_id == account.id)
    if email:
        conditions.append(sa.func.lower(Ban.email) == email.lower())
    ban = db.session.scalar(
        sa.select(Ban)
        .where(Ban.site_id == site.id, sa.or_(*conditions))
        .where(sa.or_(Ban.expires_at.is_(None), Ban.expires_at > utcnow()))
        .limit(1)
    )
    if ban is not None:
        until = f" until {ban.expires_at:%Y-%m-%d %H:%M} UTC" if ban.expires_at else ""
        raise Banned(f"The moderators of this site have blocked you from commenting{until}.")
