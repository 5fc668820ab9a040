"""``/notify/confirm/<token>``: the link mailed to a guest who asked to be told of replies.
Until it is used, no reply notification goes to that address. Opening the link only asks (mail
scanners fetch links); the POST of its button confirms. The signed token is the permission."""

from __future__ import annotations

from flask import Blueprint, render_template

from commentsvc.auth import pages
from commentsvc.extensions import csrf, db
from commentsvc.links import address_from_notify_confirm_token
from commentsvc.services.notify_addresses import confirm

bp = Blueprint("notify", __name__, url_prefix="/notify")
pages.install(bp)


@bp.get("/confirm/<token>")
def ask(token: str) -> str:
    address_from_notify_confirm_token(token)  # a forged or stale link is refused before asking
    return render_template("notify/confirm.html", token=token)


@bp.post("/confirm/<token>")
@csrf.exempt  # the signed token is the credential; no cookie is involved
def confirm_address(token: str) -> str:
    confirm(address_from_notify_confirm_token(token))
    db.session.commit()
    return render_template(
        "auth/notice.html",
        title="Address confirmed",
        message="You will get an email when someone replies to comments you asked about.",
    )
