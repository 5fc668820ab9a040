"""The app's bus: Redis pub/sub when ``COMMENTSVC_REDIS_URL`` is set, else in memory."""

from __future__ import annotations

from flask import Flask, current_app

from commentsvc.live.memory import MemoryBus
from commentsvc.live.redis_bus import RedisBus

BUS_KEY = "commentsvc.live_bus"  # in ``app.extensions``


def live_bus(app: Flask | None = None) -> MemoryBus | RedisBus:
    app = app or current_app
    found = app.extensions.get(BUS_KEY)
    if found is not None:
        return found
    length = int(app.config["LIVE_LOG_LENGTH"])
    seconds = float(app.config["LIVE_LOG_SECONDS"])
    url = app.config["REDIS_URL"]
    if url:
        from commentsvc.redis_client import redis_connection

        bus: MemoryBus | RedisBus = RedisBus(redis_connection(app), url, length, seconds)
    else:
        bus = MemoryBus(length, seconds)
    return app.extensions.setdefault(BUS_KEY, bus)
