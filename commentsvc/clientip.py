"""The client's address, and the salted hash that is all we ever store of it."""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app, request


def client_ip() -> str:
    """The peer address; ``ProxyFix`` (configured by ``COMMENTSVC_PROXY_COUNT``) rewrites it."""
    return request.remote_addr or "0.0.0.0"  # noqa: S104 - a key, not a bind address


def ip_hash(address: str | None = None) -> str:
    """A keyed hash of the address: stable for bans and rate limits, useless to an attacker."""
    key = current_app.config["SECRET_KEY"].encode()
    value = (address or client_ip()).encode()
    return hmac.new(key, value, hashlib.sha256).hexdigest()[:32]
