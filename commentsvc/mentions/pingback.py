"""``POST /pingback/<site>``: Pingback 1.0 over XML-RPC, with its fault codes.

Faults that need no fetch (bad target, already registered, access denied, parse errors)
are answered at once. Otherwise the claim is recorded and queued, and the request waits up
to ``PINGBACK_WAIT_SECONDS`` for the worker, then answers the exact outcome like WordPress
does, or "queued" if the check takes longer (the outcome is recorded either way).

The exact source faults are not a port-scan oracle (CVE-2013-0235): the fetcher refuses
private, loopback and other internal addresses and every port but the web ports before it
connects, and a refused source gets the same 0x0010 text as a missing one.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, request

from commentsvc.errors import Forbidden, NotFound, ServiceError, TooManyRequests
from commentsvc.extensions import db
from commentsvc.mentions import bp
from commentsvc.mentions.receive import receive, wait_for_check
from commentsvc.mentions.xmlrpc import (
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    RpcFault,
    fault,
    parse_call,
    response,
)
from commentsvc.models import CommentStatus, Mention, MentionKind, Site, Verification
from commentsvc.models.mention import Rejection
from commentsvc.services.mentions import BadSource, BadTarget, ForeignTarget, SameSourceAndTarget
from commentsvc.services.sites import get_site
from commentsvc.services.threads import find_thread

GENERIC = 0x0000
SOURCE_MISSING = 0x0010
SOURCE_NO_LINK = 0x0011
TARGET_MISSING = 0x0020
TARGET_UNUSABLE = 0x0021
ALREADY_REGISTERED = 0x0030
ACCESS_DENIED = 0x0031
UPSTREAM_ERROR = 0x0032

SOURCE_MISSING_TEXT = "The source URI does not exist or could not be fetched."


def _xml(body: bytes) -> Response:
    return Response(body, mimetype="text/xml")


@bp.post("/pingback/<site_name>")
def pingback(site_name: str) -> Response:
    try:
        method, params = parse_call(request.get_data(cache=False))
        return _xml(response(_dispatch(site_name, method, params)))
    except RpcFault as error:
        return _xml(fault(error.code, error.message))


def _dispatch(site_name: str, method: str, params: tuple[Any, ...]) -> Any:
    if method == "pingback.ping":
        return _ping(_site(site_name), *_strings(params, 2))
    if method == "pingback.extensions.getPingbacks":
        return _get_pingbacks(_site(site_name), *_strings(params, 1))
    if method == "system.listMethods":
        return ["pingback.ping", "pingback.extensions.getPingbacks", "system.listMethods"]
    raise RpcFault(METHOD_NOT_FOUND, f"Method {method!r} is not supported.")


def _strings(params: tuple[Any, ...], count: int) -> tuple[str, ...]:
    if len(params) != count or not all(isinstance(p, str) for p in params):
        raise RpcFault(INVALID_PARAMS, f"Expected {count} string parameter(s).")
    return params


def _site(name: str) -> Site:
    try:
        return get_site(name)
    except NotFound as error:
        raise RpcFault(TARGET_UNUSABLE, "No site of this service is registered here.") from error


def _ping(site: Site, source: str, target: str) -> str:
    try:
        recorded = receive(site, source, target, MentionKind.PINGBACK)
    except SameSourceAndTarget as error:
        raise RpcFault(GENERIC, error.detail) from error
    except BadSource as error:
        raise RpcFault(SOURCE_MISSING, error.detail) from error
    except ForeignTarget as error:
        raise RpcFault(TARGET_UNUSABLE, error.detail) from error
    except BadTarget as error:
        raise RpcFault(TARGET_MISSING, error.detail) from error
    except (Forbidden, TooManyRequests) as error:
        raise RpcFault(ACCESS_DENIED, error.detail) from error
    except ServiceError as error:
        raise RpcFault(GENERIC, error.detail) from error
    if recorded.was_verified:
        raise RpcFault(ALREADY_REGISTERED, "The pingback has already been registered.")
    mention = wait_for_check(recorded.mention, float(current_app.config["PINGBACK_WAIT_SECONDS"]))
    return _outcome(mention, source, target)


def _outcome(mention: Mention, source: str, target: str) -> str:
    if not mention.is_check_pending:
        if mention.verification == Verification.VERIFIED:
            return f"Pingback from {source} to {target} registered. Keep the web talking! :-)"
        if mention.rejection_code == Rejection.NO_LINK:
            raise RpcFault(SOURCE_NO_LINK, "The source URI does not contain a link to the target.")
        raise RpcFault(SOURCE_MISSING, SOURCE_MISSING_TEXT)
    if mention.attempts > 0:
        raise RpcFault(
            UPSTREAM_ERROR, "The source could not be fetched just now; it will be tried again."
        )
    return f"Pingback from {source} to {target} received; it is being checked."


def _get_pingbacks(site: Site, url: str) -> list[str]:
    """``pingback.extensions.getPingbacks``: the sources of a page's visible mentions."""
    try:
        thread = find_thread(site, url)
    except ServiceError as error:
        raise RpcFault(TARGET_UNUSABLE, error.detail) from error
    if thread is None:
        raise RpcFault(TARGET_MISSING, "The specified target URI does not exist.")
    return list(
        db.session.scalars(
            sa.select(Mention.source)
            .where(
                Mention.thread_id == thread.id,
                Mention.verification == Verification.VERIFIED,
                Mention.status == CommentStatus.VISIBLE,
            )
            .order_by(Mention.id)
        )
    )
