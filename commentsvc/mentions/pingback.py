"""``POST /pingback/<site>``: Pingback 1.0 over XML-RPC, with its fault codes.

The answer never waits for the source. Faults that cost no fetch are exact and immediate:
parse errors, unknown methods, wrong parameters, a source that is no URL (0x0010), a target
that is no URL (0x0020), off the site or no such site (0x0021), the source being the target
(0), already registered (0x0030), a blocked source or a rate limit (0x0031). Anything else
is recorded and committed, its check enqueued, and the answer is a success string saying it
is being checked. The check runs off the request thread (a worker, or the in-process pool),
so a slow source holds no web worker and senders with a short timeout (WordPress waits 3 s)
always get their answer.

The trade-off: the outcome of the check itself, which Pingback 1.0 reports as 0x0010 (source
missing), 0x0011 (no link) or 0x0032 (upstream error), is no longer a fault of the ping. It
is recorded on the mention (``rejection_code``, ``rejection_reason``), logged by the worker,
shown to operators, and a sender can see whether the ping counted by calling
``pingback.extensions.getPingbacks`` for the target. Senders treat a success string and
0x0030 alike, so nothing they rely on changes.

CVE-2013-0235 (WordPress's pingback as a port scanner): the answer no longer depends on the
source at all, and the worker's fetcher still refuses private, loopback and other internal
addresses and every port but the web ports before it connects, recording a refused source
exactly like a missing one. ``getPingbacks`` lists verified sources only, which an internal
address never becomes.

Whatever goes wrong inside (the database restarting, Redis gone, a bug) the answer is an
XML-RPC fault (0x0032, "upstream error"), logged, never an HTTP 500 a client cannot parse.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge

from commentsvc.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceError,
    TooManyRequests,
    checks_its_own_input,
    refuse_nul_bytes,
)
from commentsvc.extensions import db
from commentsvc.mentions import bp
from commentsvc.mentions.receive import check_client_rate, receive
from commentsvc.mentions.xmlrpc import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    RpcFault,
    fault,
    parse_call,
    response,
)
from commentsvc.models import CommentStatus, Mention, MentionKind, Site, Verification
from commentsvc.services.mentions import BadSource, BadTarget, ForeignTarget, SameSourceAndTarget
from commentsvc.services.sites import get_site
from commentsvc.services.threads import find_thread, page_key
from commentsvc.urls import page_identity

log = logging.getLogger(__name__)

GENERIC = 0x0000
SOURCE_MISSING = 0x0010
TARGET_MISSING = 0x0020
TARGET_UNUSABLE = 0x0021
ALREADY_REGISTERED = 0x0030
ACCESS_DENIED = 0x0031
UPSTREAM_ERROR = 0x0032

CLAIMS_BATCH = 500
# The newest claims without a thread that getPingbacks looks through: refused claims pile up,
# and one call must not read them all.
CLAIMS_SCANNED = 5_000
UPSTREAM_TEXT = "Upstream error: the pingback could not be handled just now; try again later."


def _xml(body: bytes) -> Response:
    return Response(body, mimetype="text/xml")


@bp.post("/pingback/<site_name>")
@checks_its_own_input
def pingback(site_name: str) -> Response:
    try:
        _refuse_nul_bytes()
        method, params = parse_call(_body())
        return _xml(response(_dispatch(site_name, method, params)))
    except RpcFault as error:
        return _xml(fault(error.code, error.message))
    except Exception:  # the database restarting, Redis gone, a bug: still an XML-RPC answer
        log.exception("pingback to site %r failed inside; answered 0x0032", site_name)
        _forget_transaction()
        return _xml(fault(UPSTREAM_ERROR, UPSTREAM_TEXT))


def _refuse_nul_bytes() -> None:
    try:
        refuse_nul_bytes()
    except InvalidInput as error:
        raise RpcFault(INVALID_REQUEST, error.detail) from error
    except RequestEntityTooLarge as error:  # an oversized form body, read to look for NULs
        raise RpcFault(PARSE_ERROR, "Parse error: empty or oversized request.") from error


def _body() -> bytes:
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge as error:
        raise RpcFault(PARSE_ERROR, "Parse error: empty or oversized request.") from error


def _forget_transaction() -> None:
    """Drop what the failed request half did; a dead connection is invalidated, not reused."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        log.warning("rollback after a failed pingback failed too", exc_info=True)


def _dispatch(site_name: str, method: str, params: tuple[Any, ...]) -> Any:
    if method == "pingback.ping":
        return _ping(_site(site_name), *_strings(params, 2))
    if method == "pingback.extensions.getPingbacks":
        site, [url] = _site(site_name), _strings(params, 1)
        try:
            check_client_rate()
        except TooManyRequests as error:
            raise RpcFault(ACCESS_DENIED, error.detail) from error
        return _get_pingbacks(site, url)
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
    return f"Pingback from {source} to {target} received; it is being checked."


def _get_pingbacks(site: Site, url: str) -> list[str]:
    """``pingback.extensions.getPingbacks``: the sources of a page's visible mentions.

    A page known only from claims still being checked (no thread yet) has none so far.
    """
    try:
        key = page_key(site, url)
        thread = find_thread(site, key)
    except ServiceError as error:
        raise RpcFault(TARGET_UNUSABLE, error.detail) from error
    if thread is None:
        if _has_claims(site, key):
            return []
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


def _has_claims(site: Site, key: str) -> bool:
    """Claims on the page that have no thread (being checked, or refused), in any spelling of
    it: the newest ``CLAIMS_SCANNED``, read in batches until one matches (an extension few
    senders call)."""
    identity = page_identity(key)
    targets = db.session.scalars(
        sa.select(Mention.target)
        .where(Mention.site_id == site.id, Mention.thread_id.is_(None))
        .order_by(Mention.id.desc())
        .limit(CLAIMS_SCANNED)
        .execution_options(yield_per=CLAIMS_BATCH)
    )
    return any(page_identity(target) == identity for target in targets)
