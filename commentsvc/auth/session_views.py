"""The end of a sign-in (the popup hands a token to the widget) and signing out."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, session

from commentsvc.api.me import account_document
from commentsvc.auth import bp
from commentsvc.auth.flow import FLOW_KEY, current_flow, sign_out_session
from commentsvc.auth.forms import ConfirmForm
from commentsvc.auth.redirects import safe_next
from commentsvc.auth.tokens import current_account, issue_token
from commentsvc.errors import Forbidden, InvalidInput
from commentsvc.extensions import db
from commentsvc.services.accounts import revoke_tokens
from commentsvc.services.sites import get_site


@bp.get("/complete")
def complete() -> tuple[str, int]:
    """Post the new token to the opener, only at the origin checked when the popup opened.

    The page's only script carries this response's CSP nonce; ``postMessage`` names the exact
    target origin, so a page that navigated the opener elsewhere receives nothing.
    """
    flow = current_flow()
    account = current_account()
    if flow is None or not flow.is_popup or account is None:
        raise InvalidInput("There is no sign-in to complete here; start again from the page.")
    if flow.origin not in get_site(flow.site).origins:
        raise Forbidden(f"{flow.origin} is no longer an origin of site {flow.site!r}.")
    session.pop(FLOW_KEY, None)
    token, expires_at = issue_token(account)
    message = {
        "type": "commentsvc:signed-in",
        "token": token,
        "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        "account": account_document(account),
    }
    return render_template("auth/complete.html", message=message, origin=flow.origin), 200


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
