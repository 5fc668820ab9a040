"""Where a page says to send webmentions and pingbacks, exactly as the specifications say.

Webmention (W3C Recommendation, 3.1.2): the first HTTP ``Link`` header with a ``rel`` of
``webmention`` wins; else the first ``<link>`` or ``<a>`` element, in document order (not
``<link>`` before ``<a>``), whose ``rel`` contains the word ``webmention`` and which has an
``href``. An element without ``href`` is skipped; an empty ``href`` is the page itself.
Relative URLs resolve against the page's final URL after redirects, query strings kept, and
``<base>`` is not consulted (the Recommendation resolves "relative to the target URL", as
webmention.rocks tests). Only elements a browser builds into the document count: markup
inside comments, scripts, styles, escaped text, ``<title>``, ``<textarea>``, ``<xmp>`` and
the like is text to lxml already, and elements inside ``<noscript>`` (raw text to a browser,
which runs scripts) or ``<template>`` (inert content, outside the document) are skipped, so
an alternative rendering never outranks the page's real endpoint. An ``href`` that is no
URL (``http://[``) is skipped like a missing one: the next candidate counts.

Pingback (1.0): the ``X-Pingback`` header, else the first ``<link rel="pingback">``.

The ``commentsvc site check`` command and the sender both use :func:`discover_endpoints`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup, SoupStrainer, Tag

from commentsvc.chars import NOT_STORABLE
from workers.parse import HTML_TYPES

# Elements whose content is not part of the document a browser shows.
NOT_IN_DOCUMENT = ("noscript", "template")


@dataclass(frozen=True)
class Endpoints:
    pingback: str | None
    webmention: str | None


def discover_endpoints(
    body: bytes,
    charset: str | None,
    url: str,
    link_headers: Iterable[str],
    x_pingback: str | None,
    content_type: str = "text/html",
) -> Endpoints:
    """The endpoints a page at (final) ``url`` advertises: headers first, then its HTML."""
    webmention = _from_link_headers(link_headers, url)
    pingback = _resolve(url, x_pingback) if x_pingback and x_pingback.strip() else None
    if (webmention is None or pingback is None) and content_type in HTML_TYPES:
        html_webmention, html_pingback = _from_html(body, charset, url)
        webmention = webmention if webmention is not None else html_webmention
        pingback = pingback if pingback is not None else html_pingback
    return Endpoints(pingback=pingback, webmention=webmention)


# ---------------------------------------------------------------- Link headers (RFC 8288)


def _from_link_headers(headers: Iterable[str], url: str) -> str | None:
    for header in headers:
        for target, params in parse_link_header(header):
            rels = params.get("rel", "").lower().split()
            resolved = _resolve(url, target) if "webmention" in rels else None
            if resolved is not None:
                return resolved
    return None


def _resolve(url: str, href: str) -> str | None:
    """``href`` resolved against ``url``, or None when it is no URL (a bad IPv6 literal or
    port, control characters): a hostile page can neither make discovery raise nor put an
    escape sequence into what operators' terminals print. Tabs and line breaks are dropped
    first, as browsers do (an attribute wrapped over two lines)."""
    href = href.strip().replace("\t", "").replace("\n", "").replace("\r", "")
    if NOT_STORABLE.search(href):
        return None
    try:
        resolved = urljoin(url, href)
        urlsplit(resolved).port  # noqa: B018 - raises ValueError for a port that is no number
    except ValueError:
        return None
    return resolved


def parse_link_header(value: str) -> Iterator[tuple[str, dict[str, str]]]:
    """Each ``<target>; name=value; name="quoted, value"`` of one header, in order.

    Commas separate links only outside ``<...>`` and quotes; parameter names are
    case-insensitive; the first occurrence of a parameter counts (RFC 8288, 3.3).
    """
    position, length = 0, len(value)
    while position < length:
        start = value.find("<", position)
        if start < 0:
            return
        end = value.find(">", start)
        if end < 0:
            return
        target = value[start + 1 : end].strip()
        params, position = _parameters(value, end + 1)
        yield target, params


def _parameters(value: str, position: int) -> tuple[dict[str, str], int]:
    """Parameters after a ``<target>`` up to the comma that ends the link."""
    params: dict[str, str] = {}
    length = len(value)
    while position < length:
        char = value[position]
        if char == ",":
            return params, position + 1
        if char != ";":
            position += 1
            continue
        name_end = position + 1
        while name_end < length and value[name_end] not in "=;,":
            name_end += 1
        name = value[position + 1 : name_end].strip().lower()
        position = name_end
        text = ""
        if position < length and value[position] == "=":
            text, position = _parameter_value(value, position + 1)
        if name and name not in params:
            params[name] = text
    return params, position


def _parameter_value(value: str, position: int) -> tuple[str, int]:
    length = len(value)
    while position < length and value[position] in " \t":
        position += 1
    if position < length and value[position] == '"':
        chars: list[str] = []
        position += 1
        while position < length and value[position] != '"':
            if value[position] == "\\" and position + 1 < length:
                position += 1
            chars.append(value[position])
            position += 1
        return "".join(chars), position + 1
    end = position
    while end < length and value[end] not in ";,":
        end += 1
    return value[position:end].strip(), end


# ---------------------------------------------------------------- HTML


def _from_html(body: bytes, charset: str | None, url: str) -> tuple[str | None, str | None]:
    """The first webmention ``<link>``/``<a>`` and the first pingback ``<link>``, by document
    order; only these element kinds (and what holds content outside the document) are parsed
    into the tree, so a large page stays cheap."""
    strainer = SoupStrainer(["link", "a", *NOT_IN_DOCUMENT])
    soup = BeautifulSoup(body, "lxml", parse_only=strainer, from_encoding=charset)
    webmention = pingback = None
    for element in soup.find_all(["link", "a"]):
        if not isinstance(element, Tag) or element.get("href") is None:
            continue
        if element.find_parent(NOT_IN_DOCUMENT) is not None:
            continue
        rels = _rels(element)
        href = str(element["href"])
        if webmention is None and "webmention" in rels:
            webmention = _resolve(url, href)
        if pingback is None and element.name == "link" and "pingback" in rels:
            pingback = _resolve(url, href)
        if webmention is not None and pingback is not None:
            break
    return webmention, pingback


def _rels(element: Tag) -> list[str]:
    value = element.get("rel") or []
    words = value.split() if isinstance(value, str) else [str(word) for word in value]
    return [word.lower() for word in words]
