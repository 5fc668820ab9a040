"""The fetcher against a real loopback server: bounds, redirects, pinning and refusals."""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time

import pytest
from werkzeug.wrappers import Response

from workers import fetch as fetch_module
from workers import pinning
from workers.addresses import literal_address, refusal
from workers.fetch import (
    FetchPolicy,
    PermanentFetchError,
    RefusedAddress,
    TransientFetchError,
    fetch,
)

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"),)
OPEN = FetchPolicy(allow_networks=LOOPBACK, timeout=3.0, max_bytes=200_000)
CLOSED = FetchPolicy(allow_networks=(), timeout=3.0)


@pytest.fixture
def no_connections(monkeypatch):
    """Refused fetches must fail before any socket connects."""

    def refuse(*args, **kwargs):
        raise AssertionError("the fetcher connected although the address is refused")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(pinning.urllib3_connection, "create_connection", refuse)


def test_fetch_reads_html_and_sends_an_honest_user_agent(pages):
    url = pages.html("/post", "<title>Hi</title><p>hello</p>")
    result = fetch(url, OPEN)
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert b"hello" in result.body
    agent = pages.requests[-1].headers["User-Agent"]
    assert agent.startswith("commentsvc/") and "webmention" in agent


def test_fetch_accepts_xhtml_plain_text_and_json(pages):
    kinds = (("/x", "application/xhtml+xml"), ("/t", "text/plain"), ("/j", "application/json"))
    for path, kind in kinds:
        result = fetch(pages.add(path, b"content", content_type=kind), OPEN)
        assert result.content_type == kind


def test_fetch_refuses_binary_content(pages):
    url = pages.add("/img", b"\x89PNG", content_type="image/png")
    with pytest.raises(PermanentFetchError, match="image/png"):
        fetch(url, OPEN)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/", "gopher://x/", "//x"])
def test_fetch_refuses_schemes_other_than_http(url, no_connections):
    with pytest.raises(PermanentFetchError, match="http"):
        fetch(url, OPEN)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not to bind
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "[::1]",
        "[::]",
        "[fe80::1]",
        "[fc00::1]",
        "[fd12:3456::1]",
        "[ff02::1]",
        "[fec0::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::ffff:169.254.169.254]",
        "[::127.0.0.1]",
        "[64:ff9b::a00:1]",
        "[2002:7f00:1::]",
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "0x7f000001",
        "127.1",
        "017700000001",
        "012.0.0.1",
    ],
)
def test_fetch_refuses_internal_addresses_in_every_spelling(host, no_connections):
    with pytest.raises(RefusedAddress):
        fetch(f"http://{host}/", CLOSED)


def test_spellings_are_read_as_a_c_resolver_reads_them():
    assert str(literal_address("2130706433")) == "127.0.0.1"
    assert str(literal_address("0177.0.0.1")) == "127.0.0.1"
    assert str(literal_address("0x7f.1")) == "127.0.0.1"
    assert literal_address("blog.example.org") is None
    assert literal_address("1e100.net") is None


