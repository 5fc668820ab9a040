"""The only place that fetches a URL someone else gave us: SSRF-safe and bounded.

Every hop of a fetch resolves the host once, refuses private, loopback, link-local,
multicast, reserved and unspecified addresses (IPv6 forms, IPv4-mapped and other embedded
IPv4, and decimal/octal/hex spellings included), then connects to exactly the address it
checked (no second DNS lookup, so no DNS rebinding) while keeping the host name for the
``Host`` header, SNI and certificate checks. Redirects are followed by hand so that every
hop is checked again. The whole fetch has one deadline (connect, headers and body), the body
is read raw and decompressed here under a byte cap, so neither a trickling server nor a
gzip bomb can hold a worker. Only ``COMMENTSVC_FETCH_ALLOW_NETWORKS`` lets an otherwise
refused address through (tests allow loopback with it).
"""

from __future__ import annotations

import codecs
import ipaddress
import socket
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from workers.addresses import IPNetwork, is_allowed, literal_address, refusal
from workers.pinning import Deadline, PinnedAdapter

VERSION = "0.1"
MAX_REDIRECTS = 5
CHUNK = 16 * 1024
ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.8, application/json;q=0.7"
ACCEPTED_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "text/plain",
        "application/json",
        "application/xml",
        "text/xml",  # many RSS feeds
    }
)
# Request headers a caller may add (a conditional GET of a feed); never Host or the like.
CALLER_HEADERS = frozenset({"accept", "if-none-match", "if-modified-since"})
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
# What a request is for, as its User-Agent tells the server (``FetchPolicy.from_config``).
VERIFIER = "pingback and webmention verification"
SENDER = "webmention and pingback sender"
FEED_READER = "feed and post reader for outbound mentions"
TITLE_READER = "page title reader for comment threads"
PHOTO_READER = "author photo reader for mentions"


class FetchError(Exception):
    """The fetch failed; ``reason`` is a sentence fit for a status page."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class PermanentFetchError(FetchError):
    """Trying again will not help: bad scheme, refused address, 4xx, unsupported type."""


class RefusedAddress(PermanentFetchError):
    """The URL leads (directly, through DNS or a redirect) to an address we never fetch."""


class TransientFetchError(FetchError):
    """Worth retrying later: timeouts, connection failures, 5xx, 429."""


@dataclass(frozen=True)
class FetchPolicy:
    """How far a fetch may go; built from the app's configuration."""

    allow_networks: tuple[IPNetwork, ...] = ()
    timeout: float = 10.0
    max_bytes: int = 1_000_000
    ports: frozenset[int] = frozenset({80, 443, 8080, 8443})
    ca_bundle: str | None = None  # None: the system's trusted CAs (certifi)
    user_agent: str = f"commentsvc/{VERSION} ({VERIFIER})"

    @classmethod
    def from_config(cls, config: Any, purpose: str = VERIFIER) -> FetchPolicy:
        """The configured policy; the User-Agent says what the request is for (``purpose``,
        e.g. :data:`SENDER`) and where the service lives, so a receiver knows whom to ask."""
        public = config.get("PUBLIC_URL")
        agent = f"commentsvc/{VERSION} ({purpose}"
        agent += f"; +{public})" if public else ")"
        return cls(
            allow_networks=tuple(config.get("FETCH_ALLOW_NETWORKS") or ()),
            timeout=float(config.get("FETCH_TIMEOUT_SECONDS") or 10.0),
            max_bytes=int(config.get("FETCH_MAX_BYTES") or 1_000_000),
            ports=_ports(config.get("FETCH_ALLOWED_PORTS")),
            user_agent=agent,
        )


def _ports(value: Any) -> frozenset[int]:
    if value is None:
        return FetchPolicy.ports
    if isinstance(value, str | int):
        value = str(value).split(",")
    return frozenset(int(str(port).strip()) for port in value if str(port).strip())


@dataclass(frozen=True)
class FetchResult:
    """A fetched document: the final URL after redirects, its status, type and (capped) body."""

    url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    links: tuple[str, ...] = ()  # every ``Link`` header value, in order
    is_truncated: bool = False
    redirects: tuple[str, ...] = ()


