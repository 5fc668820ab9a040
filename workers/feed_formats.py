"""Pure functions over a fetched feed: which posts it lists, and a fingerprint of each.

Four shapes are read: RSS 2.0 (and RSS 1.0/RDF), Atom, JSON Feed 1.0/1.1, and an HTML page
with an h-feed (or bare h-entries). XML goes through defusedxml only, which refuses entity
declarations and external references, so no feed can expand a billion laughs or read a file.
mf2py is handed the parsed document, never a URL (given a URL it would fetch it, unguarded).
Nothing here touches the network. A hostile feed gets no further than a
:class:`FeedFormatError`: an entry whose link (or ``xml:base``) is malformed is skipped and
counted, and a document nested too deeply for the parsers is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.etree.ElementTree import Element  # only the type: parsing is defusedxml

import mf2py
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from workers.parse import HTML_TYPES, nesting_depth, soup_of

MAX_ENTRIES = 500  # a feed listing more is read up to here (the newest come first)
# Deeper than any blog's template: past it mf2py's time, which grows with the square of the
# nesting, would hold a worker for minutes.
MAX_H_FEED_DEPTH = 256
ATOM = "{http://www.w3.org/2005/Atom}"
RSS1 = "{http://purl.org/rss/1.0/}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
JSON_FEED_PREFIX = "https://jsonfeed.org/version/1"


class FeedFormatError(ValueError):
    """The document is not a feed this module reads; the message says what it is instead."""


@dataclass(frozen=True)
class FeedEntry:
    """One post a feed lists: its absolute URL and a digest of what the feed says of it."""

    url: str
    fingerprint: str


@dataclass(frozen=True)
class ParsedFeed:
    """The posts a feed lists, in feed order, each once; and how many entries were skipped
    because their link was malformed (``http://[``: no URL at all)."""

    entries: list[FeedEntry]
    skipped: int = 0


def _fingerprint(*parts: str | None) -> str:
    return hashlib.sha256("\x1f".join(part or "" for part in parts).encode()).hexdigest()


def _web(url: str | None, base: str) -> str | None:
    """``url`` made absolute, if it is a web page; raises ValueError if it (or ``base``) is
    malformed, which :func:`_each` turns into a skipped entry."""
    if not url or not url.strip():
        return None
    absolute = urljoin(base, url.strip())
    return absolute if urlsplit(absolute).scheme.lower() in {"http", "https"} else None


def _each(
    items: Iterable[Any], read: Callable[[Any], FeedEntry | None]
) -> Iterator[FeedEntry | None]:
    """``read`` over the items; None for an item whose URLs are malformed (one bad entry
    costs only itself, not the feed)."""
    for item in items:
        try:
            found = read(item)
        except ValueError:
            yield None
            continue
        if found is not None:
            yield found


def parse_feed(body: bytes, content_type: str, url: str) -> ParsedFeed:
    """The posts ``body`` lists; raises :class:`FeedFormatError` for what is no feed."""
    start = body.lstrip()[:1]
    if content_type.endswith("json") or start in {b"{", b"["}:
        entries: Iterable[FeedEntry | None] = _json_feed(body, url)
    elif content_type in HTML_TYPES or body.lstrip()[:15].lower().startswith(
        (b"<!doctype h", b"<html")
    ):
        entries = _h_feed(body, url)
    else:
        entries = _xml_feed(body, url)
    unique: dict[str, FeedEntry] = {}
    skipped = 0
    for entry in entries:
        if entry is None:
            skipped += 1
            continue
        unique.setdefault(entry.url, entry)
        if len(unique) >= MAX_ENTRIES:
            break
    return ParsedFeed(list(unique.values()), skipped)


# ---------------------------------------------------------------- JSON Feed


def _json_feed(body: bytes, url: str) -> Iterator[FeedEntry | None]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as error:
        raise FeedFormatError("The feed is not valid JSON.") from error
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        JSON_FEED_PREFIX
    ):
        raise FeedFormatError("The JSON document is not a JSON Feed (no jsonfeed.org version).")
    base = _text(document.get("home_page_url")) or url
    items = document.get("items")

    def read(item: Any) -> FeedEntry | None:
        if not isinstance(item, dict):
            return None
        link = _web(_text(item.get("url")), base) or _web(_text(item.get("id")), base)
        if not link:
            return None
        return FeedEntry(
            link,
            _fingerprint(
                link,
                _text(item.get("title")),
                _text(item.get("date_modified")) or _text(item.get("date_published")),
                _text(item.get("content_html")) or _text(item.get("content_text")),
            ),
        )

    return _each(items if isinstance(items, list) else [], read)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------- XML: RSS and Atom


def _xml_feed(body: bytes, url: str) -> Iterator[FeedEntry | None]:
    try:
        root = fromstring(body)
    except DefusedXmlException as error:
        raise FeedFormatError(
            "The feed declares XML entities, which are never expanded."
        ) from error
    except (ParseError, ValueError) as error:
        raise FeedFormatError("The feed is neither valid XML nor JSON nor HTML.") from error
    if root.tag == "rss":
        return _rss(root, url)
    if root.tag == f"{ATOM}feed":
        return _atom(root, url)
    if root.tag == f"{RDF}RDF":
        return _rss1(root, url)
    raise FeedFormatError(f"The XML document is not RSS or Atom (its root is {root.tag!r}).")


