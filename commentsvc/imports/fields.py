"""Field values from an import file made fit for their columns, as the API makes a new comment's.

A file is not trusted: a value longer than its column, or holding a NUL (which PostgreSQL text
cannot store), would fail a whole batch's INSERT. Text is cut to the column and loses what no
stored text may hold (:data:`commentsvc.chars.NOT_STORABLE`: control characters, lone
surrogates); a website that is not an http(s) address (``javascript:...``) is dropped, as the
comment form refuses it; so is a URL with such characters, or one too long for its column,
rather than cut into another address.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from commentsvc.chars import NOT_STORABLE

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def clean_text(value: str | None, length: int | None = None) -> str | None:
    """``value`` without what stored text may not hold, cut to ``length``; None when nothing
    is left."""
    if value is None:
        return None
    text = NOT_STORABLE.sub("", value)
    if length is not None:
        text = text[:length]
    return text or None


def clean_url(value: str | None, length: int) -> str | None:
    """An http(s) URL of at most ``length`` characters, else None."""
    url = clean_text(value)
    if url is None or url != value or len(url) > length or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
        is_valid = parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return None
    return url if is_valid else None


def clean_website(value: str | None, length: int) -> str | None:
    """A commenter's website as the comment form takes it (``example.org`` means https)."""
    website = value or None
    if website is not None and not _SCHEME.match(website):
        website = f"https://{website}"
    return clean_url(website, length)


def html_to_text(value: str | None) -> str | None:
    """The text of an HTML fragment (a pingback's excerpt as WordPress stores it), tags gone
    and entities decoded: an excerpt is shown as text, so ``<b>`` would be shown literally."""
    text = clean_text(value)
    if text is None:
        return None
    return clean_text(" ".join(BeautifulSoup(text, "html.parser").get_text().split()))
