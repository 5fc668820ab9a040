"""Sign-in with an OAuth 2 / OpenID Connect provider: the redirect out and the callback back.

Authlib checks ``state``, the OIDC ``nonce`` and the PKCE verifier (kept in the popup's
first-party session); the ``state`` is the one-time nonce under which this popup's flow is kept
(:mod:`commentsvc.auth.flow`), so the callback completes exactly the flow its popup started.
A reader already signed in here is asked first ("Continue as ...?") instead of being sent on.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import current_app, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from commentsvc.auth import bp
from commentsvc.auth.clients import oauth_client
from commentsvc.auth.errors import ProviderUnavailable
from commentsvc.auth.flow import (
    ask_to_continue,
    end_round_trip,
    finish,
    flow_from_request,
    start_round_trip,
)
from commentsvc.auth.profiles import fetch_profile
from commentsvc.auth.tokens import current_account
from commentsvc.errors import InvalidInput, NotFound, Unauthorized
from commentsvc.extensions import db
from commentsvc.job_names import Job, fetch_photo_job_id
from commentsvc.jobs import enqueue
from commentsvc.providers import configured_providers
from commentsvc.services.identities import sign_in_with
from commentsvc.services.photos import avatar_to_fetch

log = logging.getLogger(__name__)


def callback_url(provider: str) -> str:
    """The exact URL to register with the provider: built on ``PUBLIC_URL`` when it is set."""
    base = current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")
    return base + url_for("auth.callback", provider=provider)


@bp.get("/login/<provider>")
def login(provider: str) -> BaseResponse | tuple[str, int]:
    """Start signing in with ``provider`` (``?site=&origin=`` from the widget, or ``?next=``).

    In a popup, a reader signed in here already is asked to confirm (``switch=1`` skips that
    to sign in with another account)."""
    if provider not in configured_providers():
        raise NotFound(f"Sign-in with {provider!r} is not configured on this service.")
    is_link = request.args.get("link") == "1"
    if is_link and current_account() is None:
        raise Unauthorized("Sign in first, then link another provider from your account page.")
    flow = flow_from_request(provider, is_link=is_link)
    account = current_account()
    if flow.is_popup and account is not None and request.args.get("switch") != "1":
        return ask_to_continue(account, flow)
    nonce = start_round_trip(replace(flow, signed_in_as=account.id if account else None))
    import requests  # Authlib's transport, imported with it on first use

    try:
        return oauth_client(provider).authorize_redirect(callback_url(provider), state=nonce)
    except requests.RequestException as error:  # OIDC discovery failed
        log.warning("provider %s unreachable: %s", provider, error)
        raise ProviderUnavailable("The sign-in provider cannot be reached; try later.") from error


@bp.get("/callback/<provider>")
def callback(provider: str) -> BaseResponse | tuple[str, int]:
    """The provider sends the browser back here with ``code`` and ``state``."""
    spec = configured_providers().get(provider)
    if spec is None:
        raise NotFound(f"Sign-in with {provider!r} is not configured on this service.")
    flow = end_round_trip(request.args.get("state"))
    if flow is None or flow.provider != provider:
        raise InvalidInput("This sign-in was not started in this browser; start again.")
    client = oauth_client(provider)
    import requests
    from authlib.common.errors import AuthlibBaseError  # with the client, on first use
    from joserfc.errors import JoseError

    try:
        token = client.authorize_access_token()
        profile = fetch_profile(spec, client, token)
    except (AuthlibBaseError, JoseError) as error:  # bad state, code, ID token or nonce
        reason = getattr(error, "description", None) or getattr(error, "error", None) or error
        log.info("sign-in with %s refused: %s", provider, reason)
        raise InvalidInput(f"Sign-in with {spec.name} failed ({reason}); start again.") from error
    except (requests.RequestException, ValueError) as error:
        log.warning("provider %s failed: %s", provider, error)
        raise ProviderUnavailable(
            f"{spec.name} did not answer properly; try again in a moment."
        ) from error
    link_to = current_account() if flow.is_link else None
    account = sign_in_with(profile, link_to)
    photo = avatar_to_fetch(account.avatar_url)  # ready before the first comment shows it
    db.session.commit()
    if photo is not None:
        enqueue(Job.FETCH_PHOTO, photo, job_id=fetch_photo_job_id(photo))
    return finish(account, flow)
