"""Moving a response to the page it is about: a comment (with its replies) or a mention that
landed on a thread of its own, as a target spelled differently did before canonical targets.

The page to move to is named by its address (the forms offer the site's pages to choose
from); it must be a page of the same site that has a thread already.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from commentsvc.extensions import db
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp
from commentsvc.moderate.threads import page_choices
from commentsvc.services.thread_merge import move_comment, move_mention


@bp.post("/comments/<int:comment_id>/move")
def move_comment_view(comment_id: int) -> Response:
    """The service records the move in the audit log, with the operator's name."""
    found = access.comment(comment_id)
    into = access.thread_at(found.thread.site, request.form.get("to"))
    moved = move_comment(found, into, actor=access.operator().display_name)
    db.session.commit()
    replies = moved - 1
    with_replies = f" and its {replies} repl{'y' if replies == 1 else 'ies'}" if replies else ""
    flash(f"Comment {comment_id}{with_replies} moved to {into.url}.")
    return redirect(url_for("moderate.comment", comment_id=comment_id))


@bp.get("/mentions/<int:mention_id>/move")
def mention_move_form(mention_id: int) -> str:
    found = access.mention(mention_id)
    return render_template(
        "moderate/mention_move.html",
        mention=found,
        choices=page_choices(found.site, but=found.thread),
    )


@bp.post("/mentions/<int:mention_id>/move")
def move_mention_view(mention_id: int) -> Response:
    """Back to the queue, showing the page it moved to: where the mention is now (when that
    page had one from the same source already, only one of the two stays)."""
    found = access.mention(mention_id)
    into = access.thread_at(found.site, request.form.get("to"))
    what = f"The {found.kind.value} from {found.title or found.source}"
    status = found.status.value
    move_mention(found, into, actor=access.operator().display_name)
    db.session.commit()
    flash(f"{what} moved to {into.url}.")
    return redirect(url_for("moderate.index", site=into.site.name, status=status, q=into.url))
