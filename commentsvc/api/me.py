"""``GET /api/me``: who the widget is talking for."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from commentsvc.api import bp
from commentsvc.auth.tokens import current_account, current_grant
from commentsvc.extensions import db
from commentsvc.models import Account, Site, SiteOperator
from commentsvc.services.readers import reader_document


def operated_sites(account: Account) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(Site.name)
            .join(SiteOperator, SiteOperator.site_id == Site.id)
            .where(SiteOperator.account_id == account.id)
            .order_by(Site.name)
        )
    )


@bp.get("/me")
def me() -> dict[str, Any]:
    """With the widget's token: the commenter, the site the token is for and whether they
    operate it (the widget offers Pin then; the site knows its own operators). With the session
    cookie (pages on the service's own origin): the operator roles as well."""
    account = current_account()
    if account is None:
        return {"authenticated": False}
    grant = current_grant()
    if grant is not None:
        return {
            "authenticated": True,
            "site": grant.site,
            "operator": grant.site in operated_sites(account),
            "account": reader_document(account),
        }
    document = {
        "id": account.id,
        **reader_document(account),
        "providers": sorted({identity.provider for identity in account.identities}),
        "operator_of": operated_sites(account),
    }
    return {"authenticated": True, "account": document}
