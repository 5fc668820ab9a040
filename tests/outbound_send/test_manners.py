"""Manners: retries on the queue's back-off schedule, a host that keeps failing backed off,
a rate limit per host, and a cap on sends in flight (in memory and in Redis)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.wrappers import Request, Response

from commentsvc.extensions import db
from commentsvc.jobs import retry_schedule
from commentsvc.models import OutboundHost, OutboundSend, SendState
from commentsvc.models.base import utcnow
from commentsvc.services.outbound import enqueue_sends
from tests.outbound_send.helpers import posts_to
from workers.manners import slot
from workers.outbound import send_now


def shift_back(send_id: int, seconds: float) -> None:
    """Time passes for one send: its due time moves ``seconds`` earlier."""
    send = db.session.get(OutboundSend, send_id)
    send.next_attempt_at = send.next_attempt_at - timedelta(seconds=seconds)
    db.session.commit()


def reload(send_id: int) -> OutboundSend:
    return db.session.get(OutboundSend, send_id, populate_existing=True)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "OUTBOUND_MAX_ATTEMPTS": 3, "OUTBOUND_HOST_FAILURES": 10}


def test_transient_failures_follow_the_back_off_then_the_send_fails(app, pages, queue_one):
    pages.add("/wm", b"busy", status=503, content_type="text/plain")
    target = pages.html("/page", '<link rel="webmention" href="/wm">')
    send_id = queue_one(target)
    delays = retry_schedule(app.config)
    send = send_now(send_id)
    assert send.state == SendState.QUEUED and send.attempts == 1 and send.http_status == 503
    due = (send.next_attempt_at - utcnow()).total_seconds()
    assert delays[0] - 2 < due <= delays[0]
    assert send_now(send_id).attempts == 1  # not due yet: nothing is sent
    assert posts_to(pages) == ["/wm"]
    shift_back(send_id, delays[0])
    assert send_now(send_id).attempts == 2
    shift_back(send_id, delays[1])
    send = send_now(send_id)
    assert send.state == SendState.FAILED and send.attempts == 3
    assert send.detail == "The endpoint answered HTTP 503. Gave up after 3 attempts."
    assert posts_to(pages) == ["/wm"] * 3


def test_a_refusing_endpoint_is_not_retried(app, pages, queue_one):
    pages.add("/wm", b"Target does not exist here.", status=400, content_type="text/plain")
    target = pages.html("/page", '<link rel="webmention" href="/wm">')
    send = send_now(queue_one(target))
    assert send.state == SendState.FAILED and send.http_status == 400
    assert send.detail == "The endpoint answered HTTP 400: Target does not exist here."


def test_in_process_runner_retries_until_the_endpoint_accepts(app, pages, received, queue_one):
    app.config.update(JOBS_IN_PROCESS_WORKERS=1, JOBS_RETRY_DELAY_SCALE=0.01)
    answers = [503, 502]
    accept = received.endpoint()

    def flaky(request: Request) -> Response:
        if answers:
            return Response("later", status=answers.pop(0))
        return accept(request)

    pages.handle("/wm", flaky)
    target = pages.html("/page", '<link rel="webmention" href="/wm">')
    send_id = queue_one(target)
    enqueue_sends([send_id])
    deadline = time.monotonic() + 10
    while reload(send_id).state == SendState.QUEUED and time.monotonic() < deadline:
        db.session.rollback()
        time.sleep(0.05)
    send = reload(send_id)
    assert send.state == SendState.SENT and send.attempts == 3
    assert posts_to(pages) == ["/wm"] * 3 and len(received.items) == 1


def test_host_that_keeps_failing_is_backed_off_then_forgiven(app, pages, received, queue_one):
    app.config.update(OUTBOUND_HOST_FAILURES=2, OUTBOUND_HOST_BACKOFF_SECONDS=300)
    pages.add("/down", b"down", status=503, content_type="text/plain")
    first, second = queue_one(pages.url("/down")), queue_one(pages.url("/down?again"))
    assert send_now(first).state == SendState.QUEUED
    assert send_now(second).state == SendState.QUEUED
    host = db.session.scalar(sa.select(OutboundHost).where(OutboundHost.host == "127.0.0.1"))
    assert host.failures == 2
    assert 295 < (host.backoff_until - utcnow()).total_seconds() <= 300
    pages.handle("/wm", received.endpoint())
    third = queue_one(pages.html("/up", '<link rel="webmention" href="/wm">'))
    hits = len(pages.requests)
    send = send_now(third)
    assert send.state == SendState.QUEUED and send.attempts == 0
    assert "keeps failing" in send.detail and send.next_attempt_at == host.backoff_until
    assert len(pages.requests) == hits  # nothing was asked of the host
    host.backoff_until = utcnow() - timedelta(seconds=1)  # the back-off has passed
    db.session.commit()
    shift_back(third, 301)
    assert send_now(third).state == SendState.SENT
    db.session.refresh(host)
    assert host.failures == 0 and host.backoff_until is None


def test_rate_limit_per_host_postpones_what_is_over_it(app, pages, received, queue_one):
    app.config.update(RATELIMIT_ENABLED=True, OUTBOUND_RATE_PER_HOST="2 per minute")
    pages.handle("/wm", received.endpoint())
    ids = [
        queue_one(pages.html(f"/page-{n}", '<link rel="webmention" href="/wm">')) for n in range(3)
    ]
    states = [send_now(send_id) for send_id in ids]
    assert [s.state for s in states] == [SendState.SENT, SendState.SENT, SendState.QUEUED]
    postponed = states[2]
    assert "rate limit of 127.0.0.1" in postponed.detail and postponed.attempts == 0
    assert 0 < (postponed.next_attempt_at - utcnow()).total_seconds() <= 61
    assert len(received.items) == 2 and pages.hits("/page-2") == 0


@pytest.fixture(params=["memory", "redis"])
def slots_in(request, app):
    if request.param == "redis":
        app.config["REDIS_URL"] = request.getfixturevalue("redis_url")
    return request.param


def test_sends_in_flight_never_exceed_the_cap(app, pages, received, queue_one, release, slots_in):
    app.config.update(OUTBOUND_MAX_CONCURRENT=2, OUTBOUND_SLOT_WAIT_SECONDS=0.3)
    in_flight, peak, arrived = [0], [0], threading.Semaphore(0)
    lock = threading.Lock()

    def slow_page(request: Request) -> Response:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        arrived.release()
        release.wait(10)
        with lock:
            in_flight[0] -= 1
        return Response('<link rel="webmention" href="/wm">', content_type="text/html")

    pages.handle("/slow", slow_page)
    pages.handle("/wm", received.endpoint())
    ids = [queue_one(pages.url(f"/slow?n={n}")) for n in range(3)]
    outcomes: dict[int, SendState] = {}

    def run(send_id: int) -> None:
        with app.app_context():
            outcomes[send_id] = send_now(send_id).state

    threads = [threading.Thread(target=run, args=(send_id,)) for send_id in ids]
    for thread in threads[:2]:
        thread.start()
    assert arrived.acquire(timeout=5) and arrived.acquire(timeout=5)  # both hold a slot
    threads[2].start()
    threads[2].join(5)
    assert outcomes[ids[2]] == SendState.QUEUED  # no slot freed within the wait: postponed
    release.set()
    for thread in threads[:2]:
        thread.join(10)
    assert [outcomes[i] for i in ids[:2]] == [SendState.SENT, SendState.SENT]
    assert peak[0] == 2 and len(received.items) == 2
    assert "sending slots stayed busy" in reload(ids[2]).detail


def test_send_postponed_for_want_of_a_slot_costs_its_host_no_turn(app, pages, received, queue_one):
    app.config.update(
        RATELIMIT_ENABLED=True,
        OUTBOUND_RATE_PER_HOST="1 per minute",
        OUTBOUND_MAX_CONCURRENT=1,
        OUTBOUND_SLOT_WAIT_SECONDS=0.1,
    )
    pages.handle("/wm", received.endpoint())
    send_id = queue_one(pages.html("/page", '<link rel="webmention" href="/wm">'))
    with slot():  # another send holds the only slot
        send = send_now(send_id)
    assert send.state == SendState.QUEUED and "sending slots stayed busy" in send.detail
    shift_back(send_id, 5)
    send = send_now(send_id)
    assert send.state == SendState.SENT and len(received.items) == 1
