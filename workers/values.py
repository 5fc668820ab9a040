"""Values read from untrusted documents, made safe to keep: plain text, http(s) URLs only,
and URL equality by the service's normalisation."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from commentsvc.chars import NOT_STORABLE, REORDERING
from commentsvc.errors import InvalidInput
from commentsvc.urls import normalise_url

MAX_URL = 2048
_SPACE = re.compile(r"\s+")


def collapse_space(text: str) -> str:
    """Runs of whitespace (newlines, tabs, no-break spaces) as one space; ends trimmed."""
    return _SPACE.sub(" ", text).strip()


def _visible(text: str) -> str:
    """Without control characters, what XML cannot carry (the feeds show this text) and the
    invisible marks that reorder how a line displays."""
    return REORDERING.sub("", NOT_STORABLE.sub("", text))


def clean_text(text: str | None, limit: int) -> str | None:
    """Collapse whitespace, drop control characters, cut at ``limit`` (text only, never HTML)."""
    if not text:
        return None
    text = collapse_space(_visible(text))
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return text or None


def shorten(text: str | None, limit: int) -> str | None:
    """Like :func:`clean_text`, but a cut ends on a word boundary: a reader's excerpt should
    not stop mid-word. Text without spaces where the cut falls (Chinese, Japanese, a long URL)
    is cut at ``limit`` characters."""
    if not text:
        return None
    whole = collapse_space(_visible(text))
    if len(whole) <= limit:
        return whole or None
    kept = whole[: limit - 1]
    if whole[limit - 1] != " ":  # the cut falls inside a word
        space = kept.rfind(" ")
        if space > limit // 2:
            kept = kept[:space]
    return kept.rstrip(" ,;:-\u2013\u2014") + "…"  # and en and em dashes


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
