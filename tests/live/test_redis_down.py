"""Redis down when a write publishes: the write still succeeds, and once Redis is back the
readers it missed are told to reload (live, and on reconnecting from before the hole)."""

from __future__ import annotations

import time

import pytest
from redis import Redis


@pytest.fixture
def app_config(app_config: dict[str, object], stoppable_redis) -> dict[str, object]:
    return {**app_config, "REDIS_URL": stoppable_redis.url}


def _wait_for_subscriber(url: str) -> None:
    """Until this process's subscription is back on the restarted Redis."""
    client = Redis.from_url(url)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if client.pubsub_numsub("commentsvc:live")[0][1] >= 1:
            return
        time.sleep(0.1)
    pytest.fail("the live subscription did not come back")


def test_a_write_while_redis_is_down_succeeds_and_readers_reload_after(
    app, site, serve, listen, post, stoppable_redis
):
    server = serve(app)
    reader = listen(server.url)
    reader.next_block()
    before = post(server.url, "while Redis is up")
    assert reader.next_event().json()["id"] == before["id"]
    left_at = reader.last_event_id
    stoppable_redis.stop()
    during = post(server.url, "while Redis is down")  # the write is not refused
    assert during["status"] == "visible"
    stoppable_redis.start()
    _wait_for_subscriber(stoppable_redis.url)
    after = post(server.url, "Redis is back")
    event = reader.next_event(timeout=10)
    assert (event.event, event.json()) == ("reload", {"revision": int(event.fields["id"])})
    assert int(event.fields["id"]) > int(left_at)
    again = listen(server.url, last_event_id=left_at)
    again.next_block()
    assert again.next_event().event == "reload"
    assert after["id"] > during["id"]
