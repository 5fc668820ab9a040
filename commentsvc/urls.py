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
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

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
_QUERY_SAFE = "/:@!$'()*+,;?-._~"  # in a parameter's name or value: "&" and "=" stay escaped
_ESCAPE = re.compile("(%[0-9A-Fa-f]{2})")


def _is_tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING_PARAMS


def _normal_text(text: str, safe: str) -> str:
    """One spelling of a path or query part: IRI characters UTF-8 percent-encoded, escapes
    upper-case, escapes of unreserved characters decoded (RFC 3986, 6.2.2); the bytes other
    escapes stand for are kept as they are (a 2009 page's Latin-1 query stays its own)."""
    pieces = _ESCAPE.split(text)
    for index, piece in enumerate(pieces):
        if index % 2:
            char = chr(int(piece[1:], 16))
            pieces[index] = char if char in _UNRESERVED else piece.upper()
        else:
            pieces[index] = quote(piece, safe=safe)
    return "".join(pieces)


def _normal_path(path: str) -> str:
    return _normal_text(path, _PATH_SAFE) or "/"


def _query_pairs(query: str) -> list[tuple[str, str | None]]:
    """The query's parameters in their order, each part in one spelling (``None``: no ``=``)."""
    pairs = []
    for part in query.split("&"):
        if part:
            name, equals, value = part.partition("=")
            normal_value = _normal_text(value, _QUERY_SAFE) if equals else None
            pairs.append((_normal_text(name, _QUERY_SAFE), normal_value))
    return pairs


def _param_name(name: str) -> str:
    return unquote_plus(name).lower()


def _query(pairs: list[tuple[str, str | None]]) -> str:
    return "&".join(name if value is None else f"{name}={value}" for name, value in pairs)


def without_non_content_params(url: str) -> str:
    """A normalised URL without the parameters that select no content: the link a thread
    keeps of its page (the first spelling seen may carry ``?replytocom=3&lang=fr``)."""
    parts = urlsplit(url)
    kept = [p for p in _query_pairs(parts.query) if _param_name(p[0]) not in NON_CONTENT_PARAMS]
    return urlunsplit(parts._replace(query=_query(kept)))


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
    if "@" in parts.netloc or "\\" in parts.netloc:
        # A browser reads http://a.example\@b.example/ as a page of a.example, Python's
        # parser as one of b.example: a page address names no user, and no two hosts.
        raise InvalidInput(f"The URL {url!r} names a user or a backslash before its host.")
    if port == 0:
        raise InvalidInput(f"The URL {url!r} names port 0, which no server listens on.")
    host = _ascii_host(parts.hostname.rstrip("."))
    if ":" in host:
        host = f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [pair for pair in _query_pairs(parts.query) if not _is_tracking(_param_name(pair[0]))]
    normal = urlunsplit((scheme, host, _normal_path(parts.path), _query(query), ""))
    if len(normal) > MAX_URL_LENGTH:  # escapes make a URL longer
        raise InvalidInput(f"The URL is longer than {MAX_URL_LENGTH} characters once encoded.")
    return normal


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
    # By name only: a parameter given twice keeps the order of its values (``?a=1&a=2``).
    query = sorted(
        (p for p in _query_pairs(parts.query) if _param_name(p[0]) not in NON_CONTENT_PARAMS),
        key=lambda pair: pair[0],
    )
    return f"{host}{path}?{_query(query)}" if query else f"{host}{path}"


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
