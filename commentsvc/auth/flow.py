"""Where a sign-in started and where it ends: a widget popup (site + checked origin) or a page
on this service (``next=``). Kept in the first-party session of the popup across the provider
round trip; the origin is checked against the site's origins before anything is stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from flask import Response, redirect, request, session, url_for

from commentsvc.auth.providers import is_offered
from commentsvc.auth.redirects import DEFAULT_NEXT, safe_next
from commentsvc.errors import Forbidden, InvalidInput
from commentsvc.models import Account
from commentsvc.services.sites import get_site
from commentsvc.urls import normalise_origin

FLOW_KEY = "auth_flow"


@dataclass(frozen=True)
class SignInFlow:
    """``site``/``origin`` for a widget popup; ``next`` for a page of this service."""

    site: str | None = None
    origin: str | None = None
    next: str = DEFAULT_NEXT
    is_link: bool = False

    @property
    def is_popup(self) -> bool:
        return self.origin is not None


def flow_from_request(provider: str, *, is_link: bool = False) -> SignInFlow:
    """Validate ``site``, ``origin`` and ``next`` from the query string.

    A popup needs both ``site`` and ``origin``, the origin must be one of the site's, and the
    provider must be one the site offers; otherwise the request is refused before any redirect.
    """
    site_name = request.args.get("site") or None
    origin = request.args.get("origin") or None
    next_path = safe_next(request.args.get("next"))
    if request.args.get("next") and next_path is None:
        raise InvalidInput("`next` must be a path on this service, such as /moderate/.")
    if site_name is None and origin is None:
        return SignInFlow(next=next_path or DEFAULT_NEXT, is_link=is_link)
    if site_name is None or origin is None:
        raise InvalidInput("A sign-in popup needs both `site` and `origin`.")
    site = get_site(site_name)
    try:
        origin = normalise_origin(origin)
    except InvalidInput as error:
        raise InvalidInput(f"`origin` is not a web origin: {error.detail}") from error
    if origin not in site.origins:
        raise Forbidden(f"{origin} is not an origin of site {site.name!r}.")
    if not is_offered(site, provider):
        raise Forbidden(f"Site {site.name!r} does not offer sign-in with {provider!r}.")
    return SignInFlow(site=site.name, origin=origin, is_link=is_link)


def remember_flow(flow: SignInFlow) -> None:
    session[FLOW_KEY] = asdict(flow)


def current_flow() -> SignInFlow | None:
    data = session.get(FLOW_KEY)
    if not isinstance(data, dict):
        return None
    try:
        return SignInFlow(**data)
    except TypeError:
        return None


def sign_in_session(account: Account) -> None:
    """Signs ``account`` in on this service's own origin (the moderation queue reads this)."""
    session["account_id"] = account.id
    session["generation"] = account.token_generation


def sign_out_session() -> None:
    session.pop("account_id", None)
    session.pop("generation", None)
    session.pop(FLOW_KEY, None)


def finish(account: Account, flow: SignInFlow) -> Response:
    """After a successful sign-in: the popup hands a token to the widget; a page goes on."""
    sign_in_session(account)
    if flow.is_popup:
        remember_flow(flow)
        return redirect(url_for("auth.complete"))
    session.pop(FLOW_KEY, None)
    return redirect(flow.next)
