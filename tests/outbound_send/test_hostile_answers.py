"""What a hostile target or endpoint answers never keeps a send coming back: every answer,
however malformed, ends in a recorded state, and nothing too long for its column (or not a
web URL) is stored. Served by the loopback page server, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import socket
import xmlrpc.client
from datetime import timedelta

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import OutboundHost, OutboundSend, SendProtocol, SendState
from tests.outbound_send.helpers import posts_to
from workers.outbound import send_now

LONG = "a" * 2100


@pytest.fixture
def app_config(app_config):
    return {**app_config, "OUTBOUND_MAX_ATTEMPTS": 3, "OUTBOUND_HOST_FAILURES": 1}


def due_now(send_id: int) -> None:
    send = db.session.get(OutboundSend, send_id)
    send.next_attempt_at = send.next_attempt_at - timedelta(hours=1)
    db.session.commit()


def test_bad_pingback_header_reads_as_no_endpoint(app, pages, queue_one):
    target = pages.html("/wp", "<p>hi</p>", X_Pingback="http://[")
    send = send_now(queue_one(target))
    assert send.state == SendState.NO_ENDPOINT and send.attempts == 1


def test_charset_with_a_control_character_is_ignored(app, pages, received, queue_one):
    pages.handle("/wm", received.endpoint())
    target = pages.add(
        "/odd", b'<link rel="webmention" href="/wm">', content_type='text/html; charset="utf\x01-8"'
    )
    send = send_now(queue_one(target))
    assert send.state == SendState.SENT and posts_to(pages) == ["/wm"]


@pytest.mark.parametrize("location", ["http://[", "javascript:alert(1)", f"/status/{LONG}"])
def test_created_answer_keeps_only_a_web_status_url_that_fits(app, pages, queue_one, location):
    def created(environ, start_response):  # raw WSGI: werkzeug would refuse "http://["
        start_response("201 Created", [("Location", location), ("Content-Type", "text/plain")])
        return [b"Created"]

    pages.handle("/wm", lambda request: created)
    send = send_now(queue_one(pages.html("/page", '<link rel="webmention" href="/wm">')))
    assert send.state == SendState.SENT and send.http_status == 201
    assert send.status_url is None and posts_to(pages) == ["/wm"]


def test_endpoint_longer_than_a_url_may_be_gets_nothing(app, pages, received, queue_one):
    pages.handle("/wm", received.endpoint())
    target = pages.html("/page", f'<link rel="webmention" href="/wm?x={LONG}">')
    send = send_now(queue_one(target))
    assert send.state == SendState.FAILED and send.protocol == SendProtocol.WEBMENTION
    assert send.endpoint is None and "longer than 2048 characters" in send.detail
    assert posts_to(pages) == []


def test_failing_host_too_long_for_a_name_is_not_backed_off(app, pages, queue_one, monkeypatch):
    def unresolvable(host, port):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr("workers.fetch.resolve", unresolvable)
    host = ".".join(["b" * 63] * 5)  # 319 characters: no DNS name is that long
    target = pages.html("/page", f'<link rel="webmention" href="http://{host}/wm">')
    send = send_now(queue_one(target))
    assert send.state == SendState.QUEUED and send.attempts == 1
    assert send.endpoint == f"http://{host}/wm"
    assert db.session.scalar(sa.select(sa.func.count(OutboundHost.id))) == 0


RESPONSE = "<methodResponse><params><param><value>{}</value></param></params></methodResponse>"


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("<methodResponse/>", "ResponseError"),
        (RESPONSE.format("<struct><member><value>x</value></member></struct>"), "IndexError"),
        (RESPONSE.format("<int>many</int>"), "ValueError"),
        ("<methodResponse><fault><value><string>x</string></value></fault></methodResponse>",
         "TypeError"),
        ("<methodResponse><params></params></methodResponse>", "ValueError"),
    ],
    ids=["empty", "member-without-name", "int-not-a-number", "fault-not-a-struct", "no-param"],
)  # fmt: skip
def test_malformed_pingback_answer_is_a_recorded_failure(app, pages, queue_one, answer, error):
    pages.add("/rpc", answer.encode(), content_type="text/xml")
    send = send_now(queue_one(pages.html("/wp", "<p>hi</p>", X_Pingback=pages.url("/rpc"))))
    assert send.state == SendState.FAILED and send.protocol == SendProtocol.PINGBACK
    assert send.detail == f"The endpoint's answer is not an XML-RPC response ({error})."
    assert posts_to(pages) == ["/rpc"]


def test_a_pingback_accepted_with_a_deeply_nested_answer_is_sent_once(app, pages, queue_one):
    """Valid, and deeper than str() can go: it was taken for a failure and the ping resent."""
    nested = "<array><data><value>" * 1400 + "<int>1</int>" + "</value></data></array>" * 1400
    pages.add("/rpc", RESPONSE.format(nested).encode(), content_type="text/xml")
    send = send_now(queue_one(pages.html("/wp", "<p>hi</p>", X_Pingback=pages.url("/rpc"))))
    assert send.state == SendState.SENT and send.detail.startswith("[[[")
    assert posts_to(pages) == ["/rpc"]


def test_pingback_fault_code_that_is_no_number_is_a_failure(app, pages, queue_one):
    fault = xmlrpc.client.dumps(xmlrpc.client.Fault(0, "x"), methodresponse=True)
    fault = fault.replace("<int>0</int>", "<string>zero</string>")
    pages.add("/rpc", fault.encode(), content_type="text/xml")
    send = send_now(queue_one(pages.html("/wp", "<p>hi</p>", X_Pingback=pages.url("/rpc"))))
    assert send.state == SendState.FAILED and send.detail == "Fault -0x001: x"


def test_unexpected_error_counts_attempts_and_fails_at_the_limit(
    app, pages, queue_one, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("a parser bug")

    monkeypatch.setattr("workers.outbound.discover_endpoints", broken)
    send_id = queue_one(pages.html("/page", '<link rel="webmention" href="/wm">'))
    detail = "The attempt failed unexpectedly (RuntimeError); the worker's log has the details."
    with caplog.at_level(logging.WARNING, logger="workers.outbound"):
        for attempt in (1, 2):
            send = send_now(send_id)
            assert send.state == SendState.QUEUED and send.attempts == attempt
            assert send.detail == detail
            due_now(send_id)
        send = send_now(send_id)
    assert send.state == SendState.FAILED and send.attempts == 3
    assert send.detail == f"{detail} Gave up after 3 attempts." and send.next_attempt_at is None
    assert [r.levelname for r in caplog.records] == ["WARNING", "WARNING", "ERROR"]
    assert sum(r.exc_info is not None for r in caplog.records) == 1  # one traceback
    assert db.session.scalar(sa.select(sa.func.count(OutboundHost.id))) == 0
    assert pages.hits("/page") == 3 and posts_to(pages) == []