def _child_text(element: Element, tag: str) -> str | None:
    child = element.find(tag)
    return (child.text or "").strip() or None if child is not None else None


def _rss(root: Element, url: str) -> Iterator[FeedEntry | None]:
    channel = root.find("channel")
    if channel is None:
        return iter(())
    base = channel.get(XML_BASE) or url

    def read(item: Element) -> FeedEntry | None:
        link = _child_text(item, "link")
        guid = item.find("guid")
        if not link and guid is not None and guid.get("isPermaLink", "true").lower() == "true":
            link = (guid.text or "").strip()
        absolute = _web(link, base)
        if not absolute:
            return None
        return FeedEntry(
            absolute,
            _fingerprint(
                absolute,
                _child_text(item, "title"),
                _child_text(item, "pubDate"),
                _child_text(item, "{http://purl.org/rss/1.0/modules/content/}encoded")
                or _child_text(item, "description"),
            ),
        )

    return _each(channel.iter("item"), read)


def _rss1(root: Element, url: str) -> Iterator[FeedEntry | None]:
    def read(item: Element) -> FeedEntry | None:
        absolute = _web(_child_text(item, f"{RSS1}link") or item.get(f"{RDF}about"), url)
        if not absolute:
            return None
        return FeedEntry(
            absolute,
            _fingerprint(
                absolute,
                _child_text(item, f"{RSS1}title"),
                _child_text(item, "{http://purl.org/dc/elements/1.1/}date"),
                _child_text(item, f"{RSS1}description"),
            ),
        )

    return _each(root.iter(f"{RSS1}item"), read)


def _atom_link(entry: Element, base: str) -> str | None:
    """The ``alternate`` link (the default rel); an entry may carry several others."""
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return _web(link.get("href"), link.get(XML_BASE) or base)
    return None


def _atom(root: Element, url: str) -> Iterator[FeedEntry | None]:
    feed_base = root.get(XML_BASE) or ""

    def read(entry: Element) -> FeedEntry | None:
        # Joined per entry: a malformed xml:base (the feed's or the entry's) costs its entries.
        entry_base = urljoin(urljoin(url, feed_base), entry.get(XML_BASE) or "")
        absolute = _atom_link(entry, entry_base)
        if not absolute:
            return None
        content = entry.find(f"{ATOM}content")
        summary = entry.find(f"{ATOM}summary")
        shown = content if content is not None else summary
        return FeedEntry(
            absolute,
            _fingerprint(
                absolute,
                _child_text(entry, f"{ATOM}title"),
                _child_text(entry, f"{ATOM}updated") or _child_text(entry, f"{ATOM}published"),
                "".join(shown.itertext()) if shown is not None else None,
            ),
        )

    return _each(root.iter(f"{ATOM}entry"), read)


# ---------------------------------------------------------------- HTML: h-feed


def _h_entries(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """h-entries of every h-feed, in document order, or the page's top-level h-entries."""
    for item in items:
        types = item.get("type", [])
        if "h-entry" in types:
            yield item
        elif "h-feed" in types:
            yield from (
                child for child in item.get("children", []) if "h-entry" in child.get("type", [])
            )


def _h_feed(body: bytes, url: str) -> Iterator[FeedEntry | None]:
    soup = soup_of(body, None)
    if nesting_depth(soup) > MAX_H_FEED_DEPTH:  # mf2py's time grows with its square
        raise FeedFormatError("The HTML page is nested too deeply to read.")
    try:
        parsed = mf2py.parse(doc=soup, url=url)
    except RecursionError as error:  # mf2py walks the tree recursively
        raise FeedFormatError("The HTML page is nested too deeply to read.") from error
    except ValueError as error:
        raise FeedFormatError(f"The HTML page could not be read: {error}.") from error
    if not parsed.get("items"):
        raise FeedFormatError("The HTML page has no h-feed or h-entry with a u-url.")

    def read(entry: dict[str, Any]) -> FeedEntry | None:
        properties = entry.get("properties", {})
        link = _first_url(properties.get("url", []), url)
        if not link:
            return None
        content = properties.get("content") or [None]
        html = content[0].get("html") if isinstance(content[0], dict) else content[0]
        return FeedEntry(
            link,
            _fingerprint(
                link,
                _first_string(properties.get("name", [])),
                _first_string(properties.get("updated", []))
                or _first_string(properties.get("published", [])),
                html if isinstance(html, str) else None,
            ),
        )

    return _each(_h_entries(parsed["items"]), read)


def _first_url(values: list[Any], base: str) -> str | None:
    for value in values:
        candidate = value.get("value") if isinstance(value, dict) else value
        if isinstance(candidate, str):
            absolute = _web(candidate, base)
            if absolute:
                return absolute
    return None


def _first_string(values: list[Any]) -> str | None:
    for value in values:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("value"), str):
            return value["value"]
    return None
