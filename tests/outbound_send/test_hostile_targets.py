"""A target page must not be able to point the sender at a private address.

Here the app does not allow loopback: only 127.0.0.2/32 is let through, and the hostile
target is served there, so the page itself can be read while the endpoints it advertises
(127.0.0.1, 10.0.0.1, [::1], a name resolving to 10.1.2.3) are refused and recorded."""

from __future__ import annotations

import pytest

from commentsvc.models import SendProtocol, SendState
from tests.outbound_send.helpers import posts_to
from tests.workers.pages import Pages
from workers.outbound import send_now


@pytest.fixture
def app_config(app_config):
    return {**app_config, "FETCH_ALLOW_NETWORKS": ["127.0.0.2/32"]}


@pytest.fixture
def hostile(serve) -> Pages:
    """A page server on 127.0.0.2, the one loopback address this app may fetch."""
    hostile_pages = Pages()
    server = serve(hostile_pages, host="127.0.0.2")
    hostile_pages.base = server.url
    return hostile_pages


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1:{port}/wm",
        "http://10.0.0.1/wm",
        "http://[::1]:{port}/wm",
        "http://internal.example/wm",
        "http://2130706433:{port}/wm",  # 127.0.0.1, spelled as one number
    ],
    ids=["loopback", "private", "ipv6-loopback", "name-to-private", "decimal-loopback"],
)
def test_endpoint_on_a_private_address_is_refused_and_recorded(
    app, pages, hostile, queue_one, monkeypatch, endpoint
):
    monkeypatch.setattr("workers.fetch.resolve", lambda host, port: ["10.1.2.3"])
    port = pages.base.rsplit(":", 1)[1]
    advertised = endpoint.format(port=port)
    target = hostile.html("/post", f'<link rel="webmention" href="{advertised}">')
    send = send_now(queue_one(target))
    assert send.state == SendState.REFUSED
    assert send.protocol == SendProtocol.WEBMENTION and send.endpoint == advertised
    assert send.detail.startswith("Endpoint refused: Refused to fetch from")
    assert posts_to(pages) == [] and posts_to(hostile) == []
    assert hostile.hits("/post") == 1


def test_pingback_header_pointing_inside_is_refused_too(app, pages, hostile, queue_one):
    inside = f"{pages.base}/xmlrpc.php"
    target = hostile.html("/wp", "<p>hi</p>", X_Pingback=inside)
    send = send_now(queue_one(target))
    assert send.state == SendState.REFUSED and send.protocol == SendProtocol.PINGBACK
    assert posts_to(pages) == []


def test_target_on_a_private_address_is_refused_before_anything_is_sent(app, pages, queue_one):
    send = send_now(queue_one(f"{pages.base}/page"))
    assert send.state == SendState.REFUSED
    assert send.detail.startswith("Target refused: Refused to fetch from 127.0.0.1")
    assert pages.requests == []
