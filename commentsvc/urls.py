"""Page URLs as thread keys: one spelling per page, and only pages of the site's origins.

Two forms: :func:`normalise_url` is a page's link (one spelling of what was sent, stored and
shown); :func:`page_identity` is the page's equivalence key, which every spelling senders and
readers use for one page shares (the scheme, ``www.``, a trailing slash, non-content query
parameters), as WordPress's ``url_to_postid`` finds a post from any of them.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from commentsvc.errors import InvalidInput

MAX_URL_LENGTH = 2048
_CONTROL = re.compile("[\x00-\x1f\x7f]")
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref"}
)


# Parameters that do not select content, dropped from a page's identity only (the link keeps
# them): ``replytocom`` and ``cpage`` are WordPress's reply-link and comment-page parameters;
# ``amp`` asks for the AMP rendering of the same post; ``lang`` and ``hl`` ask for a translation
# of the page's interface, whose thread is the page's. Every other parameter is kept: old sites
# select content with ``?id=`` and WordPress with ``?p=`` / ``?page_id=``.
NON_CONTENT_PARAMS = frozenset({"replytocom", "cpage", "amp", "lang", "hl"})
# RFC 3986 unreserved characters: an escape of one of them is the character itself.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = "/:@!$&'()*+,;=-._~"
_ESCAPE = re.compile("(%[0-9A-Fa-f]{2})")


def _is_tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING_PARAMS


def _normal_path(path: str) -> str:
    """One spelling of a path: IRI characters UTF-8 percent-encoded, escapes upper-case,
    escapes of unreserved characters decoded (RFC 3986, 6.2.2)."""
    pieces = _ESCAPE.split(path)
    for index, piece in enumerate(pieces):
        if index % 2:
            char = chr(int(piece[1:], 16))
            pieces[index] = char if char in _UNRESERVED else piece.upper()
        else:
            pieces[index] = quote(piece, safe=_PATH_SAFE)
    return "".join(pieces) or "/"


def _ascii_host(host: str) -> str:
    """An internationalised host name in its ASCII (punycode) form."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as error:
        raise InvalidInput(f"The host name {host!r} is not valid: {error}.") from error


def normalise_url(url: str) -> str:
    """Lower-case scheme and host (IDN hosts in punycode), drop default port, fragment and
    tracking parameters; one percent-encoding of path and query.

    Raises :class:`InvalidInput` for anything that is not an absolute http(s) URL.
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("A page URL is required.")
    return _normalise(url.strip())


@lru_cache(maxsize=4096)
def _normalise(url: str) -> str:
    """Pure, so remembered: every page view normalises the same few URLs (the hot path)."""
    if _CONTROL.search(url):
        raise InvalidInput("The URL contains control characters.")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidInput(f"The URL {url!r} is malformed: {error}.") from error
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise InvalidInput(f"The URL {url!r} is not an absolute http(s) URL.")
    host = _ascii_host(parts.hostname.rstrip("."))
    if ":" in host:
        host = f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    return urlunsplit((scheme, host, _normal_path(parts.path), urlencode(query), ""))


def page_identity(url: str) -> str:
    """The equivalence key of a page (``Thread.identity``): the normalised URL without its
    scheme, a leading ``www.``, a trailing slash (but the root's) and the parameters that do
    not select content, the others sorted. Raises :class:`InvalidInput` as
    :func:`normalise_url` does. Whether a URL is a site's page at all is :func:`site_origin`'s
    question, asked before."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("A page URL is required.")
    return _identity(url.strip())


@lru_cache(maxsize=4096)
def _identity(url: str) -> str:
    """Pure, so remembered, as :func:`_normalise` is (every read and count asks)."""
    parts = urlsplit(_normalise(url))
    host = parts.netloc.removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in NON_CONTENT_PARAMS
    )
    return f"{host}{path}?{urlencode(query)}" if query else f"{host}{path}"


def site_origin(origins: Collection[str], url: str) -> str | None:
    """The listed origin that the normalised ``url`` belongs to, or None.

    Its own origin, else the same host and port under the other scheme (a site that moved to
    https still owns its old ``http://`` links, and the reverse). ``www.`` and the bare host
    are told apart: both are a site's only when it lists both.
    """
    own = origin_of(url)
    if own in origins:
        return own
    scheme, rest = own.split("://", 1)
    other = f"{'https' if scheme == 'http' else 'http'}://{rest}"
    return other if other in origins else None


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a normalised URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def normalise_origin(origin: str) -> str:
    """An origin as given on the command line, in the form :func:`origin_of` produces."""
    normal = normalise_url(origin)
    parts = urlsplit(normal)
    if parts.path not in {"", "/"} or parts.query:
        raise InvalidInput(f"An origin has no path or query: {origin!r}.")
    return origin_of(normal)
