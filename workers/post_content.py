"""Pure functions over a fetched post: its content, a digest of it, and the links it makes.

The content is the ``e-content`` of the page's h-entry where there is one (the entry whose
``u-url`` is the page, else the first); otherwise the page's ``<main>``, else its first
``<article>``, else its body. Navigation, headers, footers, asides, scripts, styles and
templates are cut out first, so a blogroll or a "share on" bar never sends a mention. Links
are ``<a href>`` and ``<area href>`` only (an image from a CDN is not a reference worth a
webmention), resolved against ``<base>`` and the page's final URL, fragments dropped, each
page once (however its host is cased or its default port spelled), in document order. A
malformed ``<base>`` is ignored, as browsers ignore it; a malformed link is skipped and counted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup, Tag

from commentsvc.errors import InvalidInput
from commentsvc.services.feeds import MAX_KNOWN_LINKS
from commentsvc.urls import normalise_url, origin_of
from workers.parse import base_url, soup_of
from workers.values import MAX_URL, same_url

CUT = ("nav", "header", "footer", "aside", "script", "style", "template", "noscript")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class PostContent:
    """What one read of a post found: a digest of its content and its outbound links."""

    content_hash: str
    links: tuple[str, ...]  # to other origins, the first ``max_links``: those sent to
    known: tuple[str, ...]  # all of them, up to MAX_KNOWN_LINKS (a link lost leaves these)
    total: int  # all of them, however many
    dropped: int  # links beyond the cap, not sent
    malformed: int = 0  # hrefs that are no URL at all (``http://[``), skipped


def _classes(element: Tag) -> list[str]:
    value = element.get("class") or []
    return value.split() if isinstance(value, str) else list(value)


def _is_page(href: object, base: str, url: str) -> bool:
    if not isinstance(href, str):
        return False
    try:
        return same_url(urljoin(base, href.strip()), url)
    except ValueError:  # a malformed u-url names no page
        return False


def _entry_of(soup: BeautifulSoup, url: str, base: str) -> Tag | None:
    """The h-entry whose ``u-url`` is the page, else the first h-entry: one walk over the page
    (walking each entry's elements again made nested entries cost the square of their number,
    and a hostile page minutes of a worker's time)."""
    first = None
    for element in soup.find_all(True):
        classes = _classes(element)
        if first is None and "h-entry" in classes:
            first = element
        if "u-url" in classes:
            href = element.get("href") or element.get("value") or ""
            entry = _entry_holding(element) if _is_page(href, base, url) else None
            if entry is not None:
                return entry
    return first


def _entry_holding(element: Tag) -> Tag | None:
    """The nearest h-entry around ``element``: the one its property belongs to."""
    parent = element.parent
    while parent is not None and "h-entry" not in _classes(parent):
        parent = parent.parent
    return parent


def _e_content(entry: Tag) -> Tag | None:
    """The entry's own ``e-content`` (not that of an h-cite or h-entry nested in it)."""
    for element in entry.find_all(True):
        if "e-content" in _classes(element):
            parent = element.parent
            while parent is not None and parent is not entry:
                if any(c.startswith("h-") for c in _classes(parent)):
                    break
                parent = parent.parent
            else:
                return element
    return None


def _base(soup: BeautifulSoup, url: str) -> str:
    try:
        return base_url(soup, url)
    except ValueError:  # <base href="http://[">
        return url


def content_element(soup: BeautifulSoup, url: str) -> Tag:
    """Where the post's own words are (see the module docstring for the order)."""
    base = _base(soup, url)
    entry = _entry_of(soup, url, base)
    if entry is not None:
        content = _e_content(entry)
        if content is not None:
            return content
    for name in ("main", "article"):
        found = soup.find(name)
        if isinstance(found, Tag):
            return found
    return soup.body if isinstance(soup.body, Tag) else soup


def _links(content: Tag, base: str, own_origins: Iterable[str]) -> tuple[list[str], int]:
    """The links to other origins, each page once, in document order; and how many hrefs
    were malformed."""
    own = set(own_origins)
    found: dict[str, str] = {}  # normalised -> as the post spells it
    malformed = 0
    for element in content.find_all(["a", "area"], href=True):
        href = str(element["href"]).strip()
        if not href:
            continue
        try:
            parts = urlsplit(urljoin(base, href))
        except ValueError:
            malformed += 1  # brackets, a bad port: no link
            continue
        if parts.scheme.lower() not in {"http", "https"}:
            continue  # mailto:, tel:, javascript: are no pages
        absolute = urlunsplit(
            (parts.scheme.lower(), parts.netloc, parts.path or "/", parts.query, "")
        )
        try:
            key = normalise_url(absolute)
        except InvalidInput:
            malformed += 1
            continue
        if len(absolute) <= MAX_URL and origin_of(key) not in own:
            found.setdefault(key, absolute)
    return list(found.values()), malformed


def read_post(
    body: bytes, charset: str | None, url: str, own_origins: Iterable[str], max_links: int
) -> PostContent:
    """The post at ``url``: content digest and links to other origins (at most ``max_links``)."""
    soup = soup_of(body, charset)
    base = _base(soup, url)
    content = content_element(soup, url)
    for element in content.find_all(CUT):
        element.decompose()
    links, malformed = _links(content, base, own_origins)
    text = _SPACE.sub(" ", content.get_text(" ")).strip()
    digest = hashlib.sha256("\n".join([text, *links]).encode()).hexdigest()
    return PostContent(
        content_hash=digest,
        links=tuple(links[:max_links]),
        known=tuple(links[:MAX_KNOWN_LINKS]),
        total=len(links),
        dropped=max(0, len(links) - max_links),
        malformed=malformed,
    )
