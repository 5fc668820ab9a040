"""Fixtures of the mention tests: the loopback page server, and the app served by a server
that handles one request at a time (a sync worker: a request held there holds everyone)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from tests.workers.pages import pages, pages_server, release  # noqa: F401 - fixtures


@dataclass
class SingleWorker:
    url: str
    server: BaseWSGIServer
    thread: threading.Thread


@pytest.fixture
def serve_one_at_a_time() -> Iterator:
    """``serve_one_at_a_time(wsgi_app)``: served on loopback by one thread, one request at a
    time, like one sync gunicorn worker; stopped after the test."""
    started: list[SingleWorker] = []

    def start(wsgi_app) -> SingleWorker:
        server = make_server("127.0.0.1", 0, wsgi_app, threaded=False)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        worker = SingleWorker(f"http://127.0.0.1:{server.server_port}", server, thread)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.server.shutdown()
        worker.thread.join(5)
