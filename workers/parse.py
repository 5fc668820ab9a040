"""Pure functions over a fetched document: does it link to the target, and what is it?

Nothing here touches the network. Everything extracted is plain text; the caller stores it
as text and nothing ever renders it as HTML. Microformats are read in
``workers.microformats``, endpoint discovery is in ``workers.discovery``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup, Tag

from workers.microformats import (
    Author,
    Entry,
    Part,
    classes_of,
    entry_author,
    entry_for,
    entry_type,
    first_text,
    is_entry,
    is_part,
    parse_published,
)
from workers.text import plain_text
from workers.values import clean_text, same_url, shorten

LINK_ATTRIBUTES = {"a": "href", "area": "href", "img": "src", "video": "src", "audio": "src"}
MEDIA_SOURCE_PARENTS = frozenset({"video", "audio", "picture"})
BLOCKS = frozenset(
    {"p", "li", "blockquote", "dd", "td", "th", "figcaption", "article", "section", "div", "body"}
)
EXCERPT_CONTEXT = 100  # characters on each side of the link, as WordPress takes
MAX_TITLE = 300
MAX_EXCERPT = 600
# Documents read as HTML (discovery, post links, HTML feeds); markup adds XML, which
# ``soup_of`` parses as XML (a source may be any XML that links).
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
MARKUP_TYPES = HTML_TYPES | {"application/xml"}
_SPACE = re.compile(r"\s+")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


@dataclass(frozen=True)
class Reading:
    """What a source document says about the target."""

    has_link: bool
    is_gone: bool = False  # <meta http-equiv="Status" content="410 Gone">
    title: str | None = None
    excerpt: str | None = None
    type: str = "mention"  # reply, like, repost or mention
    author: Author | None = None
    published_at: datetime | None = None


def soup_of(body: bytes, charset: str | None, content_type: str = "text/html") -> BeautifulSoup:
    parser = "lxml-xml" if content_type == "application/xml" else "lxml"
    return BeautifulSoup(body, parser, from_encoding=charset)


def nesting_depth(soup: BeautifulSoup) -> int:
    """How deep the page's elements nest, in one walk (no recursion: a hostile page nests
    deeper than Python's stack)."""
    depths: dict[int, int] = {id(soup): 0}
    deepest = 0
    for element in soup.find_all(True):
        depth = depths.get(id(element.parent), 0) + 1
        depths[id(element)] = depth
        deepest = max(deepest, depth)
    return deepest


def base_url(soup: BeautifulSoup, url: str) -> str:
    base = soup.find("base", href=True)
    if isinstance(base, Tag):
        return urljoin(url, str(base["href"]).strip())
    return url


# ---------------------------------------------------------------- links


@dataclass
class Outline:
    """What one walk over the tree collects: BeautifulSoup's finders each walk it again."""

    base: str | None = None
    title: Tag | None = None
    is_gone: bool = False
    entries: list[Tag] = field(default_factory=list)  # h-entry (or classic hentry) roots
    parts: list[Part] = field(default_factory=list)  # names and contents of entries, e-*
    links: list[tuple[Tag, str]] = field(default_factory=list)


def _link_value(element: Tag) -> str | None:
    if element.name == "source":
        if not (element.parent and element.parent.name in MEDIA_SOURCE_PARENTS):
            return None
        value = element.get("src") or element.get("srcset")
        return value.strip().split()[0] if isinstance(value, str) and value.strip() else None
    value = element.get(LINK_ATTRIBUTES[element.name])
    return value.strip() if isinstance(value, str) and value.strip() else None


def _is_gone_meta(element: Tag) -> bool:
    is_status = str(element.get("http-equiv", "")).strip().lower() == "status"
    return is_status and str(element.get("content", "")).strip().startswith("410")


def outline(soup: BeautifulSoup) -> Outline:
    """Links (as Webmention counts them), base, title, a 410 marker and any h-entry.

    Only ``a``/``area`` hrefs and ``img``/``video``/``audio`` (and their ``source``) srcs are
    links; URLs in comments, scripts, styles or other attributes are not (they are text or
    attributes the walk never reads).
    """
    found = Outline()
    for element in soup.descendants:
        if not isinstance(element, Tag):
            continue
        name = element.name
        if name in LINK_ATTRIBUTES or name == "source":
            value = _link_value(element)
            if value:
                found.links.append((element, value))
        elif name == "meta" and element.get("http-equiv") is not None:
            found.is_gone = found.is_gone or _is_gone_meta(element)
        elif name == "base" and found.base is None and element.get("href"):
            found.base = str(element["href"]).strip()
        elif name == "title" and found.title is None:
            found.title = element
        classes = classes_of(element)
        if classes:
            if is_entry(classes):
                found.entries.append(element)
            if is_part(classes):
                found.parts.append(Part(element, tuple(classes)))
    return found


def find_link(links: list[tuple[Tag, str]], target: str, base: str) -> Tag | None:
    """The first link element whose URL, resolved against ``base``, is the target."""
    tail = unquote(urlsplit(target).path.rstrip("/").rsplit("/", 1)[-1])
    for element, value in links:
        # Cheap pre-check before resolving and normalising each of a page's many links: a
        # reference that names a path must contain the target's last segment (decoded: the
        # link may be an IRI, or spell its escapes in lower case).
        if tail and tail not in unquote(value) and value[0] not in ".?#":
            continue
        if same_url(urljoin(base, value), target):
            return element
    return None


