"""Decisions posted from the queue: one item's button, the selected items, or every item
matching the current filter."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, flash, redirect, request, url_for

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.job_names import Job
from commentsvc.jobs import enqueue
from commentsvc.models.base import utcnow
from commentsvc.moderate import access, queue
from commentsvc.moderate.access import Item
from commentsvc.moderate.blueprint import bp
from commentsvc.moderate.queue_views import current_filter
from commentsvc.services.moderation import (
    Decision,
    changed_since,
    decide,
    locked_afresh,
    visible_reply_ids,
)

MAX_SELECTED = 500
_DONE = {
    Decision.APPROVE: "approved",
    Decision.SPAM: "marked as spam",
    Decision.DELETE: "deleted",
    Decision.RESTORE: "restored",
    Decision.REJECT: "kept with its approved text",
}


def _decision(value: str) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        raise InvalidInput(
            "Choose approve, spam, delete, restore or reject.", field="action"
        ) from None


def _selected() -> list[Item]:
    keys = request.form.getlist("selected")
    if not keys:
        raise InvalidInput("Select at least one item first.", field="selected")
    if len(keys) > MAX_SELECTED:
        raise InvalidInput(f"Select at most {MAX_SELECTED} items at once.")
    return [access.item(key) for key in keys]  # every one checked before any is changed


@bp.context_processor
def _shown_at() -> dict[str, str]:
    """Every page with decision buttons says when it was rendered (``shown_at``)."""
    return {"shown_at": utcnow().isoformat()}


def _shown_at_of_form() -> datetime | None:
    value = request.form.get("shown_at")
    if not value:
        return None  # a scripted client that knows what it decides on
    try:
        shown_at = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("This form is damaged; reload the page.", field="shown_at") from None
    return shown_at if shown_at.tzinfo else shown_at.replace(tzinfo=UTC)


def _unchanged(items: list[Item], shown_at: datetime | None, skipped: list[Item]) -> list[Item]:
    """The items whose text is still what the page showed; the others go to ``skipped``. Read
    under the decision's row locks: an edit committed a moment ago is seen, none comes after."""
    if shown_at is None:
        return items
    fresh: list[Item] = []
    for item in locked_afresh(items):
        (skipped if changed_since(item, shown_at) else fresh).append(item)
    return fresh


@bp.post("/act")
def act() -> Response:
    """``do=approve:c:12`` (a button on one item) or ``action`` + ``selected``/``scope=all``."""
    flt = current_filter(request.form)
    shown_at = _shown_at_of_form()
    skipped: list[Item] = []
    one = request.form.get("do", "")
    if one:
        name, _, key = one.partition(":")
        decision = _decision(name)
        target = access.item(key)
        changed = decide(access.operator(), _unchanged([target], shown_at, skipped), decision)
    else:
        decision = _decision(request.form.get("action", ""))
        if request.form.get("scope") == "all":
            chunks = queue.all_matching(flt, access.site_ids())
            changed = [
                item
                for chunk in chunks
                for item in decide(
                    access.operator(), _unchanged(list(chunk), shown_at, skipped), decision
                )
            ]
        else:
            changed = decide(
                access.operator(), _unchanged(_selected(), shown_at, skipped), decision
            )
    replies = visible_reply_ids(changed)
    db.session.commit()
    for reply_id in replies:
        enqueue(Job.NOTIFY_REPLY, reply_id)
    count = len(changed)
    flash(f"{count} item{'s' if count != 1 else ''} {_DONE[decision]}.")
    if skipped:
        flash(f"Left alone because they changed after this page was shown: {len(skipped)}.")
    if one and request.form.get("back") == "comment":
        return redirect(url_for("moderate.comment", comment_id=target.id))
    return redirect(url_for("moderate.index", **flt.args(page=flt.page if one else 1)))
