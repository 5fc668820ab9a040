"""Microformats2 (mf2py) on a fetched page: the h-entry that mentions the target, its type,
author and published time. mf2py is always handed the parsed document, never a URL (given a
URL it would fetch it, unguarded)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import mf2py
from bs4 import BeautifulSoup, Tag

from workers.values import clean_text, same_url, web_url

MAX_NAME = 200


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


def entry_for(
    soup: BeautifulSoup, embedded: list[Tag], url: str, target: str
) -> dict[str, Any] | None:
    """The h-entry that replies to, likes or reposts the target, else the first one.

    e-* properties (``e-content``) lose their class first: mf2py would serialise each to
    HTML and text, most of its time on a long post, for values this reader never uses. The
    soup is spent afterwards.
    """
    for element in embedded:
        element["class"] = [
            c for c in element.get_attribute_list("class") if not c.startswith("e-")
        ]
    parsed = mf2py.parse(doc=soup, url=url)
    entries = _entries(parsed.get("items", []))
    for entry in entries:
        if entry_type(entry, target, url) != "mention":
            return entry
    return entries[0] if entries else None