def excerpt_around(element: Tag) -> str | None:
    """WordPress's ``[…] context […]``: the text around the link within its block."""
    block = element
    while block.parent is not None and block.name not in BLOCKS:
        block = block.parent
    text = plain_text(block)
    anchor = plain_text(element) or str(element.get("alt") or "")
    at = text.find(anchor) if anchor else -1
    if at < 0:
        at, anchor = 0, ""
    start = max(0, at - EXCERPT_CONTEXT)
    end = min(len(text), at + len(anchor) + EXCERPT_CONTEXT)
    if start > 0 and " " in text[start:at]:
        start = text.index(" ", start) + 1
    if end < len(text) and " " in text[at + len(anchor) : end]:
        end = text.rindex(" ", at + len(anchor), end)
    context = text[start:end].strip()
    return clean_text(f"[…] {context} […]", MAX_EXCERPT) if context else None


def own_words(entry: Entry, *, whole_only: bool = False) -> str | None:
    """What an entry says in its own words: its summary, else its content's text, shortened.

    A reply's excerpt is the reply, not "[…] In reply to <the post's title> […]".
    ``whole_only``: only a summary or a content that fits whole (a note, not an article).
    """
    summary = shorten(first_text(entry.properties.get("summary")), MAX_EXCERPT)
    if summary:
        return summary
    if entry.content is None:
        return None
    text = plain_text(entry.content, limit=MAX_EXCERPT)
    if whole_only and len(text) > MAX_EXCERPT:
        return None
    return shorten(text, MAX_EXCERPT)


# ---------------------------------------------------------------- documents


def read_html(body: bytes, charset: str | None, url: str, target: str, content_type: str):
    """Read an HTML/XHTML source."""
    soup = soup_of(body, charset, content_type)
    found = outline(soup)
    if found.is_gone:
        return Reading(has_link=False, is_gone=True)
    base = urljoin(url, found.base) if found.base else url
    link = find_link(found.links, target, base)
    if link is None:
        return Reading(has_link=False)
    excerpt = excerpt_around(link)  # before mf2py, which changes the soup
    page_title = clean_text(found.title.get_text(" ") if found.title else None, MAX_TITLE)
    entry = (
        entry_for(soup, found.entries, found.parts, link, base, target) if found.entries else None
    )
    if entry is None:
        return Reading(
            has_link=True, title=page_title or clean_text(url, MAX_TITLE), excerpt=excerpt
        )
    properties = entry.properties
    name = clean_text(first_text(properties.get("name")), MAX_TITLE) if entry.has_name else None
    published = first_text(properties.get("published")) or first_text(properties.get("updated"))
    kind = entry_type(properties, target, base)
    # A reply is shown in its own words, and so is a note short enough to show whole; an
    # article that mentions the page in passing, as WordPress shows a pingback, by the words
    # around its link.
    if kind == "reply":
        words = own_words(entry) or excerpt
    else:
        words = own_words(entry, whole_only=True) or excerpt
    return Reading(
        has_link=True,
        title=name or page_title or clean_text(url, MAX_TITLE),
        excerpt=words,
        type=kind,
        author=entry_author(properties, base),
        published_at=parse_published(published),
    )


def read_text(text: str, url: str, target: str) -> Reading:
    """Plain text: the target URL appears as a string (trailing punctuation aside)."""
    for match in _URL_IN_TEXT.finditer(text):
        candidate = match.group(0).rstrip(".,;:!?)]}'\"")
        if same_url(candidate, target):
            start, end = max(0, match.start() - EXCERPT_CONTEXT), match.end() + EXCERPT_CONTEXT
            excerpt = clean_text(f"[…] {text[start:end]} […]", MAX_EXCERPT)
            return Reading(has_link=True, title=clean_text(url, MAX_TITLE), excerpt=excerpt)
    return Reading(has_link=False)


def _json_strings(value: Any, depth: int = 0):
    if depth > 50:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, depth + 1)


def read_json(text: str, url: str, target: str) -> Reading:
    """JSON: some property's value is exactly the target (normalised)."""
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return Reading(has_link=False)
    if any(same_url(value, target) for value in _json_strings(document)):
        title = (
            document.get("name") or document.get("title") if isinstance(document, dict) else None
        )
        return Reading(
            has_link=True,
            title=clean_text(title if isinstance(title, str) else url, MAX_TITLE),
        )
    return Reading(has_link=False)


def read_document(
    body: bytes, content_type: str, charset: str | None, url: str, target: str
) -> Reading:
    """Read any accepted source type by the Webmention spec's rules for it."""
    if content_type in MARKUP_TYPES:
        return read_html(body, charset, url, target, content_type)
    text = body.decode(charset or "utf-8", errors="replace")
    if content_type == "application/json" or content_type.endswith("+json"):
        return read_json(text, url, target)
    if content_type.endswith("+xml"):
        return read_html(body, charset, url, target, "application/xml")
    return read_text(text, url, target)
