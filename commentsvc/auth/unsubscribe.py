"""``/auth/unsubscribe/<token>``: the link in a reply notification turns that comment's
notifications off, or every comment's that mails the address. The token is signed, so the
link alone is the permission. Opening the link only asks (mail scanners fetch links); the POST
of a button, or a mail client's one-click ``List-Unsubscribe-Post`` (RFC 8058), does it."""

from __future__ import annotations

from flask import render_template, request

from commentsvc.auth import bp
from commentsvc.extensions import csrf, db
from commentsvc.links import comment_id_from_unsubscribe_token
from commentsvc.models import Comment
from commentsvc.services.notify_addresses import stop_all_replies


@bp.get("/unsubscribe/<token>")
def confirm_unsubscribe(token: str) -> str:
    comment_id_from_unsubscribe_token(token)  # a forged link is refused before asking
    return render_template("auth/unsubscribe.html", token=token)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # the signed token is the credential; no cookie is involved
def unsubscribe(token: str) -> tuple[str, int]:
    """This comment's notifications off; with ``scope=all`` (the page's second button) every
    comment's that mails the address."""
    comment = db.session.get(Comment, comment_id_from_unsubscribe_token(token))
    is_all = request.form.get("scope") == "all"
    if comment is not None and is_all:
        stop_all_replies(comment)
        db.session.commit()
    elif comment is not None and comment.is_notify:
        comment.is_notify = False
        db.session.commit()
    message = (
        "You will get no more emails about replies to any of your comments so far. A guest "
        "comment that asks for them again must first be confirmed from a new email."
        if is_all
        else "You will get no more emails about replies to this comment."
    )
    return render_template("auth/notice.html", title="Unsubscribed", message=message), 200
