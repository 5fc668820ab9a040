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

import contextlib
import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util import connection as urllib3_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

VERSION = "0.1"
MAX_REDIRECTS = 5
CHUNK = 16 * 1024
ACCEPT = "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.8, application/json;q=0.7"
ACCEPTED_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain", "application/json", "application/xml"}
)
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")


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
    user_agent: str = f"commentsvc/{VERSION} (pingback and webmention verification)"

    @classmethod
    def from_config(cls, config: Any) -> FetchPolicy:
        public = config.get("PUBLIC_URL")
        agent = f"commentsvc/{VERSION} (pingback and webmention verification"
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


# ---------------------------------------------------------------- addresses


def resolve(host: str, port: int) -> list[str]:
    """The addresses DNS gives for ``host`` (tests replace this: DNS cannot run here)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def literal_address(host: str) -> IPAddress | None:
    """The address a host spells directly, in any form a C resolver would accept.

    ``2130706433``, ``0177.0.0.1``, ``0x7f.1`` and ``127.1`` all mean 127.0.0.1 to
    ``inet_aton``; reading them the same way here means no spelling slips past the check.
    """
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    if bare and all(c in "0123456789abcdefxABCDEFX." for c in bare) and bare[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(bare))
        except OSError:
            return None
    return None


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    packed = address.packed
    if packed[:12] == bytes(12) and int(address) > 1:  # deprecated IPv4-compatible ::a.b.c.d
        return ipaddress.IPv4Address(packed[12:])
    return None


def refusal(address: IPAddress, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why ``address`` may not be fetched, or None when it may."""
    if any(address.version == net.version and address in net for net in allow):
        return None
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = refusal(embedded, allow)
            return f"it embeds {embedded}, and {inner}" if inner else None
    checks = (
        ("is_unspecified", "unspecified"),
        ("is_loopback", "loopback"),
        ("is_link_local", "link-local"),
        ("is_multicast", "multicast"),
        ("is_private", "private"),
        ("is_reserved", "reserved"),
    )
    for attribute, name in checks:
        if getattr(address, attribute):
            return f"{address} is a {name} address"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return f"{address} is a site-local address"
    if not address.is_global:
        return f"{address} is not a public address"
    return None


def _is_allowed(address: str, allow: Sequence[IPNetwork]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == net.version and ip in net for net in allow)


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
        except (OSError, UnicodeError, ValueError) as error:
            raise TransientFetchError(f"The host {host} could not be resolved.") from error
        if not candidates:
            raise TransientFetchError(f"The host {host} has no address.")
    for candidate in candidates:
        reason = refusal(candidate, allow)
        if reason:
            raise RefusedAddress(f"Refused to fetch from {host}: {reason}.")
    return str(candidates[0])


# ---------------------------------------------------------------- pinned connections


class _Deadline:
    """One clock for a whole fetch; sockets opened under it are shut when it passes."""

    def __init__(self, seconds: float) -> None:
        self.expires = time.monotonic() + seconds
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self) -> float:
        left = self.expires - time.monotonic()
        if left <= 0:
            raise TransientFetchError("The source took too long to answer.")
        return left

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)

    def _expire(self) -> None:
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


class _PinnedMixin:
    """Connect to the checked address; ``host`` stays the name (Host header, SNI, cert)."""

    def __init__(self, *args: Any, pinned_address: str, deadline: _Deadline, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._pinned_address = pinned_address
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        timeout = min(self.timeout, self._deadline.remaining())  # type: ignore[attr-defined]
        try:
            sock = urllib3_connection.create_connection(
                (self._pinned_address, self.port),  # type: ignore[attr-defined]
                timeout,
                socket_options=self.socket_options,  # type: ignore[attr-defined]
            )
        except TimeoutError as error:
            raise ConnectTimeoutError(self, f"connect to {self.host} timed out") from error  # type: ignore[attr-defined]
        except OSError as error:
            raise NewConnectionError(self, f"cannot connect: {error}") from error
        self._deadline.watch(sock)
        return sock


class _PinnedHTTPConnection(_PinnedMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedMixin, HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _PinnedAdapter(HTTPAdapter):
    """A transport adapter whose only pool connects to one checked address."""

    def __init__(self, scheme: str, host: str, port: int, address: str, deadline: _Deadline):
        super().__init__(max_retries=0)
        pool_class = _PinnedHTTPSPool if scheme == "https" else _PinnedHTTPPool
        self._pool = pool_class(
            host, port, maxsize=1, pinned_address=address, deadline=deadline, retries=False
        )

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        return self._pool

    def close(self) -> None:
        self._pool.close()
        super().close()


# ---------------------------------------------------------------- the fetch


def fetch(url: str, policy: FetchPolicy | None = None) -> FetchResult:
    """GET ``url`` within ``policy``; raise a :class:`FetchError` subclass on failure.

    Redirects are followed (each hop checked again); a 4xx/5xx final answer is returned
    only for 410 (a deletion the caller acts on), the rest raise.
    """
    policy = policy or FetchPolicy()
    deadline = _Deadline(policy.timeout)
    hops: list[str] = []
    try:
        for _ in range(MAX_REDIRECTS + 1):
            result_or_next = _hop(url, policy, deadline)
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


def _hop(url: str, policy: FetchPolicy, deadline: _Deadline):
    scheme, host, port = _target(url)
    address = checked_address(host, port, policy.allow_networks)
    if port not in policy.ports and not _is_allowed(address, policy.allow_networks):
        # Arbitrary ports would let senders probe services through us (CVE-2013-0235).
        raise RefusedAddress(f"Refused to fetch from port {port}: only web ports are fetched.")
    session = requests.Session()
    session.trust_env = False  # a proxy from the environment would bypass the pinning
    adapter = _PinnedAdapter(scheme, host, port, address, deadline)
    session.mount(f"{scheme}://", adapter)
    headers = {
        "User-Agent": policy.user_agent,
        "Accept": ACCEPT,
        "Accept-Encoding": "gzip, deflate",
    }
    try:
        with session:
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
                return _answer(url, response, policy, deadline)
    except FetchError:
        raise
    except (requests.Timeout, TimeoutError) as error:
        raise TransientFetchError("The source took too long to answer.") from error
    except requests.exceptions.SSLError as error:
        raise PermanentFetchError("The source's TLS certificate is not valid.") from error
    except (requests.RequestException, OSError) as error:
        if time.monotonic() >= deadline.expires:
            raise TransientFetchError("The source took too long to answer.") from error
        raise TransientFetchError("The source could not be reached.") from error


def _answer(url: str, response: requests.Response, policy: FetchPolicy, deadline: _Deadline):
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
    if status != 410 and not _is_accepted(content_type):
        raise PermanentFetchError(f"The source is {content_type}, not an HTML or text page.")
    body, is_truncated = _read_body(response, policy.max_bytes, deadline)
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
    message = Message()
    message["Content-Type"] = value
    charset = message.get_param("charset")
    return message.get_content_type(), charset if isinstance(charset, str) else None


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


def _read_body(
    response: requests.Response, max_bytes: int, deadline: _Deadline
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
