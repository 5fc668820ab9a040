"""The audit log: every moderation action on the operator's sites, newest first."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Account, AuditEntry, Site
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp

PAGE_SIZE = 100


@bp.get("/audit")
def audit() -> str:
    site_name = request.args.get("site", "")
    site_ids = [access.site_named(site_name).id] if site_name else access.site_ids()
    page = access.whole_number(request.args.get("page", "1"), 1, 100_000)
    if page is None:
        raise InvalidInput("Page is a positive number.", field="page")
    rows = db.session.execute(
        sa.select(AuditEntry, Account.display_name, Site.name)
        .join(Site, Site.id == AuditEntry.site_id)
        .outerjoin(Account, Account.id == AuditEntry.actor_id)
        .where(AuditEntry.site_id.in_(site_ids))
        .order_by(AuditEntry.id.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return render_template(
        "moderate/audit.html",
        rows=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        site_name=site_name,
        sites=access.sites(),
    )
