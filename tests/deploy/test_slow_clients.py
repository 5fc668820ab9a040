"""The production serving model against slow and hostile clients, on real processes.

Fifty connections that send their request headers one byte every two seconds: behind the
shipped nginx, /healthz and thread reads keep answering within a second; against gunicorn's
gthread workers alone they take every thread and nothing answers (which is why nginx is part
of the documented deployment). And the client address the rate limits key on is the real
client's behind nginx, and cannot be chosen with X-Forwarded-For by a client that reaches
gunicorn directly.
"""

from __future__ import annotations

import http.client
import json
import time

import pytest

HOST = "127.0.0.1"
SLOW_CLIENTS = 50


def request(
    port: int,
    path: str,
    *,
    method: str = "GET",
    document: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
    timeout: float = 5.0,
) -> tuple[int, float]:
    """One request on a new connection: (status, seconds it took)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(
        HOST, port, timeout=timeout, source_address=(source, 0) if source else None
    )
    body = json.dumps(document).encode() if document is not None else None
    all_headers = {"Content-Type": "application/json"} if body else {}
    try:
        connection.request(method, path, body=body, headers={**all_headers, **(headers or {})})
        response = connection.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        connection.close()


def answers_within_a_second(port: int, path: str) -> bool:
    try:
        status, seconds = request(port, path, timeout=1.0)
    except TimeoutError:
        return False
    return status == 200 and seconds < 1.0


def test_behind_nginx_50_slow_header_connections_leave_healthz_and_thread_reads_answering(
    stack, slow_header_clients
) -> None:
    assert answers_within_a_second(stack.nginx_port, stack.thread_path)
    slow_header_clients(stack.nginx_port, SLOW_CLIENTS)
    time.sleep(2.5)  # every slow connection is open and has sent a header byte or two
    for _ in range(3):
        for path in ("/healthz", stack.thread_path):
            status, seconds = request(stack.nginx_port, path, timeout=5.0)
            assert status == 200
            assert seconds < 1.0, f"{path} took {seconds:.2f} s behind nginx"
        time.sleep(0.5)


def test_gthread_alone_is_starved_by_50_slow_header_connections_so_nginx_is_required(
    stack, slow_header_clients
) -> None:
    """gthread gives a connection a thread once its first byte arrives, then reads the headers
    with no deadline: 50 slow senders hold all of a worker's threads, and a /healthz queued
    behind them gets no answer. It recovers when they go away."""
    assert answers_within_a_second(stack.gunicorn_port, "/healthz")
    slow = slow_header_clients(stack.gunicorn_port, SLOW_CLIENTS)
    time.sleep(1.0)
    assert not answers_within_a_second(stack.gunicorn_port, "/healthz")
    assert not answers_within_a_second(stack.gunicorn_port, stack.thread_path)
    slow.close()
    deadline = time.monotonic() + 10
    while not answers_within_a_second(stack.gunicorn_port, "/healthz"):
        assert time.monotonic() < deadline, "gunicorn did not recover after the clients left"


def preview_statuses(port: int, source: str, forwarded_for: list[str]) -> list[int]:
    """Markdown previews (limited to 2 a minute per client address), each claiming to come
    from another address in X-Forwarded-For."""
    path = "/api/sites/deploy/preview"
    document = {"body": "*hi*"}
    statuses = []
    for claimed in forwarded_for:
        headers = {"X-Forwarded-For": claimed}
        statuses.append(
            request(port, path, method="POST", document=document, source=source, headers=headers)[0]
        )
    return statuses


SPOOFED = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]


def test_direct_client_cannot_choose_its_rate_limit_address_with_x_forwarded_for(stack) -> None:
    assert preview_statuses(stack.gunicorn_port, "127.0.0.3", SPOOFED) == [200, 200, 429]


def test_behind_nginx_rate_limits_key_on_the_real_client_not_on_nginx_or_the_header(
    stack,
) -> None:
    assert preview_statuses(stack.nginx_port, "127.0.0.4", SPOOFED) == [200, 200, 429]
    # Another client behind the same nginx has its own allowance.
    assert preview_statuses(stack.nginx_port, "127.0.0.5", SPOOFED[:1]) == [200]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_nginx_passes_the_probes_through(stack, path: str) -> None:
    assert request(stack.nginx_port, path)[0] == 200


def test_access_logs_keep_no_query_strings_and_mask_tokens_in_paths(stack) -> None:
    token = "eyJjIjo0Mn0.ZXhhbXBsZS1zaWduYXR1cmU.k3y_-Tok"
    status, _ = request(stack.nginx_port, f"/unsubscribe/{token}?code=oauth-code-1234")
    assert status < 500
    time.sleep(0.5)  # both servers have written their line
    for log in (stack.gunicorn_log, stack.nginx_log):
        text = log.read_text()
        assert "/unsubscribe/[token]" in text, log.name
        assert token not in text, log.name
        assert "oauth-code-1234" not in text, log.name
