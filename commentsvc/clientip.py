"""The client's address, and the salted hash that is all we ever store of it."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from functools import lru_cache

from flask import current_app, request

NO_ADDRESS = "0.0.0.0"  # noqa: S104 - the key of a client without an address, not a bind address


def client_ip() -> str:
    """The peer address; ``ProxyFix`` (configured by ``COMMENTSVC_PROXY_COUNT``) rewrites it."""
    return _one_spelling(request.remote_addr or "")


@lru_cache(maxsize=4096)
def _one_spelling(address: str) -> str:
    """One key per client for limits and hashes: an IPv4-mapped IPv6 address as its IPv4 one,
    and whatever is no address (only a proxy in front can pass such a thing on) as one shared
    key, not a fresh one per spelling."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return NO_ADDRESS
    mapped = parsed.ipv4_mapped if parsed.version == 6 else None
    return str(mapped or parsed)


def ip_hash(address: str | None = None) -> str:
    """A keyed hash of the address: stable for bans and rate limits, useless to an attacker."""
    key = current_app.config["SECRET_KEY"].encode()
    value = (address or client_ip()).encode()
    return hmac.new(key, value, hashlib.sha256).hexdigest()[:32]


def client_network(address: str | None = None) -> str:
    """The address as one client: an IPv6 client usually holds a whole /64 and picks any
    address in it, so that network; IPv4 (and IPv4-mapped) addresses as they are."""
    address = address or client_ip()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6 and parsed.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def network_hash(address: str | None = None) -> str:
    """The keyed hash of :func:`client_network`: what one-per-client limits count."""
    return ip_hash(client_network(address))
