"""What a stream may cost others: a process holds at most LIVE_MAX_STREAMS (then 503 with
Retry-After), a Redis that hangs never holds a write for long, the streams of one page replay
from one read of its log, and the thread read takes the ``rev`` a ``reload`` names."""

from __future__ import annotations

import time

import pytest
import requests
from redis import Redis

from commentsvc.extensions import db
from commentsvc.models import Account, Comment
from commentsvc.services.accounts import create_account
from commentsvc.services.moderation import Decision, decide
from tests.live.conftest import PAGE


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "LIVE_MAX_STREAMS": 3}


def test_a_full_process_answers_503_with_retry_after_and_keeps_serving(app, site, serve, listen):
    server = serve(app)
    held = [listen(server.url) for _ in range(3)]
    for reader in held:
        reader.next_block()
    refused = requests.get(f"{server.url}/api/sites/blog/thread/events",
                           params={"url": PAGE}, timeout=5)  # fmt: skip
    assert refused.status_code == 503
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.json()["code"] == "unavailable"
    events = f"{server.url}/api/sites/blog/thread/events"
    unknown = requests.get(events.replace("/blog/", "/nope/"), params={"url": PAGE}, timeout=5)
    foreign = requests.get(events, params={"url": "https://x.example/"}, timeout=5)
    assert (unknown.status_code, foreign.status_code) == (404, 400)  # full or not, still wrong
    assert requests.get(f"{server.url}/healthz", timeout=5).ok
    held[0].close()
    deadline = time.monotonic() + 5  # the server notices at the next keep-alive line
    while time.monotonic() < deadline:
        again = listen(server.url)
        if again.status == 200:
            break
        again.close()
        time.sleep(0.1)
    assert again.status == 200


def test_the_thread_read_takes_the_revision_a_reload_names(app, site, serve, post):
    server = serve(app)
    post(server.url, "a comment")
    answer = requests.get(f"{server.url}/api/sites/blog/thread",
                          params={"url": PAGE, "rev": "7"}, timeout=5)  # fmt: skip
    assert answer.status_code == 200
    assert answer.json()["thread"]["revision"] >= 1


def _xrange_calls(url: str) -> int:
    stats = Redis.from_url(url).info("commandstats")
    return stats.get("cmdstat_xrange", {}).get("calls", 0)


def test_streams_of_one_page_replay_from_one_read_of_its_log(
    app, app_config, site, serve, listen, post
):
    server = serve(app)
    first = listen(server.url)
    revision = first.next_block().fields["id"]
    missed = [post(server.url, text)["id"] for text in ("one", "two")]
    assert [first.next_event().json()["id"] for _ in missed] == missed  # delivered here too
    before = _xrange_calls(str(app_config["REDIS_URL"]))
    readers = [listen(server.url, last_event_id=revision) for _ in range(2)]
    for reader in readers:
        reader.next_block()
        assert [reader.next_event().json()["id"] for _ in missed] == missed
    assert _xrange_calls(str(app_config["REDIS_URL"])) - before == 1


class TestHungRedis:
    @pytest.fixture
    def app_config(self, app_config: dict[str, object], stoppable_redis) -> dict[str, object]:
        return {**app_config, "REDIS_URL": stoppable_redis.url}

    def test_a_write_returns_at_once_while_redis_hangs(
        self, app, held_site, serve, post, stoppable_redis
    ):
        server = serve(app)
        waiting = [post(server.url, f"held {n}", site="held")["id"] for n in range(3)]
        operator = create_account("op@example.org", "Op", None, operator_of=["held"])
        db.session.commit()
        actor = db.session.get(Account, operator.id)
        stoppable_redis.pause()
        try:
            took = []
            for comment_id in waiting:  # each approval publishes after its commit
                started = time.monotonic()
                decide(actor, [db.session.get(Comment, comment_id)], Decision.APPROVE)
                db.session.commit()
                took.append(time.monotonic() - started)
        finally:
            stoppable_redis.resume()
        assert max(took) < 1.0, took
        assert sum(took) < 1.5, took


def test_hub_cap_counts_streams_across_pages() -> None:
    from commentsvc.live.hub import Hub

    hub = Hub()
    first, second = hub.subscribe("a", limit=2), hub.subscribe("b", limit=2)
    assert first is not None and second is not None
    assert hub.subscribe("a", limit=2) is None
    hub.unsubscribe("a", first)
    hub.unsubscribe("a", first)  # twice: counted once
    assert hub.stream_count() == 1
    assert hub.subscribe("c", limit=2) is not None
