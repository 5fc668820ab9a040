"""Rate limits on mentions: per client, per source host and per target page."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable

import pytest

from tests.mentions.helpers import TARGET
from tests.workers.pages import link_page


@pytest.fixture
def app_config(app_config):
    return {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_MENTION_CLIENT": "5 per minute",
        "RATELIMIT_MENTION_SOURCE_HOST": "3 per minute",
        "RATELIMIT_MENTION_TARGET": "4 per minute",
    }


def send(client, source, target=TARGET):
    return client.post("/webmention/blog", data={"source": source, "target": target})


def test_one_source_host_is_limited_across_pages(client, site, pages):
    statuses = [send(client, pages.html(f"/p{n}", link_page(TARGET))).status_code for n in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert "source host" in send(client, pages.url("/p0")).get_json()["detail"]


def test_one_target_page_is_limited_across_sources(client, site):
    sources = [f"http://s{n}.example/post" for n in range(5)]
    statuses = [
        send(client, source, "https://blog.example.org/new").status_code for source in sources
    ]
    assert statuses[:4] != [429] * 4 and statuses[-1] == 429


def fault_codes(url: str, call: Callable[[xmlrpc.client.ServerProxy, int], object]) -> list[int]:
    """The fault codes of six calls in a row (a call that succeeds adds none)."""
    codes = []
    with xmlrpc.client.ServerProxy(f"{url}/pingback/blog") as proxy:
        for n in range(6):
            try:
                call(proxy, n)
            except xmlrpc.client.Fault as fault:
                codes.append(fault.faultCode)
    return codes


def test_one_client_is_limited_and_pingback_answers_0x0031(app, site, serve):
    codes = fault_codes(
        serve(app).url,
        lambda proxy, n: proxy.pingback.ping(
            f"http://s{n}.example/p", "https://elsewhere.example/"
        ),
    )
    assert codes == [0x0021] * 5 + [0x0031]  # even bad requests count against the client


def test_get_pingbacks_shares_the_clients_budget(app, site, serve):
    """Looking up a page reads claims still being checked: it is no free lunch either."""
    codes = fault_codes(
        serve(app).url, lambda proxy, _: proxy.pingback.extensions.getPingbacks(TARGET)
    )
    assert codes == [0x0020] * 5 + [0x0031]


def test_one_ipv6_client_is_its_64_whichever_address_it_sends_from(client, site):
    statuses = [
        client.post(
            "/webmention/blog",
            data={"source": f"http://s{n}.example/p", "target": "https://elsewhere.example/"},
            environ_base={"REMOTE_ADDR": f"2001:db8:9:9::{n + 1:x}"},
        ).status_code
        for n in range(6)
    ]
    assert statuses == [400] * 5 + [429]  # even bad requests count against the client
