"""Reconnecting with Last-Event-ID: exactly what was missed, or ``reload`` when the page's log
no longer reaches back; and two app instances on one Redis hear each other's writes."""

from __future__ import annotations

import pytest

from commentsvc import create_app
from commentsvc.extensions import db
from commentsvc.models import Thread
from tests.live.conftest import PAGE


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "LIVE_LOG_LENGTH": 3}


def test_reconnect_replays_exactly_what_was_missed(app, site, serve, listen, post):
    server = serve(app)
    first = post(server.url, "one")
    reader = listen(server.url)
    revision = reader.next_block().fields["id"]
    reader.close()
    missed = [post(server.url, text)["id"] for text in ("two", "three")]
    again = listen(server.url, last_event_id=revision)
    again.next_block()
    replayed = [again.next_event(), again.next_event()]
    assert [event.json()["id"] for event in replayed] == missed
    assert first["id"] not in missed
    assert again.events_within(0.5) == []
    live = post(server.url, "four")
    assert again.next_event().json()["id"] == live["id"]


def test_reload_when_the_log_no_longer_reaches_back(app, site, serve, listen, post):
    server = serve(app)
    reader = listen(server.url)
    revision = reader.next_block().fields["id"]
    reader.close()
    for text in ("a", "b", "c", "d"):  # four batches; the log keeps three
        post(server.url, text)
    again = listen(server.url, last_event_id=revision)
    again.next_block()
    event = again.next_event()
    assert (event.event, event.json()) == ("reload", {"revision": int(event.fields["id"])})
    assert again.events_within(0.5) == []


def test_an_id_from_the_future_asks_for_a_reload(app, site, serve, listen):
    server = serve(app)
    reader = listen(server.url, last_event_id="999999")
    assert reader.next_block().fields["id"] == "0"
    assert reader.next_event().event == "reload"


def test_two_app_instances_on_one_redis_fan_out(app, app_config, site, serve, listen, post):
    writer = serve(app)
    other = serve(create_app(app_config))
    readers = [listen(other.url), listen(writer.url)]
    for reader in readers:
        reader.next_block()
    posted = post(writer.url, "to everyone")
    assert [r.next_event().json()["id"] for r in readers] == [posted["id"], posted["id"]]


def _revision() -> str:
    db.session.expire_all()
    return str(db.session.scalar(db.select(Thread.revision).where(Thread.url == PAGE)))


def test_since_replays_what_happened_after_the_rendered_revision(app, site, serve, listen, post):
    server = serve(app)
    post(server.url, "rendered")
    rendered = _revision()  # the thread JSON the widget drew was at this revision
    missed = [post(server.url, text)["id"] for text in ("after the read", "before the stream")]
    reader = listen(server.url, since=rendered)
    assert reader.next_block().fields["id"] == _revision()
    assert [reader.next_event().json()["id"] for _ in missed] == missed
    assert reader.events_within(0.5) == []


def test_last_event_id_wins_over_since(app, site, serve, listen, post):
    server = serve(app)
    post(server.url, "one")
    stale = _revision()
    post(server.url, "two")
    held = _revision()
    latest = post(server.url, "three")
    reader = listen(server.url, since=stale, last_event_id=held)
    reader.next_block()
    assert reader.next_event().json()["id"] == latest["id"]
    assert reader.events_within(0.5) == []
