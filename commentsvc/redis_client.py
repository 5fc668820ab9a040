"""One Redis connection pool per app, for the queue, the thread cache and rate limits.

redis-py is imported on first use: the embedded default never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask, current_app

if TYPE_CHECKING:
    from redis import Redis

_pools: dict[str, Redis] = {}


def redis_connection(app: Flask | None = None) -> Redis:
    url = (app or current_app).config["REDIS_URL"]
    connection = _pools.get(url)
    if connection is None:
        from redis import Redis

        connection = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
        _pools[url] = connection
    return connection


def is_ready(app: Flask | None = None) -> bool:
    """True when Redis answers PING, or when none is configured (in-memory default)."""
    if not (app or current_app).config["REDIS_URL"]:
        return True
    try:
        return bool(redis_connection(app).ping())
    except Exception:
        return False
