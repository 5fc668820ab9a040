"""Site accounts: register, confirm the address, sign in, reset a forgotten password.

No page says whether an email has an account: registering a taken address and asking a
reset for an unknown one answer exactly as the normal case (mail tells the owner the rest),
and a wrong password, an unknown email and a locked account get one and the same message.
Failures lock an account for the client address they come from only (an IPv6 client's whole
/64), so nobody can lock another person, an operator say, out by guessing wrong.
"""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response as BaseResponse

from commentsvc.auth import bp
from commentsvc.auth.awaiting import await_confirmation, awaiting_context
from commentsvc.auth.flow import ask_to_continue, finish, flow_from_request, sign_in_session
from commentsvc.auth.forms import ForgotForm, RegisterForm, ResetForm, SignInForm
from commentsvc.auth.mailing import queue_mail
from commentsvc.auth.tokens import current_account
from commentsvc.clientip import network_hash
from commentsvc.errors import Conflict
from commentsvc.extensions import csrf, db, limiter
from commentsvc.links import account_from_reset_token, account_from_verify_token
from commentsvc.providers import SITE_PROVIDER, configured_providers
from commentsvc.services.accounts import (
    EmailNotVerified,
    SignInRefused,
    authenticate,
    create_account,
    find_account_by_email,
    hash_password,
    mark_email_verified,
    set_password,
)

SIGN_IN_LIMIT = "10 per minute;60 per hour"
MAIL_LIMIT = "5 per minute;20 per hour"


def _notice(title: str, message: str, status: int = 200) -> tuple[str, int]:
    return render_template("auth/notice.html", title=title, message=message), status


def _address_key() -> str:
    """The client address that failures are counted for, hashed: an IPv6 client usually holds
    a whole /64, so that is one address here."""
    return network_hash()


@bp.route("/login/site", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def login_site() -> BaseResponse | tuple[str, int]:
    """Email + password: in the widget's popup (``site``, ``origin``) or as a page (``next``).

    In a popup, a reader signed in here already is asked to confirm instead (``switch=1``
    shows the form to sign in with another account)."""
    flow = flow_from_request(SITE_PROVIDER)
    signed_in = current_account()
    wants_another = request.args.get("switch") == "1"
    if request.method == "GET" and flow.is_popup and signed_in is not None and not wants_another:
        return ask_to_continue(signed_in, flow)
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        try:
            account = authenticate(form.email.data, form.password.data, _address_key())
        except EmailNotVerified as unverified:
            error = unverified.detail
            db.session.commit()
            queue_mail("verification", unverified.account)  # to its inbox: tells no one else
        except SignInRefused as refused:
            error = refused.detail
        else:
            db.session.commit()
            return finish(account, flow)
        db.session.commit()  # failure counts and locks
    elif request.method == "POST":
        error = "Fill in your email and password."
    providers = [] if flow.is_popup else list(configured_providers().values())
    page = render_template(
        "auth/login_site.html",
        form=form,
        error=error,
        query=request.query_string.decode(),
        providers=providers,
        next=flow.next,
        origin=flow.origin,
    )
    return page, (401 if error else 200)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def register() -> tuple[str, int]:
    """A new account; the window then waits for its address to be confirmed and signs in."""
    flow = flow_from_request(SITE_PROVIDER)
    form = RegisterForm()
    if form.validate_on_submit():
        existing = find_account_by_email(form.email.data)
        account = None
        if existing is None:
            try:
                account = create_account(form.email.data, form.name.data, form.password.data)
            except Conflict:  # a concurrent registration of the address won: answer alike
                db.session.rollback()
                existing = find_account_by_email(form.email.data)
            else:
                db.session.commit()
                queue_mail("verification", account)
        else:
            hash_password(form.password.data)  # the same work as a new account: no timing tell
        if existing is not None:
            queue_mail("registration_attempt", existing)
        await_confirmation(flow, form.email.data, account)
        page = render_template(
            "auth/awaiting.html",
            title="Check your email",
            message="We sent a message to the address you gave. Follow its link to confirm "
            "the address.",
            **awaiting_context(),
        )
        return page, 200
    status = 400 if request.method == "POST" else 200
    page = render_template("auth/register.html", form=form, query=request.query_string.decode())
    return page, status


@bp.get("/verify/<token>")
def ask_to_verify_email(token: str) -> str:
    """Opening the link only asks: mail scanners fetch links, and one that confirmed would
    finish the sign-in of whoever registered the address in a window waiting for it."""
    account_from_verify_token(token)  # a forged or stale link is refused before asking
    return render_template("auth/verify.html", token=token)


@bp.post("/verify/<token>")
@csrf.exempt  # the signed token, mailed to the address, is the credential
def verify_email(token: str) -> tuple[str, int]:
    """Confirms the address only: the link stays valid for days, so it must not sign anyone in.
    A window of the reader's waiting for it (:mod:`commentsvc.auth.awaiting`) signs in."""
    account, email = account_from_verify_token(token)
    mark_email_verified(account, email)
    db.session.commit()
    return render_template("auth/confirmed.html"), 200


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(MAIL_LIMIT, methods=["POST"])
def forgot_password() -> tuple[str, int]:
    form = ForgotForm()
    if form.validate_on_submit():
        account = find_account_by_email(form.email.data)
        if account is not None:
            queue_mail("password_reset", account)
        return _notice(
            "Check your email",
            "If an account uses that address, we sent it a link to choose a new password. "
            "The link works for one hour.",
        )
    status = 400 if request.method == "POST" else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def reset_password(token: str) -> tuple[str, int]:
    account = account_from_reset_token(token)
    form = ResetForm()
    if form.validate_on_submit():
        set_password(account, form.password.data)
        account.is_email_verified = True  # the link came through that mailbox
        db.session.commit()
        sign_in_session(account)
        return _notice(
            "Password changed",
            "Your new password is set, and every other sign-in of yours has been signed out.",
        )
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset.html", form=form), status
