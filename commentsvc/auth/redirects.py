"""``next=`` parameters: only same-origin relative paths, so no link can bounce a user elsewhere."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_NEXT = "/auth/account"


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this service (``/moderate/?q=1``), else None.

    Refuses absolute URLs, scheme-relative ``//host`` and ``/\\host`` (browsers treat the
    backslash as a slash), and anything with control characters or whitespace.
    """
    if not value or not isinstance(value, str) or len(value) > 2048:
        return None
    if not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ord(char) < 33 or char == "\\" for char in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return None
    return value
