"""Whether a client takes gzip, read as RFC 9110 says (``gzip;q=0`` refuses it), in one place
for the views and the response cache's key."""

from __future__ import annotations

from functools import lru_cache

from werkzeug.http import parse_accept_header


@lru_cache(maxsize=256)
def accepts_gzip(accept_encoding: str) -> bool:
    """Remembered: clients send a handful of distinct headers, and every thread read asks."""
    return parse_accept_header(accept_encoding)["gzip"] > 0
