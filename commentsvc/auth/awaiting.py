"""The window that waits for an address to be confirmed, and finishes the sign-in once it is.

Registering, or signing in with the right password to an account whose address is not
confirmed yet, ends on "check your email". That window (the widget's popup, or a page of this
service) remembers in its session which sign-in it waits for, polls
:func:`confirmation_status` (and listens on a ``BroadcastChannel``, which the confirmation page
of the same browser posts to) and, once the address is confirmed, posts the CSRF-protected
:func:`finish_confirmed` form: the sign-in ends exactly as a password sign-in does.

The mailed link itself signs nobody in (it stays valid for days and may be opened anywhere);
only the window where the password was typed finishes, within :data:`AWAIT_LIFETIME`. The
session cookie is signed, not encrypted, so what it holds must not tell whether an address had
an account already: a registration for a taken address stores a random stamp of the same shape,
which never matches, and that window simply goes on waiting.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict
from datetime import timedelta
from enum import StrEnum

from flask import current_app, jsonify, render_template, session
from flask.typing import ResponseReturnValue

from commentsvc.auth import bp
from commentsvc.auth.flow import SignInFlow, finish
from commentsvc.auth.forms import ConfirmForm
from commentsvc.models import Account
from commentsvc.services.accounts import find_account_by_email

AWAITING_KEY = "auth_awaiting"
AWAIT_LIFETIME = timedelta(hours=1)


class AwaitState(StrEnum):
    NONE = "none"  # this browser waits for no confirmation
    WAITING = "waiting"
    CONFIRMED = "confirmed"
    EXPIRED = "expired"


def _stamp(account: Account, started_at: int) -> str:
    """Binds the wait to this account, its address and its password of the moment (a reset
    in between ends the wait), keyed with the service's secret."""
    password = hashlib.sha256((account.password_hash or "").encode()).hexdigest()
    message = f"awaiting|{account.id}|{account.email}|{started_at}|{password}".encode()
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def await_confirmation(flow: SignInFlow, email: str, account: Account | None) -> None:
    """Remember in this session that it waits for ``email`` to be confirmed.

    ``account`` is the one whose password was just given, or None when the address belonged to
    someone already (a registration attempt): that wait can never complete."""
    started_at = int(time.time())
    stamp = _stamp(account, started_at) if account is not None else secrets.token_hex(32)
    session[AWAITING_KEY] = {
        "email": email,
        "at": started_at,
        "stamp": stamp,
        "flow": asdict(flow),
    }


def _awaited() -> tuple[AwaitState, Account | None, SignInFlow | None]:
    data = session.get(AWAITING_KEY)
    if not isinstance(data, dict):
        return AwaitState.NONE, None, None
    try:
        email, started_at, stamp = str(data["email"]), int(data["at"]), str(data["stamp"])
        flow = SignInFlow(**data["flow"])
    except (KeyError, TypeError, ValueError):
        return AwaitState.NONE, None, None
    if time.time() - started_at > AWAIT_LIFETIME.total_seconds():
        return AwaitState.EXPIRED, None, None
    account = find_account_by_email(email)
    if account is None or not hmac.compare_digest(_stamp(account, started_at), stamp):
        return AwaitState.WAITING, None, None
    if not account.is_email_verified:
        return AwaitState.WAITING, None, None
    return AwaitState.CONFIRMED, account, flow


def awaiting_context() -> dict[str, object]:
    """What a page that waits needs: the form its script posts once the address is confirmed."""
    return {"awaiting_form": ConfirmForm()}


@bp.get("/confirmation/status")
def confirmation_status() -> ResponseReturnValue:
    """``{"state": "none" | "waiting" | "confirmed" | "expired"}`` for this browser's wait."""
    state, _account, _flow = _awaited()
    return jsonify(state=state.value)


@bp.post("/confirmation/finish")
def finish_confirmed() -> ResponseReturnValue:
    """Finish the sign-in this window waited for, as the password form would have."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        title, message = "Form expired", "Reload the page and try again."
        return render_template("auth/notice.html", title=title, message=message), 400
    state, account, flow = _awaited()
    if state is not AwaitState.CONFIRMED or account is None or flow is None:
        message = (
            "This window waited too long; sign in again."
            if state is AwaitState.EXPIRED
            else "The address is not confirmed yet: follow the link in the message we sent."
        )
        return render_template("auth/notice.html", title="Not signed in", message=message), 409
    session.pop(AWAITING_KEY, None)
    return finish(account, flow)
