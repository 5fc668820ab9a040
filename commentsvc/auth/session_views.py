"""An already signed-in reader confirming a popup sign-in, and signing out.

No GET hands out a token: ``/auth/complete`` only asks again ("Continue as ...?") for the popup
last opened in this browser; the token comes from the POST of that question's form.
"""

from __future__ import annotations

from flask import Response, redirect, render_template, request

from commentsvc.auth import bp
from commentsvc.auth.flow import (
    ask_to_continue,
    flow_from_request,
    hand_over,
    pending_flow,
    sign_out_session,
)
from commentsvc.auth.forms import ConfirmForm
from commentsvc.auth.redirects import safe_next
from commentsvc.auth.tokens import current_account
from commentsvc.errors import InvalidInput, Unauthorized
from commentsvc.extensions import db
from commentsvc.services.accounts import revoke_tokens


@bp.get("/complete")
def complete() -> tuple[str, int]:
    """Where a popup once ended: now it only shows the confirmation of the pending sign-in."""
    account = current_account()
    flow = pending_flow()
    if account is None or flow is None:
        raise InvalidInput("There is no sign-in to complete here; start again from the page.")
    return ask_to_continue(account, flow)


@bp.post("/continue/<provider>")
def confirm(provider: str) -> tuple[str, int]:
    """The reader pressed "Continue as ...": the token for the site and origin the page showed
    (``?site=&origin=``, checked again). Flask-WTF has checked the CSRF token already."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        raise InvalidInput("This form expired; reload it and try again.")
    account = current_account()
    if account is None:
        raise Unauthorized("You are no longer signed in here; start again from the page.")
    flow = flow_from_request(provider)
    if not flow.is_popup:
        raise InvalidInput("Nothing to continue: this page only answers a sign-in window.")
    return hand_over(account, flow)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response | tuple[str, int]:
    """GET asks, POST (with the CSRF token) signs out here and revokes every token."""
    form = ConfirmForm()
    next_path = safe_next(request.args.get("next"))
    if request.method == "POST":
        if not form.validate_on_submit():
            raise InvalidInput("This form expired; reload it and try again.")
        account = current_account()
        if account is not None:
            revoke_tokens(account)
            db.session.commit()
        sign_out_session()
        if next_path:
            return redirect(next_path)
        return render_template(
            "auth/notice.html", title="Signed out", message="You are signed out everywhere."
        ), 200
    return render_template("auth/logout.html", form=form, account=current_account()), 200
