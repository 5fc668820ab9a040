"""Pin and Unpin on a comment's page and in the queue: the comment goes first in its thread."""

from __future__ import annotations

from flask import Response, flash, redirect, request, url_for

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp
from commentsvc.moderate.queue_views import current_filter
from commentsvc.services.pins import set_pinned

_PINNED_VALUES = {"1": True, "0": False}


@bp.post("/comments/<int:comment_id>/pin")
def pin(comment_id: int) -> Response:
    """``pinned=1`` pins, ``pinned=0`` unpins; ``back=comment`` returns to the comment's page,
    else to the queue with the filter the form carried."""
    is_pinned = _PINNED_VALUES.get(request.form.get("pinned", ""))
    if is_pinned is None:
        raise InvalidInput("This form is damaged; reload the page.", field="pinned")
    is_back_to_comment = request.form.get("back") == "comment"
    # The queue's filter is checked before anything is done: a bad one changes nothing.
    flt = None if is_back_to_comment else current_filter(request.form)
    found = access.comment(comment_id)
    is_changed = set_pinned(access.operator(), found, is_pinned)
    db.session.commit()
    done = "pinned" if is_pinned else "unpinned"
    flash(f"Comment {comment_id} {done}." if is_changed else f"Comment {comment_id} was {done}.")
    if flt is None:
        return redirect(url_for("moderate.comment", comment_id=comment_id))
    return redirect(url_for("moderate.index", **flt.args(page=flt.page)))
