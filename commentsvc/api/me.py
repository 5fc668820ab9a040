"""``GET /api/me``: who the widget is talking for."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from commentsvc.api import bp
from commentsvc.auth.tokens import current_account
from commentsvc.avatars import avatar_url
from commentsvc.extensions import db
from commentsvc.models import Account, Site, SiteOperator


def account_document(account: Account) -> dict[str, Any]:
    """What the embedding page may know of its signed-in commenter (no email address: the
    page belongs to a site owner, not to us)."""
    operated = db.session.scalars(
        sa.select(Site.name)
        .join(SiteOperator, SiteOperator.site_id == Site.id)
        .where(SiteOperator.account_id == account.id)
        .order_by(Site.name)
    )
    return {
        "id": account.id,
        "name": account.display_name,
        "avatar": account.avatar_url or avatar_url(f"account:{account.id}"),
        "providers": sorted({identity.provider for identity in account.identities}),
        "operator_of": list(operated),
    }


@bp.get("/me")
def me() -> dict[str, Any]:
    account = current_account()
    if account is None:
        return {"authenticated": False}
    return {"authenticated": True, "account": account_document(account)}
