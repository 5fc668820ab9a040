"""Pure functions over a fetched document: does it link to the target, and what is it?

Nothing here touches the network: mf2py is always handed the parsed document, never a
URL (given a URL it would fetch it, unguarded). Everything extracted is plain text; the
caller stores it as text and nothing ever renders it as HTML.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import mf2py
from bs4 import BeautifulSoup, Tag
from requests.utils import parse_header_links

from commentsvc.errors import InvalidInput
from commentsvc.urls import normalise_url

LINK_ATTRIBUTES = {"a": "href", "area": "href", "img": "src", "video": "src", "audio": "src"}
MEDIA_SOURCE_PARENTS = frozenset({"video", "audio", "picture"})
BLOCKS = frozenset(
    {"p", "li", "blockquote", "dd", "td", "th", "figcaption", "article", "section", "div", "body"}
)
EXCERPT_CONTEXT = 100  # characters on each side of the link, as WordPress takes
MAX_TITLE = 300
MAX_EXCERPT = 600
MAX_NAME = 200
MAX_URL = 2048
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml"})
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


@dataclass(frozen=True)
class Author:
    name: str | None
    url: str | None
    photo: str | None


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


@dataclass(frozen=True)
class Endpoints:
    pingback: str | None
    webmention: str | None


# ---------------------------------------------------------------- helpers


def clean_text(text: str | None, limit: int) -> str | None:
    """Collapse whitespace, drop control characters, cut at ``limit`` (text only, never HTML)."""
    if not text:
        return None
    text = _SPACE.sub(" ", _CONTROL.sub("", text)).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def same_url(candidate: str, target: str) -> bool:
    try:
        return normalise_url(candidate) == normalise_url(target)
    except InvalidInput:
        return False


def web_url(value: Any, base: str) -> str | None:
    """An absolute http(s) URL or None: author links and photos may be nothing else."""
    if isinstance(value, dict):
        value = value.get("value") or (value.get("properties", {}).get("url") or [None])[0]
    if not isinstance(value, str) or not value.strip():
        return None
    absolute = urljoin(base, value.strip())
    if urlsplit(absolute).scheme.lower() not in {"http", "https"} or len(absolute) > MAX_URL:
        return None
    return absolute


def soup_of(body: bytes, charset: str | None, content_type: str = "text/html") -> BeautifulSoup:
    parser = "lxml-xml" if content_type == "application/xml" else "lxml"
    return BeautifulSoup(body, parser, from_encoding=charset)


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
    has_entry: bool = False
    has_name: bool = False  # an explicit p-name (mf2's implied name is the whole entry's text)
    embedded: list[Tag] = field(default_factory=list)  # e-* properties
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
        classes = element.get("class")
        if classes:
            classes = classes.split() if isinstance(classes, str) else classes
            found.has_entry = found.has_entry or "h-entry" in classes
            found.has_name = found.has_name or "p-name" in classes
            if any(c.startswith("e-") for c in classes):
                found.embedded.append(element)
    return found


def find_link(links: list[tuple[Tag, str]], target: str, base: str) -> Tag | None:
    """The first link element whose URL, resolved against ``base``, is the target."""
    tail = urlsplit(target).path.rstrip("/").rsplit("/", 1)[-1]
    for element, value in links:
        # Cheap pre-check before resolving and normalising each of a page's many links: a
        # reference that names a path must contain the target's last segment.
        if tail and tail not in value and value[0] not in ".?#":
            continue
        if same_url(urljoin(base, value), target):
            return element
    return None


def excerpt_around(element: Tag) -> str | None:
    """WordPress's ``[…] context […]``: the text around the link within its block."""
    block = element
    while block.parent is not None and block.name not in BLOCKS:
        block = block.parent
    text = _SPACE.sub(" ", block.get_text(" ")).strip()
    anchor = _SPACE.sub(" ", element.get_text(" ")).strip() or str(element.get("alt") or "")
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


# ---------------------------------------------------------------- microformats


