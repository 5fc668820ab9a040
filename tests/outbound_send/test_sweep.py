"""Recorded before enqueued: a send whose job was lost (a flushed Redis, a crash between
the commit and the enqueue) is found by the sweep and sent once; one postponed is left
alone until it is due."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commentsvc import jobs
from commentsvc.extensions import db
from commentsvc.job_names import send_mention_job_id
from commentsvc.models import OutboundSend, SendState
from commentsvc.models.base import utcnow
from commentsvc.services.outbound import enqueue_sends
from tests.outbound_send.helpers import POST_URL
from workers.sweep import sweep


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SWEEP_STALE_SECONDS": 0}


def test_send_lost_with_redis_is_swept_and_sent_once(app, pages, received, queue_one, redis_url):
    from redis import Redis
    from rq import SimpleWorker

    app.config["REDIS_URL"] = redis_url
    pages.handle("/wm", received.endpoint())
    target = pages.html("/page", '<link rel="webmention" href="/wm">')
    send_id = queue_one(target)
    enqueue_sends([send_id])
    rq_queue = jobs.queue(app)
    assert rq_queue.get_job_ids() == [send_mention_job_id(send_id)]
    Redis.from_url(redis_url).flushall()  # the queue forgets; the database does not
    assert sweep() == 1
    assert rq_queue.get_job_ids() == [send_mention_job_id(send_id)]
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    assert received.items == [("/wm", "", POST_URL, target)]
    assert db.session.get(OutboundSend, send_id, populate_existing=True).state == SendState.SENT
    assert sweep() == 0  # sent: nothing left to find, nothing sent twice
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    assert len(received.items) == 1


def test_send_recorded_but_never_enqueued_is_found_by_the_sweep(app, pages, received, queue_one):
    pages.handle("/wm", received.endpoint())
    send_id = queue_one(pages.html("/page", '<link rel="webmention" href="/wm">'))
    assert received.items == []  # committed; the process "died" before enqueueing
    assert sweep() == 1  # the in-process runner sends it inline here
    assert len(received.items) == 1
    assert db.session.get(OutboundSend, send_id, populate_existing=True).state == SendState.SENT
    assert sweep() == 0


def test_postponed_send_is_left_alone_until_it_is_due(app, pages, received, queue_one):
    pages.handle("/wm", received.endpoint())
    send_id = queue_one(pages.html("/page", '<link rel="webmention" href="/wm">'))
    send = db.session.get(OutboundSend, send_id)
    send.next_attempt_at = utcnow() + timedelta(minutes=5)  # e.g. a host's rate limit
    db.session.commit()
    assert sweep() == 0 and received.items == []
    send.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sweep() == 1 and len(received.items) == 1
