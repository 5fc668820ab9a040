"""Pingback where a target has no webmention endpoint: a stdlib XML-RPC server on loopback
receives a correct ``pingback.ping``; its faults are recorded with their codes."""

from __future__ import annotations

import xmlrpc.client

from commentsvc.models import SendProtocol, SendState
from tests.outbound_send.helpers import POST_URL, posts_to
from workers.outbound import send_now


def test_pingback_only_target_receives_a_correct_ping_by_its_header(
    app, pages, queue_one, pingback_server
):
    target = pages.html("/wp/post", "<p>An old blog.</p>", X_Pingback=pingback_server.url)
    send = send_now(queue_one(target))
    assert pingback_server.calls == [(POST_URL, target)]
    assert send.state == SendState.SENT and send.protocol == SendProtocol.PINGBACK
    assert send.endpoint == pingback_server.url and send.http_status == 200
    assert send.detail == "Pingback registered. Thanks!"


def test_pingback_link_element_is_found_when_there_is_no_header(
    app, pages, queue_one, pingback_server
):
    head = f'<link rel="pingback" href="{pingback_server.url}">'
    target = pages.html("/wp/other", f"<html><head>{head}</head><body>hi</body></html>")
    send = send_now(queue_one(target))
    assert pingback_server.calls == [(POST_URL, target)]
    assert send.state == SendState.SENT


def test_webmention_is_preferred_when_both_are_advertised(
    app, pages, queue_one, pingback_server, received
):
    pages.handle("/wm", received.endpoint())
    target = pages.html(
        "/both", '<link rel="webmention" href="/wm">', X_Pingback=pingback_server.url
    )
    send = send_now(queue_one(target))
    assert send.protocol == SendProtocol.WEBMENTION and pingback_server.calls == []
    assert len(received.items) == 1


def test_already_registered_fault_counts_as_sent(app, pages, queue_one, pingback_server):
    pingback_server.answers.append(xmlrpc.client.Fault(0x0030, "The pingback is registered."))
    target = pages.html("/wp/again", "<p>hi</p>", X_Pingback=pingback_server.url)
    send = send_now(queue_one(target))
    assert send.state == SendState.SENT
    assert send.detail.startswith("Fault 0x0030")


def test_other_fault_is_a_failure_recorded_with_its_code(app, pages, queue_one, pingback_server):
    pingback_server.answers.append(xmlrpc.client.Fault(0x0011, "No link to the target."))
    target = pages.html("/wp/nolink", "<p>hi</p>", X_Pingback=pingback_server.url)
    send = send_now(queue_one(target))
    assert send.state == SendState.FAILED
    assert send.detail == "Fault 0x0011: No link to the target."


def test_wordpress_flood_fault_is_tried_again_later(app, pages, queue_one, pingback_server):
    # WordPress refuses a second comment from one address within 15 s with fault 429.
    flood = "You are posting comments too quickly. Slow down."
    pingback_server.answers.append(xmlrpc.client.Fault(429, flood))
    target = pages.html("/wp/flood", "<p>hi</p>", X_Pingback=pingback_server.url)
    send = send_now(queue_one(target))
    assert send.state == SendState.QUEUED
    assert send.detail == f"Fault 0x01ad: {flood}"


def test_answer_with_an_entity_bomb_is_refused_unexpanded(app, pages, queue_one):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b"<methodResponse><params><param><value><string>&b;</string></value></param></params>"
        b"</methodResponse>"
    )
    pages.add("/evil-rpc", bomb, content_type="text/xml")
    target = pages.html("/wp/evil", "<p>hi</p>", X_Pingback=pages.url("/evil-rpc"))
    send = send_now(queue_one(target))
    assert send.state == SendState.FAILED
    assert "not an XML-RPC response" in send.detail
    assert posts_to(pages) == ["/evil-rpc"]


def test_target_without_any_endpoint_is_recorded_as_such(app, pages, queue_one):
    target = pages.html("/plain", "<p>No endpoints here.</p>")
    send = send_now(queue_one(target))
    assert send.state == SendState.NO_ENDPOINT and send.protocol == SendProtocol.NONE
    assert posts_to(pages) == []
