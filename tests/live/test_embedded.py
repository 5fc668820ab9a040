"""The embedded default (``commentsvc serve``: werkzeug's threaded server, no Redis): the bus
and the reconnect log live in the process's memory."""

from __future__ import annotations

import pytest

from commentsvc.live.bus import live_bus
from commentsvc.live.memory import MemoryBus


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "REDIS_URL": None}


def test_streams_fan_out_and_replay_from_memory_without_redis(app, site, serve, listen, post):
    server = serve(app)
    readers = [listen(server.url), listen(server.url)]
    for reader in readers:
        reader.next_block()
    posted = post(server.url, "no Redis here")
    assert [reader.next_event().json()["id"] for reader in readers] == [posted["id"]] * 2
    assert isinstance(live_bus(app), MemoryBus)
    left_at = readers[0].last_event_id
    readers[0].close()
    missed = [post(server.url, text)["id"] for text in ("missed 1", "missed 2")]
    again = listen(server.url, last_event_id=left_at)
    again.next_block()
    assert [again.next_event().json()["id"] for _ in missed] == missed
    assert [readers[1].next_event().json()["id"] for _ in missed] == missed
