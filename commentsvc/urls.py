"""Page URLs as thread keys: one spelling per page, and only pages of the site's origins."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from commentsvc.errors import InvalidInput

MAX_URL_LENGTH = 2048
_CONTROL = re.compile("[\x00-\x1f\x7f]")
DEFAULT_PORTS = {"http": 80, "https": 443}
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "igshid", "yclid", "_ga", "ref"}
)


def _is_tracking(name: str) -> bool:
    return name.lower().startswith("utm_") or name.lower() in TRACKING_PARAMS


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, drop default port, fragment and tracking parameters.

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
    host = parts.hostname.rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    if port and port != DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    query = [
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)
    ]
    return urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))


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
