"""Where a sign-in started and where it ends: a widget popup (site + checked origin) or a page
on this service (``next=``).

A token reaches an embedding page only as the direct answer to something the reader did in the
popup: the provider's callback of a round trip started in it, a password form posted in it
(CSRF-protected), or the confirmation button of an already signed-in reader (CSRF-protected,
never framed). An OAuth round trip is kept in the session under a one-time nonce that is also
its OAuth ``state``: the callback finds exactly the flow its own popup started, and no other
window can complete it or swap in another site. No GET of a fixed URL hands out a token.
"""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass

from flask import Response, redirect, render_template, request, session, url_for

from commentsvc.auth.forms import ConfirmForm
from commentsvc.auth.redirects import DEFAULT_NEXT, safe_next
from commentsvc.errors import Forbidden, InvalidInput
from commentsvc.models import Account
from commentsvc.providers import SITE_PROVIDER, is_offered
from commentsvc.services.readers import reader_document
from commentsvc.services.sites import get_site
from commentsvc.tokens import issue_token
from commentsvc.urls import normalise_origin

FLOWS_KEY = "auth_flows"  # OAuth round trips in flight, by their one-time nonce (= state)
PENDING_KEY = "auth_popup"  # the last popup opened, to ask "continue as ...?" again
MAX_FLOWS = 4  # a few tabs at once; the oldest round trip is dropped beyond that


@dataclass(frozen=True)
class SignInFlow:
    """``site``/``origin`` for a widget popup; ``next`` for a page of this service."""

    provider: str
    site: str | None = None
    origin: str | None = None
    next: str = DEFAULT_NEXT
    is_link: bool = False
    # Who was signed in here when the round trip started: a provider that approves a returning
    # user silently must not turn "use another account" into a token without a click.
    signed_in_as: int | None = None

    @property
    def is_popup(self) -> bool:
        return self.origin is not None

    @property
    def query(self) -> dict[str, str]:
        """The query string that starts this popup flow again."""
        return {"site": self.site or "", "origin": self.origin or ""}


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
        return SignInFlow(provider, next=next_path or DEFAULT_NEXT, is_link=is_link)
    if site_name is None or origin is None:
        raise InvalidInput("A sign-in popup needs both `site` and `origin`.")
    return checked_popup_flow(provider, site_name, origin)


def checked_popup_flow(provider: str, site_name: str, origin: str) -> SignInFlow:
    """A popup flow whose origin is (still) one of the site's and whose provider it offers."""
    site = get_site(site_name)
    try:
        origin = normalise_origin(origin)
    except InvalidInput as error:
        raise InvalidInput(f"`origin` is not a web origin: {error.detail}") from error
    if origin not in site.origins:
        raise Forbidden(f"{origin} is not an origin of site {site.name!r}.")
    if not is_offered(site, provider):
        raise Forbidden(f"Site {site.name!r} does not offer sign-in with {provider!r}.")
    return SignInFlow(provider, site=site.name, origin=origin)


def start_round_trip(flow: SignInFlow) -> str:
    """Remember ``flow`` for the provider's callback; returns its one-time nonce."""
    nonce = secrets.token_urlsafe(24)
    flows = dict(session.get(FLOWS_KEY) or {})
    while len(flows) >= MAX_FLOWS:
        flows.pop(next(iter(flows)))
    flows[nonce] = asdict(flow)
    session[FLOWS_KEY] = flows
    return nonce


def end_round_trip(nonce: str | None) -> SignInFlow | None:
    """The flow started under ``nonce`` in this browser, forgotten as it is returned."""
    flows = dict(session.get(FLOWS_KEY) or {})
    data = flows.pop(nonce, None) if isinstance(nonce, str) else None
    session[FLOWS_KEY] = flows
    if not isinstance(data, dict):
        return None
    try:
        return SignInFlow(**data)
    except TypeError:
        return None


def remember_pending(flow: SignInFlow) -> None:
    """The popup last opened: enough to ask an already signed-in reader again, never a grant."""
    session[PENDING_KEY] = {"provider": flow.provider, **flow.query}


def pending_flow() -> SignInFlow | None:
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        return None
    try:
        return checked_popup_flow(data["provider"], data["site"], data["origin"])
    except (KeyError, InvalidInput, Forbidden):
        return None


def sign_in_session(account: Account) -> None:
    """Signs ``account`` in on this service's own origin (the moderation queue reads this)."""
    session["account_id"] = account.id
    session["generation"] = account.token_generation


def sign_out_session() -> None:
    for key in ("account_id", "generation", FLOWS_KEY, PENDING_KEY):
        session.pop(key, None)


def ask_to_continue(account: Account, flow: SignInFlow) -> tuple[str, int]:
    """The reader is signed in here already: the embedding site gets a token only if they say
    so, on this page (CSRF-protected form, framing forbidden by every /auth page's headers)."""
    remember_pending(flow)
    if flow.provider == SITE_PROVIDER:
        switch_url = url_for("auth.login_site", switch="1", **flow.query)
    else:
        switch_url = url_for("auth.login", provider=flow.provider, switch="1", **flow.query)
    page = render_template(
        "auth/confirm.html", account=account, flow=flow, form=ConfirmForm(), switch_url=switch_url
    )
    return page, 200


def hand_over(account: Account, flow: SignInFlow) -> tuple[str, int]:
    """The completion page: posts a token for ``flow``'s site to the opener, only at the origin
    checked for it. Its only script carries this response's CSP nonce; ``postMessage`` names the
    exact target origin, so a page that navigated the opener elsewhere receives nothing."""
    session.pop(PENDING_KEY, None)
    token, expires_at = issue_token(account, flow.site or "", flow.origin or "")
    message = {
        "type": "commentsvc:signed-in",
        "token": token,
        "expires_at": expires_at.isoformat().replace("+00:00", "Z"),
        "account": reader_document(account),
    }
    return render_template("auth/complete.html", message=message, origin=flow.origin), 200


def finish(account: Account, flow: SignInFlow) -> Response | tuple[str, int]:
    """After a sign-in done in this window: the popup hands a token over; a page goes on.

    A popup's origin is checked again: the site may have dropped it during the round trip."""
    if flow.is_popup:
        was_signed_in_as = flow.signed_in_as
        flow = checked_popup_flow(flow.provider, flow.site or "", flow.origin or "")
        if was_signed_in_as == account.id:  # the same reader again: they still have to say so
            return ask_to_continue(account, flow)
    sign_in_session(account)
    if flow.is_popup:
        return hand_over(account, flow)
    return redirect(flow.next)