def _entries(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for item in items:
        if "h-entry" in item.get("type", []):
            found.append(item)
        found.extend(_entries(item.get("children", [])))
    return found


def _property_targets(values: list[Any], target: str, base: str) -> bool:
    for value in values:
        url = web_url(value, base)
        if url and same_url(url, target):
            return True
    return False


def entry_type(entry: dict[str, Any], target: str, base: str) -> str:
    properties = entry.get("properties", {})
    for prop, kind in (("like-of", "like"), ("repost-of", "repost"), ("in-reply-to", "reply")):
        if _property_targets(properties.get(prop, []), target, base):
            return kind
    return "mention"


def entry_author(entry: dict[str, Any], base: str) -> Author | None:
    values = entry.get("properties", {}).get("author") or []
    if not values:
        return None
    value = values[0]
    if isinstance(value, str):
        url = web_url(value, base)
        name = None if url else clean_text(value, MAX_NAME)
        return Author(name=name, url=url, photo=None) if (name or url) else None
    if isinstance(value, dict):
        props = value.get("properties", {})
        name = clean_text(_first_text(props.get("name")) or value.get("value"), MAX_NAME)
        url = web_url((props.get("url") or [None])[0], base)
        photo = web_url((props.get("photo") or [None])[0], base)
        if name and url and same_url(url, name):
            name = None
        return Author(name=name, url=url, photo=photo) if (name or url or photo) else None
    return None


def _first_text(values: Any) -> str | None:
    if not values:
        return None
    value = values[0]
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else None


def parse_published(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace(" ", "T", 1)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def _entry_for(found: Outline, soup: BeautifulSoup, url: str, target: str) -> dict[str, Any] | None:
    """The h-entry that replies to, likes or reposts the target, else the first one.

    e-* properties (``e-content``) lose their class first: mf2py would serialise each to
    HTML and text, most of its time on a long post, for values this reader never uses. The
    soup is spent afterwards.
    """
    for element in found.embedded:
        element["class"] = [
            c for c in element.get_attribute_list("class") if not c.startswith("e-")
        ]
    parsed = mf2py.parse(doc=soup, url=url)
    entries = _entries(parsed.get("items", []))
    for entry in entries:
        if entry_type(entry, target, url) != "mention":
            return entry
    return entries[0] if entries else None


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
    excerpt = excerpt_around(link)
    title = clean_text(found.title.get_text(" ") if found.title else None, MAX_TITLE)
    # mf2py only where an h-entry is (and last: it changes the soup).
    entry = _entry_for(found, soup, base, target) if found.has_entry else None
    properties = (entry or {}).get("properties", {})
    if not title and found.has_name:
        title = clean_text(_first_text(properties.get("name")), MAX_TITLE)
    return Reading(
        has_link=True,
        title=title or clean_text(url, MAX_TITLE),
        excerpt=excerpt,
        type=entry_type(entry, target, base) if entry else "mention",
        author=entry_author(entry, base) if entry else None,
        published_at=parse_published(_first_text(properties.get("published"))),
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
    if content_type in HTML_TYPES:
        return read_html(body, charset, url, target, content_type)
    text = body.decode(charset or "utf-8", errors="replace")
    if content_type == "application/json" or content_type.endswith("+json"):
        return read_json(text, url, target)
    if content_type.endswith("+xml"):
        return read_html(body, charset, url, target, "application/xml")
    return read_text(text, url, target)


# ---------------------------------------------------------------- discovery


def discover_endpoints(
    body: bytes, charset: str | None, url: str, link_headers: list[str], x_pingback: str | None
) -> Endpoints:
    """The pingback and webmention endpoints a page advertises (headers first, then HTML)."""
    webmention = None
    for header in link_headers:
        for link in parse_header_links(header):
            if "webmention" in str(link.get("rel", "")).split() and webmention is None:
                webmention = urljoin(url, link.get("url", "").strip("<> "))
    pingback = urljoin(url, x_pingback.strip()) if x_pingback else None
    if webmention and pingback:
        return Endpoints(pingback=pingback, webmention=webmention)
    soup = soup_of(body, charset)
    base = base_url(soup, url)
    for element in soup.find_all(["link", "a"], rel=True, href=True):
        rels = element.get("rel") or []
        rels = rels.split() if isinstance(rels, str) else [r.lower() for r in rels]
        href = urljoin(base, str(element["href"]).strip())
        if webmention is None and "webmention" in rels:
            webmention = href
        if pingback is None and "pingback" in rels and element.name == "link":
            pingback = href
    return Endpoints(pingback=pingback, webmention=webmention)
