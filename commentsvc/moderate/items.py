"""One comment: its history, an edit form (the old text is kept), a reply as the site, and
the title of its page."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from commentsvc.clientip import network_hash
from commentsvc.extensions import db
from commentsvc.job_names import Job
from commentsvc.jobs import enqueue
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp
from commentsvc.moderate.threads import page_choices
from commentsvc.services.bans import active_bans
from commentsvc.services.moderation import (
    edit_comment,
    reply_as_site,
    revisions,
    set_thread_title,
)


@bp.get("/comments/<int:comment_id>")
def comment(comment_id: int) -> str:
    found = access.comment(comment_id)
    bans = [
        ban
        for ban in active_bans([found.thread.site_id])
        if (found.account_id and ban.account_id == found.account_id)
        or (found.author_email and ban.email == found.author_email.lower())
        or ban.ip_hash == found.ip_hash
    ]
    return render_template(
        "moderate/comment.html",
        comment=found,
        revisions=revisions(found),
        bans=bans,
        choices=page_choices(found.thread.site, but=found.thread),
    )


@bp.post("/comments/<int:comment_id>/edit")
def edit(comment_id: int) -> Response:
    found = access.comment(comment_id)
    is_changed = edit_comment(access.operator(), found, request.form.get("body", ""))
    db.session.commit()
    flash("Text changed; the old one is kept below." if is_changed else "The text is unchanged.")
    return redirect(url_for("moderate.comment", comment_id=found.id))


@bp.post("/comments/<int:comment_id>/reply")
def reply(comment_id: int) -> Response:
    found = access.comment(comment_id)
    answer = reply_as_site(access.operator(), found, request.form.get("body", ""), network_hash())
    db.session.commit()
    enqueue(Job.NOTIFY_REPLY, answer.id)
    flash(f"Replied as {found.thread.site.name}.")
    return redirect(url_for("moderate.comment", comment_id=answer.id))


@bp.post("/comments/<int:comment_id>/title")
def title(comment_id: int) -> Response:
    """Name the comment's page: shown in feeds, mail subjects and here."""
    found = access.comment(comment_id)
    is_changed = set_thread_title(access.operator(), found.thread, request.form.get("title", ""))
    db.session.commit()
    flash("Page title saved." if is_changed else "The page title is unchanged.")
    return redirect(url_for("moderate.comment", comment_id=found.id))
