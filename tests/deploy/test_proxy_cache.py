"""The cache in front, on real processes: the shipped nginx and its cache before gunicorn with
the shipped settings (two processes).

A copy lives until the end of the second it was made; the first read that finds it expired
fetches a fresh answer and waits for it, and only reads concurrent with that refresh get the
old copy (X-Cache-Status UPDATING). So with one reader at a time, every read that starts a
second or more after a comment was posted or approved shows it. Requests with credentials
never touch the cache, and a copy made for one origin's CORS answer, or one Host's, is never
handed to another. /metrics is not served through nginx at all.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from tests.deploy.conftest import METRICS_TOKEN

HOST = "127.0.0.1"
POLL_SECONDS = 0.02
WATCH_SECONDS = 1.5  # reads go on this long after a write: half a second past the bound


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    started: float

    @property
    def cache_status(self) -> str | None:
        return self.headers.get("X-Cache-Status")

    def json(self) -> dict:
        return json.loads(self.body)


def call(
    port: int,
    path: str,
    *,
    method: str = "GET",
    document: dict | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request on a new connection, as a browser on another page would make it."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    body = json.dumps(document).encode() if document is not None else None
    sent = {"Content-Type": "application/json"} if body else {}
    try:
        connection.request(method, path, body=body, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read(), started)
    finally:
        connection.close()


def thread_path(site: str, page: str) -> str:
    return f"/api/sites/{site}/thread?url={quote(page, safe='')}"


def ids(reply: Reply) -> set[int]:
    found: set[int] = set()
    pending = list(reply.json()["comments"])
    while pending:
        comment = pending.pop()
        found.add(comment["id"])
        pending.extend(comment["replies"])
    return found


def post(port: int, site: str, page: str, body: str) -> Reply:
    reply = call(
        port,
        f"/api/sites/{site}/comments",
        method="POST",
        document={"url": page, "body": body, "name": "Reader"},
    )
    assert reply.status in (201, 202), reply.body
    assert reply.cache_status is None, "a write went near the cache"
    return reply


def warm(port: int, path: str) -> Reply:
    """Reads until nginx answers from its copy early in a second: a copy lives to the end of
    its second, so what the caller does next still meets it (on a loaded machine a refresh can
    take a while: a few seconds of tries)."""
    for _ in range(30):
        reply = call(port, path)
        assert reply.status == 200, reply.body
        if reply.cache_status == "HIT" and time.time() % 1 < 0.4:
            return reply
        time.sleep(0.1)
    raise AssertionError(f"{path} is never answered from the cache: {reply.cache_status}")


def sequential_reads(port: int, path: str, since: float) -> list[Reply]:
    """Reads ``path`` one after another, each on a new connection: once at once (the copy from
    before the write), then from a second after ``since`` until WATCH_SECONDS after it; every
    read, in order. The first read after the pause is the first to meet the expired copy: the
    one a cache that answers from the stale copy while it refreshes would give the old one."""
    reads = [call(port, path)]
    time.sleep(max(0.0, since + 1.0 - time.monotonic()))
    while time.monotonic() - since < WATCH_SECONDS:
        reads.append(call(port, path))
        assert reads[-1].status == 200, reads[-1].body
        time.sleep(POLL_SECONDS)
    return reads


def assert_shown_within_a_second(reads: list[Reply], comment_id: int, since: float) -> None:
    """Every read that started a second or more after ``since`` (the write's answer) shows the
    comment, whatever the cache answered it from."""
    late = [r for r in reads if r.started - since >= 1.0]
    assert late, "no read started a second after the write: the machine is too slow to tell"
    missing = [
        (round(r.started - since, 3), r.cache_status) for r in late if comment_id not in ids(r)
    ]
    assert missing == [], f"reads a second or more after the write without the comment: {missing}"


def test_a_new_comment_shows_through_the_cache_within_a_second(cached_stack) -> None:
    port = cached_stack.nginx_port
    page = "https://blog.example.org/posts/new-comment/"
    path = thread_path("deploy", page)
    post(port, "deploy", page, "The first comment.")
    warm(port, path)

    posted = post(port, "deploy", page, "A *second* comment.")
    since = time.monotonic()
    reads = sequential_reads(port, path, since)
    assert_shown_within_a_second(reads, posted.json()["id"], since)
    assert any(r.cache_status == "HIT" for r in reads), "the cache never answered"


def test_an_approved_comment_shows_through_the_cache_within_a_second(
    cached_stack, operator_session
) -> None:
    port = cached_stack.nginx_port
    page = "https://held.example.org/posts/approval/"
    path = thread_path("held", page)
    held = post(port, "held", page, "Waiting for the operator.")
    assert held.status == 202
    comment_id = held.json()["id"]
    assert comment_id not in ids(warm(port, path)), "a pending comment was shown to everyone"

    since = operator_session.approve(comment_id)
    reads = sequential_reads(port, path, since)
    assert_shown_within_a_second(reads, comment_id, since)


def test_requests_with_credentials_neither_read_nor_fill_the_cache(
    cached_stack, operator_session
) -> None:
    port = cached_stack.nginx_port
    path = thread_path("held", "https://held.example.org/posts/credentials/")
    signed_in = {"Cookie": operator_session.cookie_header()}
    for credentials in (signed_in, {"Authorization": "Bearer a-reader-token"}):
        for _ in range(2):
            reply = call(port, path, headers=credentials)
            assert reply.status == 200
            assert reply.cache_status == "BYPASS"
            assert reply.headers["Cache-Control"] == "private, no-store"
    assert call(port, path).cache_status == "MISS", "a signed-in read was stored"

    me = call(port, "/api/me", headers=signed_in)
    assert me.status == 200 and "Operator" in me.body.decode()
    assert "no-store" in me.headers["Cache-Control"]
    anonymous = call(port, "/api/me")
    assert "Operator" not in anonymous.body.decode()


def test_a_copy_made_for_one_origin_is_not_handed_to_another(cached_stack) -> None:
    port = cached_stack.nginx_port
    path = thread_path("deploy", "https://blog.example.org/posts/origins/")
    site = {"Origin": "https://blog.example.org"}
    for _ in range(2):
        reply = call(port, path, headers=site)
        assert reply.headers["Access-Control-Allow-Origin"] == "https://blog.example.org"
    assert reply.cache_status == "HIT"
    for origin in ({}, {"Origin": "https://elsewhere.example"}):
        other = call(port, path, headers=origin)
        assert other.status == 200
        assert "Access-Control-Allow-Origin" not in other.headers
    assert call(port, path, headers=site).headers["Access-Control-Allow-Origin"] == site["Origin"]


def test_counts_are_cached_and_answer_304_to_their_etag(cached_stack) -> None:
    port = cached_stack.nginx_port
    path = f"/api/sites/deploy/counts?url={quote('https://blog.example.org/posts/counted/')}"
    first = call(port, path)
    assert first.status == 200 and first.json() == {"https://blog.example.org/posts/counted/": 0}
    assert call(port, path).cache_status == "HIT"
    again = call(port, path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304


def test_the_cache_revalidates_with_the_etag_and_answers_clients_304(cached_stack) -> None:
    port = cached_stack.nginx_port
    page = "https://blog.example.org/posts/revalidate/"
    path = thread_path("deploy", page)
    post(port, "deploy", page, "Unchanged from here on.")
    first = warm(port, path)
    etag = first.headers["ETag"]
    assert call(port, path, headers={"If-None-Match": etag}).status == 304
    time.sleep(1.1)  # past the copy's second
    renewed = call(port, path)
    assert renewed.cache_status == "REVALIDATED", "nginx did not ask gunicorn with the ETag"
    assert renewed.body == first.body and renewed.headers["ETag"] == etag
    assert call(port, path).cache_status == "HIT"


def test_a_thread_is_served_stale_while_gunicorn_is_stopped(cached_stack) -> None:
    port = cached_stack.nginx_port
    page = "https://blog.example.org/posts/outage/"
    path = thread_path("deploy", page)
    post(port, "deploy", page, "Still readable in an outage.")
    cached = warm(port, path)
    cached_stack.stop_gunicorn()
    try:
        time.sleep(1.1)  # the copy has expired
        during = call(port, path)
        assert during.status == 200
        assert during.cache_status == "STALE"
        assert during.body == cached.body
        assert call(port, "/healthz").status == 502, "gunicorn was still answering"
    finally:
        cached_stack.start_gunicorn()
    assert call(port, path).status == 200


def test_a_copy_made_for_one_host_is_not_handed_to_another(cached_stack) -> None:
    port = cached_stack.nginx_port
    for path in (
        thread_path("deploy", "https://blog.example.org/posts/hosts/"),
        "/feeds/deploy.atom",
    ):
        assert call(port, path, headers={"Host": "evil.example"}).status == 200
        poisoned = call(port, path, headers={"Host": "evil.example"})
        assert poisoned.cache_status == "HIT", "the first read was not kept"
        own = call(port, path)
        assert own.status == 200
        assert own.cache_status == "MISS", "a copy made for another Host was handed out"
        assert b"evil.example" not in own.body


def test_each_reader_gets_its_own_request_id_never_the_cached_one_or_its_own_choice(
    cached_stack,
) -> None:
    port = cached_stack.nginx_port
    path = thread_path("deploy", "https://blog.example.org/posts/request-ids/")
    chosen = "chosen-by-the-client"
    replies = [call(port, path, headers={"X-Request-ID": chosen}) for _ in range(3)]
    assert replies[-1].cache_status == "HIT"
    request_ids = [reply.headers["X-Request-ID"] for reply in replies]
    assert len(set(request_ids)) == 3 and chosen not in request_ids


@pytest.mark.parametrize("path", ["/metrics", "/metrics?format=text", "//metrics", "/%6Detrics"])
def test_metrics_are_not_served_through_nginx_but_are_on_the_backend(cached_stack, path) -> None:
    bearer = {"Authorization": f"Bearer {METRICS_TOKEN}"}
    public = call(cached_stack.nginx_port, path, headers=bearer)
    assert public.status == 404
    assert b"commentsvc_" not in public.body
    backend = call(cached_stack.gunicorn_port, "/metrics", headers=bearer)
    assert backend.status == 200 and b"commentsvc_http_requests_total" in backend.body
