"""``workers.endpoint_post.post`` keeps the fetcher's guarantees for a POST: the address
checked, one deadline, a byte cap on the answer, no redirect followed; a target is fetched
whatever its type, by its headers; and discovery reads HTML only."""

from __future__ import annotations

import ipaddress
import time

import pytest
from werkzeug.wrappers import Request, Response

from workers.discovery import discover_endpoints
from workers.endpoint_post import post
from workers.fetch import (
    FEED_READER,
    SENDER,
    VERIFIER,
    VERSION,
    FetchPolicy,
    PermanentFetchError,
    RefusedAddress,
    TransientFetchError,
    fetch,
)

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)


def test_post_sends_the_body_and_returns_any_status_without_following(pages):
    seen: list[bytes] = []

    def endpoint(request: Request) -> Response:
        seen.append(request.get_data())
        return Response("moved", status=302, headers={"Location": "/elsewhere"})

    url = pages.handle("/wm", endpoint)
    answer = post(url, b"source=a&target=b", "application/x-www-form-urlencoded",
                  FetchPolicy(allow_networks=LOOPBACK))  # fmt: skip
    assert answer.status == 302 and seen == [b"source=a&target=b"]
    assert pages.hits("/elsewhere") == 0


def test_post_answer_is_read_under_a_byte_cap(pages):
    url = pages.add("/big", b"x" * 200_000, content_type="text/plain")
    answer = post(url, b"", "text/xml", FetchPolicy(allow_networks=LOOPBACK), max_bytes=1000)
    assert len(answer.body) == 1000 and answer.is_truncated


def test_post_to_a_stalling_endpoint_ends_at_the_deadline(pages, release):
    def stall(_request: Request) -> Response:
        release.wait(30)
        return Response("late")

    url = pages.handle("/stall", stall)
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="endpoint took too long"):
        post(url, b"", "text/xml", FetchPolicy(allow_networks=LOOPBACK, timeout=0.5))
    assert time.monotonic() - started < 3


def test_post_to_loopback_is_refused_without_an_allowance(pages):
    with pytest.raises(RefusedAddress):
        post(pages.url("/wm"), b"", "text/xml", FetchPolicy())
    assert pages.requests == []


def test_discovery_reads_headers_only_of_a_document_that_is_not_html():
    body = b'<link rel="webmention" href="/from-body">'
    found = discover_endpoints(
        body, None, "https://example.net/a.json", [], None, content_type="application/json"
    )
    assert found.webmention is None
    found = discover_endpoints(body, None, "https://example.net/a", [], None)
    assert found.webmention == "https://example.net/from-body"


def test_pingback_is_read_from_link_elements_only():
    body = b'<a rel="pingback" href="/a-xmlrpc">x</a><link rel="pingback" href="/xmlrpc.php">'
    found = discover_endpoints(body, None, "https://example.net/p", [], None)
    assert found.pingback == "https://example.net/xmlrpc.php"


def test_target_fetch_takes_any_type_by_its_headers_without_reading_the_body(pages, release):
    def image(_request: Request) -> Response:
        def body():
            yield b"\x89PNG\r\n\x1a\n"
            release.wait(30)  # a body that never ends: the fetch must not wait for it
            yield b"more"

        response = Response(body(), content_type="image/png")
        response.headers["Link"] = '</wm>; rel="webmention"'
        return response

    url = pages.handle("/photo.png", image)
    policy = FetchPolicy(allow_networks=LOOPBACK, timeout=5)
    started = time.monotonic()
    result = fetch(url, policy, any_type=True)
    assert time.monotonic() - started < 2
    assert result.content_type == "image/png" and result.body == b""
    assert result.links == ('</wm>; rel="webmention"',)
    with pytest.raises(PermanentFetchError, match="image/png, not an HTML or text page"):
        fetch(url, policy)


def test_user_agent_says_what_the_request_is_for():
    config = {"PUBLIC_URL": "https://comments.example"}
    verifier = FetchPolicy.from_config(config).user_agent
    assert verifier == f"commentsvc/{VERSION} ({VERIFIER}; +https://comments.example)"
    assert FetchPolicy.from_config(config, SENDER).user_agent.endswith(
        "(webmention and pingback sender; +https://comments.example)"
    )
    assert (
        FetchPolicy.from_config({}, FEED_READER).user_agent
        == f"commentsvc/{VERSION} ({FEED_READER})"
    )
