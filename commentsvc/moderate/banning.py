"""Bans per site: by account, email address or IP hash, for good or until a date."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import Response, flash, redirect, render_template, request, url_for

from commentsvc.errors import InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.models import Ban
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp
from commentsvc.services.bans import active_bans, create_ban, lift_ban


def _until(value: str) -> datetime | None:
    """A ban "until 2026-12-01" lasts through that day (UTC)."""
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("The end date is YYYY-MM-DD.", field="until") from None
    if day >= date.max:
        raise InvalidInput("The end date is too far away; leave it empty for a lasting ban.",
                           field="until")  # fmt: skip
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def _account_id(value: str) -> int | None:
    if not value.strip():
        return None
    number = access.whole_number(value, 1)
    if number is None:
        raise InvalidInput("An account is given by its number.", field="account_id")
    return number


@bp.get("/bans")
def bans() -> str:
    return render_template(
        "moderate/bans.html",
        bans=active_bans(access.site_ids()),
        sites=access.sites(),
        prefill=request.args,
    )


@bp.post("/bans")
def ban() -> Response:
    form = request.form
    site = access.site_named(form.get("site", ""))
    create_ban(
        access.operator(),
        site,
        account_id=_account_id(form.get("account_id", "")),
        email=form.get("email"),
        ip_hash=form.get("ip_hash"),
        expires_at=_until(form.get("until", "")),
        reason=form.get("reason"),
    )
    db.session.commit()
    flash(f"Banned from {site.name}.")
    return redirect(url_for("moderate.bans"))


@bp.post("/bans/<int:ban_id>/lift")
def lift(ban_id: int) -> Response:
    found = db.session.get(Ban, ban_id) if ban_id <= access.MAX_ID else None
    if found is None or not access.operator().operates(found.site_id):
        raise NotFound(f"There is no ban {ban_id} on your sites.")
    lift_ban(access.operator(), found)
    db.session.commit()
    flash("Ban lifted.")
    return redirect(url_for("moderate.bans"))
