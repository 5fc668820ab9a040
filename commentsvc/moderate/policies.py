"""The operator's sites and their posting policies, edited in a form."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Response, flash, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import ModerationMode, Site
from commentsvc.moderate import access, queue
from commentsvc.moderate.blueprint import bp
from commentsvc.providers import SITE_PROVIDER, configured_providers
from commentsvc.services.policy import Policy, current_policy, update_policy

MAX_EDIT_WINDOW_MINUTES = 7 * 24 * 60
MAX_LINK_LIMIT = 100
MAX_BLOCKLIST_ENTRIES = 1000
MAX_BLOCKLIST_ENTRY = 100


def provider_choices(site: Site) -> list[tuple[str, str]]:
    """Providers the service has credentials for, plus site accounts and any already chosen."""
    choices = {spec.id: spec.name for spec in configured_providers().values()}
    choices[SITE_PROVIDER] = "Email (site accounts)"
    for chosen in site.providers or []:
        choices.setdefault(chosen, chosen)
    return sorted(choices.items())


def _number(form: Mapping[str, str], name: str, low: int, high: int, label: str) -> int:
    value = access.whole_number(form.get(name), low, high)
    if value is None:
        raise InvalidInput(f"{label} is a whole number from {low} to {high}.", field=name)
    return value


def parse_policy(form: MultiDict[str, str], site: Site) -> Policy:
    """The submitted policy, checked field by field with a message saying what to fix."""
    try:
        moderation = ModerationMode(form.get("moderation", ""))
    except ValueError:
        raise InvalidInput("Moderation is none, first-time or all.", field="moderation") from None
    offered = {choice for choice, _ in provider_choices(site)}
    providers = sorted(set(form.getlist("providers")))
    if not set(providers) <= offered:
        raise InvalidInput("Offer only providers the service knows.", field="providers")
    entries = []
    for line in (form.get("blocklist") or "").splitlines():
        entry = line.strip().lower()
        if entry and entry not in entries:
            if len(entry) > MAX_BLOCKLIST_ENTRY:
                raise InvalidInput(
                    f"Blocklist entries are at most {MAX_BLOCKLIST_ENTRY} characters.",
                    field="blocklist",
                )
            entries.append(entry)
    if len(entries) > MAX_BLOCKLIST_ENTRIES:
        raise InvalidInput(f"At most {MAX_BLOCKLIST_ENTRIES} blocklist entries.", field="blocklist")
    minutes = _number(form, "edit_window", 0, MAX_EDIT_WINDOW_MINUTES, "The edit window")
    return Policy(
        moderation=moderation,
        is_guest_allowed=form.get("guests") == "on",
        providers=providers,
        edit_window_seconds=minutes * 60,
        link_limit=_number(form, "link_limit", 0, MAX_LINK_LIMIT, "The link limit"),
        blocklist=entries,
    )


@bp.get("/sites")
def sites() -> str:
    listed = [(site, queue.pending_count([site.id])) for site in access.sites()]
    return render_template("moderate/sites.html", listed=listed)


@bp.route("/sites/<name>/policy", methods=["GET", "POST"])
def policy(name: str) -> str | Response:
    site = access.site_named(name)
    if request.method == "POST":
        is_changed = update_policy(access.operator(), site, parse_policy(request.form, site))
        db.session.commit()
        flash("Policy saved." if is_changed else "Nothing changed.")
        return redirect(url_for("moderate.policy", name=site.name))
    return render_template(
        "moderate/policy.html",
        site=site,
        policy=current_policy(site),
        modes=[mode.value for mode in ModerationMode],
        providers=provider_choices(site),
    )
