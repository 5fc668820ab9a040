"""Decisions posted from the queue: one item's button, the selected items, or every item
matching the current filter."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.moderate import access, queue
from commentsvc.moderate.blueprint import bp
from commentsvc.moderate.queue_views import current_filter
from commentsvc.services.moderation import Decision, decide

MAX_SELECTED = 500
_DONE = {
    Decision.APPROVE: "approved",
    Decision.SPAM: "marked as spam",
    Decision.DELETE: "deleted",
    Decision.RESTORE: "restored",
}


def _decision(value: str) -> Decision:
    try:
        return Decision(value)
    except ValueError:
        raise InvalidInput("Choose approve, spam, delete or restore.", field="action") from None


@bp.post("/act")
def act() -> Response:
    """``do=approve:c:12`` (a button on one item) or ``action`` + ``selected``/``scope=all``."""
    flt = current_filter(request.form)
    one = request.form.get("do", "")
    if one:
        name, _, key = one.partition(":")
        decision = _decision(name)
        changed = decide(access.operator(), [access.item(key)], decision)
    else:
        decision = _decision(request.form.get("action", ""))
        if request.form.get("scope") == "all":
            changed = 0
            for chunk in queue.all_matching(flt, access.site_ids()):
                changed += decide(access.operator(), chunk, decision)
        else:
            keys = request.form.getlist("selected")
            if not keys:
                raise InvalidInput("Select at least one item first.", field="selected")
            if len(keys) > MAX_SELECTED:
                raise InvalidInput(f"Select at most {MAX_SELECTED} items at once.")
            changed = decide(access.operator(), [access.item(key) for key in keys], decision)
    db.session.commit()
    flash(f"{changed} item{'s' if changed != 1 else ''} {_DONE[decision]}.")
    target = request.form.get("back")
    if target == "comment" and one:
        return redirect(url_for("moderate.comment", comment_id=access.parse_key(key)[1]))
    return redirect(url_for("moderate.index", **flt.args(page=1 if not one else flt.page)))
