"""Who is calling: a bearer token (the widget, immune to third-party cookie blocking) or the
session cookie (pages on the service's own origin, such as the moderation queue).

Tokens are signed by :mod:`commentsvc.tokens` and bound to a site and a page origin. This is
the one place that holds a token to its binding: a request about another site (the
``<site_name>`` of ``/api/sites/<site_name>/...``, the site of the comment in
``/api/comments/<comment_id>``) or sent from another origin is refused with 403, whatever view
serves it.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import request, session

from commentsvc.errors import Forbidden
from commentsvc.extensions import db
from commentsvc.models import Account, Comment, Site, Thread
from commentsvc.models.base import MAX_ID
from commentsvc.tokens import TokenGrant, read_token

_CACHE_KEY = "commentsvc.account"
_GRANT_KEY = "commentsvc.token-grant"

# The widget's token lives in the storage of an embedding site's pages: it may post and edit
# comments on that site through the JSON API, and nothing else (no moderation, no account pages).
BEARER_BLUEPRINTS = frozenset({"api", "auth_api"})


def _account_from_session() -> Account | None:
    account_id = session.get("account_id")
    if account_id is None:
        return None
    account = db.session.get(Account, account_id)
    if account is None or account.token_generation != session.get("generation"):
        return None
    return account


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if request.blueprint not in BEARER_BLUEPRINTS or scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _concerned_site() -> str | None:
    """The site this request is about, from its URL; None for site-neutral endpoints."""
    args = request.view_args or {}
    if isinstance(args.get("site_name"), str):
        return args["site_name"]
    comment_id = args.get("comment_id")
    if isinstance(comment_id, int) and 0 < comment_id <= MAX_ID:
        return db.session.scalar(
            sa.select(Site.name)
            .join(Thread, Thread.site_id == Site.id)
            .join(Comment, Comment.thread_id == Thread.id)
            .where(Comment.id == comment_id)
        )
    return None


# The API endpoints that concern no one site: a reader's token is taken there as it is. Any
# other endpoint must name its site (``<site_name>``) or a comment (``<comment_id>``), so a new
# route that forgets to is refused, not opened to every site's tokens.
SITE_NEUTRAL_ENDPOINTS = frozenset(
    {"api.me", "api.openapi_document", "auth_api.refresh", "auth_api.logout"}
)


def _check_binding(grant: TokenGrant) -> None:
    """Refuse a valid token outside the site and origin it was issued for."""
    args = request.view_args or {}
    if request.endpoint not in SITE_NEUTRAL_ENDPOINTS and not (
        "site_name" in args or "comment_id" in args
    ):
        raise Forbidden("This endpoint does not take a reader's sign-in token.")
    concerned = _concerned_site()
    if concerned is not None and concerned != grant.site:
        raise Forbidden(
            f"This sign-in was made on site {grant.site!r} and is not valid on {concerned!r}; "
            "sign in from this site's own pages."
        )
    origin = request.headers.get("Origin")
    if origin is not None and origin != grant.origin:
        raise Forbidden(f"This sign-in belongs to {grant.origin}, not to {origin}.")


def _grant_from_bearer(token: str) -> TokenGrant | None:
    grant = read_token(token)
    if grant is None:
        return None
    origins = db.session.scalar(sa.select(Site.origins).where(Site.name == grant.site))
    if origins is None or grant.origin not in origins:
        return None  # the site, or that origin of it, was removed since
    return grant


def current_grant() -> TokenGrant | None:
    """The valid bearer token of this request, already checked against the site it concerns;
    None without one (or outside the JSON API). Raises Forbidden for another site's token."""
    if _GRANT_KEY not in request.environ:
        token = _bearer()
        grant = _grant_from_bearer(token) if token else None
        if grant is not None:
            _check_binding(grant)
        request.environ[_GRANT_KEY] = grant
    return request.environ[_GRANT_KEY]


def current_account() -> Account | None:
    """The signed-in account of this request, or None (a guest).

    On the JSON API a bearer token wins over the session cookie. Cached on the request itself
    (not ``g``): an app context can outlive one request.
    """
    if _CACHE_KEY not in request.environ:
        if _bearer() is not None:
            grant = current_grant()
            request.environ[_CACHE_KEY] = grant.account if grant else None
        else:
            request.environ[_CACHE_KEY] = _account_from_session()
    return request.environ[_CACHE_KEY]


def refuse_foreign_tokens() -> None:
    """A ``before_request`` hook: every JSON API request carrying a token is checked, including
    those whose view never asks who is calling (thread reads), so a token is never accepted
    outside its site."""
    if _bearer() is not None:
        current_grant()
