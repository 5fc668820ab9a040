"""Values read from untrusted documents, made safe to keep: plain text, http(s) URLs only,
and URL equality by the service's normalisation."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

from commentsvc.errors import InvalidInput
from commentsvc.urls import normalise_url

MAX_URL = 2048
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


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
