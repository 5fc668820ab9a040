"""Microformats (mf2py) on a fetched page: the h-entry that mentions the target, its type,
author, published time and own words. mf2py is always handed the parsed document, never a URL
(given a URL it would fetch it, unguarded).

Classic microformats count too: mf2py reads a page's ``hentry`` (with ``entry-title``,
``entry-summary``, ``entry-content``, an ``author vcard`` and ``published``/``updated``) as an
h-entry when the element carries no microformats2 root, as WordPress themes mark posts up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import mf2py
from bs4 import BeautifulSoup, Tag

from workers.values import clean_text, same_url, web_url

MAX_NAME = 200
_MF2_ROOT = re.compile(r"h-(?:[a-z0-9]+-)?[a-z]+(?:-[a-z]+)*$")
# The classic roots mf2py reads (its backcompat rules).
CLASSIC_ROOTS = frozenset(
    {"adr", "geo", "hentry", "hfeed", "hproduct", "hrecipe", "hresume", "hreview",
     "hreview-aggregate", "vcard", "vevent"}
)  # fmt: skip
ENTRY_PARTS = frozenset({"p-name", "entry-title", "entry-content"})
_ROOT_ID = "commentsvc-entry-"


@dataclass(frozen=True)
class Author:
    name: str | None
    url: str | None
    photo: str | None


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


def entry_type(properties: dict[str, Any], target: str, base: str) -> str:
    """reply, like, repost or mention: what the entry's properties say it is to the target."""
    for prop, kind in (("like-of", "like"), ("repost-of", "repost"), ("in-reply-to", "reply")):
        if _property_targets(properties.get(prop, []), target, base):
            return kind
    return "mention"


def entry_author(properties: dict[str, Any], base: str) -> Author | None:
    values = properties.get("author") or []
    if not values:
        return None
    value = values[0]
    if isinstance(value, str):
        url = web_url(value, base)
        name = None if url else clean_text(value, MAX_NAME)
        return Author(name=name, url=url, photo=None) if (name or url) else None
    if isinstance(value, dict):
        props = value.get("properties", {})
        name = clean_text(first_text(props.get("name")) or value.get("value"), MAX_NAME)
        url = web_url((props.get("url") or [None])[0], base)
        photo = web_url((props.get("photo") or [None])[0], base)
        if name and url and same_url(url, name):
            name = None
        return Author(name=name, url=url, photo=photo) if (name or url or photo) else None
    return None


def first_text(values: Any) -> str | None:
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
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):  # garbage, or a year 1 / 9999 time shifted out of range
        return None


def classes_of(element: Tag) -> list[str]:
    """Its class names (an XML parse keeps ``class`` as one string)."""
    value = element.get("class")
    if not value:
        return []
    return value.split() if isinstance(value, str) else list(value)


def is_root(classes: list[str]) -> bool:
    """A microformat's root element, in either vocabulary: its properties are its own."""
    return any(_MF2_ROOT.match(c) for c in classes) or not CLASSIC_ROOTS.isdisjoint(classes)


def is_entry(classes: list[str]) -> bool:
    return "h-entry" in classes or "hentry" in classes


def is_part(classes: list[str]) -> bool:
    """Carries a property whose element this reader needs (an entry's name or content)."""
    return any(c in ENTRY_PARTS or c.startswith("e-") for c in classes)


@dataclass(frozen=True)
class Entry:
    """An h-entry as mf2py read it, with the elements of its own name and content."""

    properties: dict[str, Any]
    has_name: bool  # an explicit name (mf2's implied name is the whole entry's text)
    content: Tag | None


@dataclass(frozen=True)
class Part:
    """An element with a property class, and its classes before the parse strips e-*."""

    element: Tag
    classes: tuple[str, ...]


def _owner(element: Tag) -> Tag | None:
    """The microformat a property belongs to: the nearest root above the element."""
    parent = element.parent
    while isinstance(parent, Tag):
        if is_root(classes_of(parent)):
            return parent
        parent = parent.parent
    return None


def _entry_of(item: dict[str, Any], root: Tag | None, parts: list[Part]) -> Entry:
    if root is None:
        return Entry(item.get("properties", {}), has_name=False, content=None)
    # mf2py reads a root with any mf2 root class as mf2, else by the classic names.
    is_classic = not any(_MF2_ROOT.match(c) for c in classes_of(root))
    name, content = ("entry-title", "entry-content") if is_classic else ("p-name", "e-content")
    has_name, found = False, None
    for part in parts:
        if (name in part.classes or content in part.classes) and _owner(part.element) is root:
            # A note marked ``p-name e-content`` has no title apart from its text.
            has_name = has_name or (name in part.classes and content not in part.classes)
            found = found or (part.element if content in part.classes else None)
    return Entry(item.get("properties", {}), has_name=has_name, content=found)


def entry_for(
    soup: BeautifulSoup, roots: list[Tag], parts: list[Part], link: Tag, url: str, target: str
) -> Entry | None:
    """The h-entry that replies to, likes or reposts the target, else the one the link is in
    (a blog's front page lists many posts), else the first one.

    Each entry root is given an id that mf2py reports back, so the entry found is tied to its
    element. e-* properties (``e-content``, and classic ``entry-content``) lose their class
    first: mf2py would serialise each to HTML and text, most of its time on a long post; the
    caller reads the chosen entry's content from its element. The soup is spent afterwards.
    """
    by_id: dict[str, Tag] = {}
    for number, root in enumerate(roots):
        root["id"] = f"{_ROOT_ID}{number}"
        by_id[root["id"]] = root
    for part in parts:
        part.element["class"] = [
            c for c in part.classes if not (c.startswith("e-") or c == "entry-content")
        ]
    around = next((p for p in link.parents if by_id.get(str(p.get("id"))) is p), None)
    parsed = mf2py.parse(doc=soup, url=url)
    entries = _entries(parsed.get("items", []))
    chosen = next(
        (e for e in entries if entry_type(e.get("properties", {}), target, url) != "mention"),
        None,
    )
    if chosen is None and around is not None:
        chosen = next((e for e in entries if e.get("id") == around.get("id")), None)
    chosen = chosen or (entries[0] if entries else None)
    if chosen is None:
        return None
    return _entry_of(chosen, by_id.get(str(chosen.get("id"))), parts)