def resolve(host: str, port: int) -> list[str]:
    """The addresses DNS gives for ``host`` (tests replace this: DNS cannot run here)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def checked_address(host: str, port: int, allow: Sequence[IPNetwork]) -> str:
    """The one address this hop will connect to, after every candidate passed the check.

    All DNS answers must pass: a name that resolves to a public and a private address is
    refused rather than raced.
    """
    literal = literal_address(host)
    if literal is not None:
        candidates = [literal]
    else:
        try:
            candidates = [ipaddress.ip_address(a.split("%", 1)[0]) for a in resolve(host, port)]
        except socket.gaierror as error:
            if error.errno == socket.EAI_NONAME:
                raise PermanentFetchError(f"The host {host} does not exist.") from error
            raise TransientFetchError(f"The host {host} could not be resolved.") from error
        except UnicodeError as error:  # a label too long or empty: no name server can help
            raise PermanentFetchError(f"The host {host} is not a valid host name.") from error
        except (OSError, ValueError) as error:
            raise TransientFetchError(f"The host {host} could not be resolved.") from error
        if not candidates:
            raise TransientFetchError(f"The host {host} has no address.")
    for candidate in candidates:
        reason = refusal(candidate, allow)
        if reason:
            raise RefusedAddress(f"Refused to fetch from {host}: {reason}.")
    return str(candidates[0])


# ---------------------------------------------------------------- the fetch


def fetch(
    url: str,
    policy: FetchPolicy | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    any_type: bool = False,
    types: frozenset[str] | None = None,
) -> FetchResult:
    """GET ``url`` within ``policy``; raise a :class:`FetchError` subclass on failure.

    Redirects are followed (each hop checked again); a 4xx/5xx final answer is returned
    only for 410 (a deletion the caller acts on), the rest raise. ``headers`` may only be
    those of :data:`CALLER_HEADERS`: with ``If-None-Match`` / ``If-Modified-Since`` a 304 is
    returned as it is (an empty body), for the caller to keep what it has.

    ``any_type`` is the mode for a webmention target, which may be an image or a PDF that
    advertises its endpoint in a ``Link`` header (W3C Webmention 3.1.2): an answer of a type
    other than :data:`ACCEPTED_TYPES` is returned with its headers and an empty body, which
    is never read.

    ``types`` replaces :data:`ACCEPTED_TYPES` (an author photo is an image, never a page):
    an answer of another type is refused like any unaccepted one.
    """
    extra = {name: value for name, value in (headers or {}).items() if value}
    if not {name.lower() for name in extra} <= CALLER_HEADERS:
        raise ValueError(f"fetch() sends only these extra headers: {sorted(CALLER_HEADERS)}")
    policy = policy or FetchPolicy()
    deadline = Deadline(policy.timeout)
    hops: list[str] = []
    try:
        for _ in range(MAX_REDIRECTS + 1):
            result_or_next = _hop(url, policy, deadline, extra, any_type, types)
            if isinstance(result_or_next, FetchResult):
                return _with_redirects(result_or_next, hops)
            hops.append(url)
            url = result_or_next
        raise PermanentFetchError(f"The source redirected more than {MAX_REDIRECTS} times.")
    finally:
        deadline.cancel()


def _with_redirects(result: FetchResult, hops: list[str]) -> FetchResult:
    if not hops:
        return result
    return FetchResult(**{**result.__dict__, "redirects": tuple(hops)})


def _target(url: str) -> tuple[str, str, int]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise PermanentFetchError(f"The URL {url!r} is malformed.") from error
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"} or not parts.hostname:
        raise PermanentFetchError("Only http and https URLs are fetched.")
    if parts.username or parts.password:
        raise PermanentFetchError("URLs with credentials are not fetched.")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def pinned_session(url: str, policy: FetchPolicy, deadline: Deadline) -> requests.Session:
    """A session whose only connection pool dials the checked address of ``url``'s host."""
    scheme, host, port = _target(url)
    address = checked_address(host, port, policy.allow_networks)
    if port not in policy.ports and not is_allowed(address, policy.allow_networks):
        # Arbitrary ports would let senders probe services through us (CVE-2013-0235).
        raise RefusedAddress(f"Refused to fetch from port {port}: only web ports are fetched.")
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would bypass the pinning
    adapter = PinnedAdapter(scheme, host, port, address, deadline)
    session.mount(f"{scheme}://", adapter)
    return session


@contextmanager
def transport_errors(deadline: Deadline, party: str = "source") -> Iterator[None]:
    """Turn what requests and sockets raise into transient or permanent fetch errors."""
    try:
        yield
    except FetchError:
        raise
    except (requests.Timeout, TimeoutError) as error:
        raise TransientFetchError(f"The {party} took too long to answer.") from error
    except requests.exceptions.SSLError as error:
        raise PermanentFetchError(f"The {party}'s TLS certificate is not valid.") from error
    except (requests.RequestException, OSError) as error:
        if time.monotonic() >= deadline.expires:
            raise TransientFetchError(f"The {party} took too long to answer.") from error
        raise TransientFetchError(f"The {party} could not be reached.") from error


def _hop(
    url: str,
    policy: FetchPolicy,
    deadline: Deadline,
    extra: Mapping[str, str],
    any_type: bool,
    types: frozenset[str] | None,
):
    session = pinned_session(url, policy, deadline)
    headers = {
        "Accept": f"{ACCEPT}, */*;q=0.1" if any_type else ACCEPT,
        **extra,
        "User-Agent": policy.user_agent,
        "Accept-Encoding": "gzip, deflate",
    }
    with transport_errors(deadline), session:
        remaining = deadline.remaining()
        response = session.get(
            url,
            headers=headers,
            allow_redirects=False,
            stream=True,
            timeout=(min(remaining, 5.0), remaining),
            verify=policy.ca_bundle or True,
        )
        with response:
            return _answer(url, response, policy, deadline, any_type, types)


