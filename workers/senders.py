"""Say it to a receiver: a Webmention POST or a Pingback XML-RPC call, and what it answered.

Both go through :func:`workers.endpoint_post.post` (the address checked and pinned, one
deadline, a byte cap). A webmention is accepted by any 2xx (201's ``Location`` is the
receiver's status URL, kept only if it is an http(s) URL); a pingback by a result, or by
fault 0x0030 ("already registered"). 408, 429 and 5xx (pingback: fault 0x0032, upstream
error, and fault 429, WordPress's "posting comments too quickly" from its 15 s flood check)
are worth another attempt; other answers are final.
The call is built by the stdlib ``xmlrpc.client``; the answer is parsed by defusedxml first
(no DTDs, no entities) and only then decoded by the stdlib; whatever a malformed answer
makes the decoder raise is a recorded failure, never an error of the job.
"""

from __future__ import annotations

import re
import reprlib
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urljoin, urlsplit
from xml.parsers.expat import ExpatError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as safe_fromstring

from commentsvc.models import SendProtocol, SendState
from commentsvc.services.outbound import Outcome, host_of
from workers.endpoint_post import PostResult, post
from workers.fetch import (
    TRANSIENT_STATUSES,
    FetchPolicy,
    PermanentFetchError,
    RefusedAddress,
    TransientFetchError,
)

ALREADY_REGISTERED = 0x0030
UPSTREAM_ERROR = 0x0032
TOO_QUICK = 429  # WordPress: one comment per address per 15 s (wp_check_comment_flood)
FORM = "application/x-www-form-urlencoded"
XML = "text/xml"
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f]+")
TEXT_TYPES = ("text/plain", "application/json", "application/problem+json")
# What the stdlib decoder raises on answers that are XML but not a well-formed XML-RPC
# response: <methodResponse/> (ResponseError), a <member> without <name> (IndexError or
# TypeError), an <int> that is no number (ValueError), a fault without its fields, ...
MALFORMED = (
    xmlrpc.client.Error,
    ParseError,
    DefusedXmlException,
    ExpatError,
    ValueError,
    TypeError,
    LookupError,
    ArithmeticError,
    AttributeError,
)


@dataclass(frozen=True)
class Delivery:
    """An attempt's outcome; ``is_transient`` asks for another attempt later."""

    outcome: Outcome
    is_transient: bool = False
    failed_host: str | None = None  # the host that failed to answer (for its back-off)


def send_webmention(endpoint: str, source: str, target: str, policy: FetchPolicy) -> Delivery:
    """POST ``source`` and ``target`` form-encoded to ``endpoint``."""
    body = urlencode({"source": source, "target": target}).encode()
    return _post(SendProtocol.WEBMENTION, endpoint, body, FORM, policy, _webmention_answer)


def send_pingback(endpoint: str, source: str, target: str, policy: FetchPolicy) -> Delivery:
    """Call ``pingback.ping(source, target)`` at ``endpoint``."""
    body = xmlrpc.client.dumps((source, target), methodname="pingback.ping").encode()
    return _post(SendProtocol.PINGBACK, endpoint, body, XML, policy, _pingback_answer)


class MakeOutcome(Protocol):
    def __call__(
        self, state: SendState, detail: str, status: int | None = None, **extra: Any
    ) -> Outcome: ...


Judge = Callable[[MakeOutcome, PostResult], Delivery]


