"""Recording sends (what is skipped, what collapses) and the operators' controls: stop and
resume a host for their site, resend one send."""

from __future__ import annotations

import pytest

from commentsvc.errors import Forbidden, InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.models import AuditEntry, OutboundSend, SendReason, SendState
from commentsvc.services.outbound import (
    enqueue_sends,
    queue_sends,
    resend,
    resume_host,
    sends_for_post,
    stop_host,
    stopped_hosts,
)
from tests.outbound_send.helpers import POST_URL
from workers.outbound import send_now


def test_queue_skips_own_origins_other_schemes_and_queued_duplicates(site):
    targets = [
        "https://other.example.net/a#section",
        "https://blog.example.org/another-own-post",
        "mailto:someone@example.net",
        "javascript:alert(1)",
        "/relative/link",
        "https://other.example.net/a",  # the same target once the fragment is dropped
        "https://third.example.com/b",
    ]
    ids = queue_sends(site, POST_URL, targets, reason="new")
    db.session.commit()
    sends = sends_for_post(site, POST_URL)
    assert [s.id for s in sends] == ids
    assert [s.target_url for s in sends] == [
        "https://other.example.net/a",
        "https://third.example.com/b",
    ]
    assert all(s.state == SendState.QUEUED and s.reason == SendReason.NEW for s in sends)
    again = queue_sends(site, POST_URL, ["https://other.example.net/a"], reason="changed")
    assert again == []  # still queued for this post: the queued send reads the post as it is


def test_queue_sends_again_once_the_earlier_send_is_done(site):
    (first,) = queue_sends(site, POST_URL, ["https://other.example.net/a"], reason="new")
    db.session.get(OutboundSend, first).state = SendState.SENT
    (second,) = queue_sends(site, POST_URL, ["https://other.example.net/a"], reason="changed")
    assert second != first


def test_unknown_reason_is_refused_with_the_choices(site):
    with pytest.raises(InvalidInput, match="removed-link"):
        queue_sends(site, POST_URL, ["https://other.example.net/a"], reason="because")


def test_stopped_host_refuses_queued_and_later_sends_and_resume_lets_them_go(
    app, site, operator, pages, received
):
    pages.handle("/wm", received.endpoint())
    target = pages.html("/page", '<link rel="webmention" href="/wm">')
    (waiting,) = queue_sends(site, POST_URL, [target], reason="new")
    db.session.commit()
    assert stop_host(operator, site, pages.base + "/anything") == "127.0.0.1"
    db.session.commit()
    assert stopped_hosts(site) == ["127.0.0.1"]
    assert db.session.get(OutboundSend, waiting).state == SendState.REFUSED
    (later,) = queue_sends(site, "https://blog.example.org/next", [target], reason="new")
    db.session.commit()
    refused = send_now(later)
    assert refused.state == SendState.REFUSED and "stopped sending to 127.0.0.1" in refused.detail
    assert pages.requests == []
    resume_host(operator, site, "127.0.0.1")
    resend(operator, site, later)
    db.session.commit()
    enqueue_sends([later])
    assert db.session.get(OutboundSend, later, populate_existing=True).state == SendState.SENT
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["stop-host", "resume-host", "resend"]


def test_only_the_sites_operators_may_stop_a_host_or_resend(app, site, stranger):
    (send_id,) = queue_sends(site, POST_URL, ["https://other.example.net/a"], reason="new")
    with pytest.raises(Forbidden):
        stop_host(stranger, site, "other.example.net")
    with pytest.raises(Forbidden):
        resend(stranger, site, send_id)


def test_stop_refuses_what_is_not_a_host_name(app, site, operator):
    with pytest.raises(InvalidInput, match="not a host name"):
        stop_host(operator, site, "bad host/with path")


def test_resend_of_another_sites_send_is_not_found(app, site, operator):
    with pytest.raises(NotFound):
        resend(operator, site, 12345)


def test_one_page_however_spelled_is_queued_once(site):
    spellings = ["http://EXAMPLE.com/x", "http://example.com:80/x", "http://example.com./x"]
    ids = queue_sends(site, POST_URL, spellings, reason="new")
    db.session.commit()
    assert [s.target_url for s in sends_for_post(site, POST_URL)] == ["http://EXAMPLE.com/x"]
    assert len(ids) == 1
    assert queue_sends(site, POST_URL, ["http://example.com/x"], reason="changed") == []