def test_public_addresses_pass_the_check():
    assert refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert refusal(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946")) is None


def test_fetch_refuses_names_that_resolve_to_internal_addresses(monkeypatch, no_connections):
    answers = {"internal.test": ["10.0.0.7"], "mixed.test": ["93.184.216.34", "192.168.0.2"]}
    monkeypatch.setattr(fetch_module, "resolve", lambda host, port: answers[host])
    for host in answers:
        with pytest.raises(RefusedAddress, match="private"):
            fetch(f"http://{host}/", CLOSED)


def test_fetch_refuses_loopback_without_the_allowance(pages):
    url = pages.html("/post", "<p>hi</p>")
    with pytest.raises(RefusedAddress, match="loopback"):
        fetch(url, CLOSED)
    assert pages.hits("/post") == 0


def test_fetch_refuses_other_ports_on_public_addresses(monkeypatch, no_connections):
    monkeypatch.setattr(fetch_module, "resolve", lambda host, port: ["93.184.216.34"])
    with pytest.raises(RefusedAddress, match="port 6379"):
        fetch("http://public.test:6379/", CLOSED)


def test_fetch_pins_the_address_it_checked(pages, monkeypatch):
    """DNS is asked once per hop; the connection goes to that answer with the name as Host."""
    calls = []

    def rebinding(host, port):
        calls.append(host)
        return ["127.0.0.1"] if len(calls) == 1 else ["10.0.0.1"]

    monkeypatch.setattr(fetch_module, "resolve", rebinding)
    port = pages.base.rsplit(":", 1)[1]
    pages.html("/post", "<p>pinned</p>")
    result = fetch(f"http://blog.rebind.test:{port}/post", OPEN)
    assert b"pinned" in result.body
    assert calls == ["blog.rebind.test"]
    assert pages.requests[-1].headers["Host"] == f"blog.rebind.test:{port}"


def test_fetch_follows_redirects_and_checks_every_hop(pages, monkeypatch):
    monkeypatch.setattr(fetch_module, "resolve", lambda host, port: ["169.254.169.254"])
    pages.add("/a", status=302, headers={"Location": "/b"})
    pages.add("/b", status=301, headers={"Location": "http://metadata.test/latest"})
    pages.add("/c", status=307, headers={"Location": "http://10.0.0.1/"})
    with pytest.raises(RefusedAddress, match="link-local"):
        fetch(pages.url("/a"), OPEN)
    with pytest.raises(RefusedAddress, match="private"):
        fetch(pages.url("/c"), OPEN)
    assert pages.hits("/b") == 1


def test_fetch_returns_the_final_url_after_redirects(pages):
    pages.add("/old", status=301, headers={"Location": "/new"})
    pages.html("/new", "<p>moved</p>")
    result = fetch(pages.url("/old"), OPEN)
    assert result.url == pages.url("/new")
    assert result.redirects == (pages.url("/old"),)


def test_fetch_stops_after_five_redirects(pages):
    for n in range(10):
        pages.add(f"/r{n}", status=302, headers={"Location": f"/r{n + 1}"})
    with pytest.raises(PermanentFetchError, match="redirected more than 5"):
        fetch(pages.url("/r0"), OPEN)


def test_fetch_cuts_a_huge_page_at_the_byte_limit(pages):
    url = pages.add("/huge", (b"x" * 65536 for _ in range(160)))  # 10 MB, streamed
    started = time.monotonic()
    result = fetch(url, OPEN)
    assert result.is_truncated
    assert len(result.body) == OPEN.max_bytes
    assert time.monotonic() - started < 10  # stops at the cut, never reads the 10 MB


def test_fetch_stops_a_gzip_bomb_at_the_byte_limit(pages):
    bomb = gzip.compress(b"\0" * 50_000_000, 9)  # 50 MB inflated, ~50 KB on the wire
    url = pages.add("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    result = fetch(url, OPEN)
    assert result.is_truncated
    assert len(result.body) == OPEN.max_bytes


def test_fetch_inflates_a_small_gzip_page_whole(pages):
    url = pages.add("/gz", gzip.compress(b"<p>small</p>"), headers={"Content-Encoding": "gzip"})
    result = fetch(url, OPEN)
    assert result.body == b"<p>small</p>" and not result.is_truncated


def test_fetch_gives_up_on_a_slow_page_at_the_deadline(pages, release):
    def slow(_request):
        release.wait(30)  # a page that would take 30 s
        return Response("late")

    url = pages.handle("/slow", slow)
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="too long"):
        fetch(url, FetchPolicy(allow_networks=LOOPBACK, timeout=1.0))
    # Stops at the 1 s deadline, not at the server's pace (margin for a loaded CI machine).
    assert 0.9 <= time.monotonic() - started < 10


def test_fetch_deadline_covers_a_trickling_body(pages, release):
    def trickle():
        for _ in range(300):  # 30 s of a byte-sized paragraph every 0.1 s
            if release.wait(0.1):
                return
            yield b"<p>x</p>"

    url = pages.handle("/trickle", lambda _request: Response(trickle(), content_type="text/html"))
    started = time.monotonic()
    with pytest.raises(TransientFetchError, match="too long"):
        fetch(url, FetchPolicy(allow_networks=LOOPBACK, timeout=1.0))
    assert 0.9 <= time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (404, PermanentFetchError),
        (403, PermanentFetchError),
        (500, TransientFetchError),
        (503, TransientFetchError),
        (429, TransientFetchError),
    ],
)
def test_fetch_classifies_error_statuses(pages, status, error):
    url = pages.add(f"/s{status}", b"no", status=status)
    with pytest.raises(error) as raised:
        fetch(url, OPEN)
    assert raised.value.status == status


def test_fetch_returns_410_for_the_caller_to_act_on(pages):
    result = fetch(pages.add("/gone", b"gone", status=410), OPEN)
    assert result.status == 410


def test_a_host_name_no_resolver_can_take_is_permanent(no_connections):
    """A label over 63 characters will never resolve: rejected once, not retried for days."""
    with pytest.raises(PermanentFetchError, match="not a valid host name"):
        fetch(f"http://{'a' * 64}.example/", OPEN)


def test_fetch_reports_an_unreachable_source_as_transient(monkeypatch):
    from tests.conftest import free_port

    with pytest.raises(TransientFetchError, match="reached"):
        fetch(f"http://127.0.0.1:{free_port()}/", OPEN)