def _post(
    protocol: SendProtocol,
    endpoint: str,
    body: bytes,
    content_type: str,
    policy: FetchPolicy,
    judge: Judge,
) -> Delivery:
    def outcome(state: SendState, detail: str, status: int | None = None, **extra: Any) -> Outcome:
        return Outcome(state, protocol, endpoint, status, detail=detail, **extra)

    try:
        answer = post(endpoint, body, content_type, policy)
    except RefusedAddress as error:
        return Delivery(outcome(SendState.REFUSED, f"Endpoint refused: {error.reason}"))
    except PermanentFetchError as error:
        return Delivery(outcome(SendState.FAILED, f"Endpoint: {error.reason}"))
    except TransientFetchError as error:
        return Delivery(
            outcome(SendState.QUEUED, error.reason),
            is_transient=True,
            failed_host=host_of(endpoint),
        )
    status = answer.status
    if status in TRANSIENT_STATUSES or status >= 500:
        detail = f"The endpoint answered HTTP {status}."
        return Delivery(
            outcome(SendState.QUEUED, detail, status),
            is_transient=True,
            failed_host=host_of(endpoint),
        )
    if 300 <= status < 400:
        detail = f"The endpoint redirected (HTTP {status}); a POST is not repeated elsewhere."
        return Delivery(outcome(SendState.FAILED, detail, status))
    if status >= 400:
        return Delivery(outcome(SendState.FAILED, _refusal_text(answer), status))
    return judge(outcome, answer)


def _webmention_answer(outcome: MakeOutcome, answer: PostResult) -> Delivery:
    status_url = _status_url(answer)
    detail = "Accepted." if answer.status != 201 else "Created; the receiver reports at its URL."
    return Delivery(outcome(SendState.SENT, detail, answer.status, status_url=status_url))


def _status_url(answer: PostResult) -> str | None:
    """A 201's ``Location``, resolved; None unless it is an http(s) URL (it becomes a link
    on the operators' page, so ``javascript:`` and the like never get there)."""
    location = (answer.headers.get("location") or "").strip()
    if not location:
        return None
    try:
        url = urljoin(answer.url, location)
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    return url if parts.scheme in {"http", "https"} and parts.hostname else None


def _pingback_answer(outcome: MakeOutcome, answer: PostResult) -> Delivery:
    try:
        root = safe_fromstring(
            answer.body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
        if root.tag != "methodResponse":
            raise ValueError("not a methodResponse")
        (result,), _ = xmlrpc.client.loads(answer.body)
    except xmlrpc.client.Fault as fault:
        return _fault(outcome, answer.status, fault)
    except MALFORMED as error:
        detail = f"The endpoint's answer is not an XML-RPC response ({type(error).__name__})."
        return Delivery(outcome(SendState.FAILED, detail, answer.status))
    return Delivery(outcome(SendState.SENT, _shown(result) or "Accepted.", answer.status))


def _fault(outcome: MakeOutcome, status: int, fault: xmlrpc.client.Fault) -> Delivery:
    code = fault.faultCode if isinstance(fault.faultCode, int) else -1
    detail = f"Fault {code:#06x}: {_shown(fault.faultString)}"
    if code == ALREADY_REGISTERED:
        return Delivery(outcome(SendState.SENT, detail, status))
    if code in (UPSTREAM_ERROR, TOO_QUICK):
        return Delivery(outcome(SendState.QUEUED, detail, status), is_transient=True)
    return Delivery(outcome(SendState.FAILED, detail, status))


def _refusal_text(answer: PostResult) -> str:
    """The receiver's reason, as plain text and short: it is shown to operators."""
    text = _printable(answer.body[:400].decode("utf-8", "replace"))
    is_text = answer.headers.get("content-type", "").startswith(TEXT_TYPES)
    reason = f": {text[:160]}" if text and is_text else "."
    return f"The endpoint answered HTTP {answer.status}{reason}"


_SHORT = reprlib.Repr()  # keyword arguments only from Python 3.12
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 200, 200


def _shown(value: Any) -> str:
    """A value from an XML-RPC answer as operators read it. reprlib, not str(): an answer
    nested a thousand arrays deep is still a valid one, and str() of it raises RecursionError,
    which would be taken for a failed send and the ping sent again."""
    return _printable(value if isinstance(value, str) else _SHORT.repr(value))


def _printable(text: str) -> str:
    return _UNPRINTABLE.sub(" ", text).strip()[:200]