def _answer(
    url: str,
    response: requests.Response,
    policy: FetchPolicy,
    deadline: Deadline,
    any_type: bool,
    types: frozenset[str] | None = None,
):
    status = response.status_code
    if status in {301, 302, 303, 307, 308}:
        location = response.headers.get("Location")
        if not location:
            raise PermanentFetchError("The source redirected without a Location.")
        return urljoin(url, location.strip())
    if status in TRANSIENT_STATUSES or status >= 500:
        raise TransientFetchError(f"The source answered HTTP {status}.", status=status)
    if status >= 400 and status != 410:
        raise PermanentFetchError(f"The source answered HTTP {status}.", status=status)
    content_type, charset = _content_type(response.headers.get("Content-Type", "text/html"))
    is_wanted = content_type in types if types is not None else _is_accepted(content_type)
    is_accepted = status in {304, 410} or is_wanted
    if not is_accepted and not any_type:
        wanted = "one of " + ", ".join(sorted(types)) if types else "an HTML or text page"
        raise PermanentFetchError(f"The source is {content_type}, not {wanted}.")
    body, is_truncated = (
        read_body(response, policy.max_bytes, deadline) if is_accepted else (b"", False)
    )
    return FetchResult(
        url=url,
        status=status,
        content_type=content_type,
        charset=charset,
        body=body,
        headers={k.lower(): v for k, v in response.headers.items()},
        links=tuple(_header_values(response, "Link")),
        is_truncated=is_truncated,
    )


def _header_values(response: requests.Response, name: str) -> list[str]:
    raw = getattr(response.raw, "headers", None)
    if raw is not None and hasattr(raw, "getlist"):
        return list(raw.getlist(name))
    value = response.headers.get(name)
    return [value] if value else []


def _content_type(value: str) -> tuple[str, str | None]:
    """The media type and charset; a charset that names no codec (or carries control
    characters, which parsers refuse with an exception) is dropped, as if not given."""
    message = Message()
    message["Content-Type"] = value
    charset = message.get_param("charset")
    return message.get_content_type(), charset if _is_codec(charset) else None


def _is_codec(charset: object) -> bool:
    if not isinstance(charset, str) or not charset.isascii() or not charset.isprintable():
        return False
    try:
        codecs.lookup(charset)
    except LookupError:
        return False
    return True


def _is_accepted(content_type: str) -> bool:
    return content_type in ACCEPTED_TYPES or content_type.endswith(("+json", "+xml"))


def _decoder(encoding: str) -> Callable[[bytes, int], bytes] | None:
    encoding = encoding.strip().lower()
    if encoding in {"", "identity"}:
        return None
    if encoding in {"gzip", "x-gzip"}:
        state = zlib.decompressobj(16 + zlib.MAX_WBITS)
    elif encoding == "deflate":
        state = zlib.decompressobj()
    else:
        raise PermanentFetchError(f"The source used an unsupported encoding {encoding!r}.")

    def decode(chunk: bytes, limit: int) -> bytes:
        # max_length bounds what one compressed chunk may expand to: a bomb stops here.
        return state.decompress(state.unconsumed_tail + chunk, limit)

    return decode


def read_body(
    response: requests.Response, max_bytes: int, deadline: Deadline
) -> tuple[bytes, bool]:
    """Read at most ``max_bytes`` decompressed bytes before the deadline; report a cut."""
    decode = _decoder(response.headers.get("Content-Encoding", ""))
    raw = response.raw
    body = bytearray()
    sock = _socket_of(raw)
    while True:
        if sock is not None:
            sock.settimeout(deadline.remaining())
        else:
            deadline.remaining()
        try:
            chunk = raw.read(CHUNK, decode_content=False)
        except Exception as error:
            if time.monotonic() >= deadline.expires:
                raise TransientFetchError("The source took too long to answer.") from error
            raise TransientFetchError("The source broke off while sending.") from error
        try:
            data = decode(chunk, max_bytes - len(body) + 1) if decode else chunk
            body += data
            # At the end, inflate whatever the last chunks left behind (still capped).
            while decode and not chunk and data and len(body) <= max_bytes:
                data = decode(b"", max_bytes - len(body) + 1)
                body += data
        except zlib.error as error:
            raise PermanentFetchError("The source sent a corrupt compressed body.") from error
        if len(body) > max_bytes:
            return bytes(body[:max_bytes]), True
        if not chunk:
            return bytes(body), False


def _socket_of(raw: Any) -> socket.socket | None:
    connection = getattr(raw, "_connection", None) or getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None
