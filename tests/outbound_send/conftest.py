"""Fixtures of the sending tests: the loopback page server standing in for the pages a post
links to (and their endpoints), a recorder of the webmentions they receive, a loopback
XML-RPC pingback server, and a helper that queues one send from the test site's post."""

from __future__ import annotations

import threading
import xmlrpc.client
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

import pytest
from flask import Flask

from commentsvc import create_app
from commentsvc.extensions import db
from commentsvc.models import Account
from commentsvc.services.accounts import create_account
from commentsvc.services.outbound import queue_sends
from commentsvc.services.sites import create_site
from tests.outbound_send.helpers import POST_URL, Received
from tests.workers.pages import pages, pages_server, release  # noqa: F401 - fixtures


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: sending is HTTP work whose rows are plain inserts and
    updates, which the mention, API and moderation suites run on PostgreSQL too (CI's time)."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def received() -> Received:
    return Received()


@pytest.fixture
def queue_one(site) -> Callable[[str], int]:
    """``queue_one(target) -> send id``: recorded and committed, not yet sent."""

    def queue(target: str, reason: str = "new") -> int:
        (send_id,) = queue_sends(site, POST_URL, [target], reason=reason)
        db.session.commit()
        return send_id

    return queue


@dataclass
class Receiver:
    app: Flask
    url: str


@dataclass
class PingbackServer:
    url: str
    calls: list[tuple[str, ...]]
    answers: list[object]  # what pingback.ping answers next: a string or an xmlrpc Fault


class _QuietHandler(SimpleXMLRPCRequestHandler):
    rpc_paths = ("/xmlrpc.php",)

    def log_message(self, format, *args):
        pass


@pytest.fixture
def pingback_server() -> Iterator[PingbackServer]:
    """A stdlib XML-RPC server on loopback offering ``pingback.ping`` (the WordPress path)."""
    server = SimpleXMLRPCServer(
        ("127.0.0.1", 0), requestHandler=_QuietHandler, logRequests=False, allow_none=False
    )
    state = PingbackServer(
        url=f"http://127.0.0.1:{server.server_address[1]}/xmlrpc.php", calls=[], answers=[]
    )

    def ping(source: str, target: str) -> str:
        state.calls.append((source, target))
        answer = state.answers.pop(0) if state.answers else "Pingback registered. Thanks!"
        if isinstance(answer, xmlrpc.client.Fault):
            raise answer
        return str(answer)

    server.register_function(ping, "pingback.ping")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def operator(site) -> Account:
    account = create_account(
        "ops@blog.example.org", "Olga Ops", "a long test password", operator_of=["blog"]
    )
    db.session.commit()
    return account


@pytest.fixture
def stranger(app) -> Account:
    """An operator of another site only."""
    create_site("shop", ["https://shop.example.org"])
    account = create_account(
        "ops@shop.example.org", "Sam Shop", "a long test password", operator_of=["shop"]
    )
    db.session.commit()
    return account


@pytest.fixture
def receiver(tmp_path, serve, pages):  # noqa: F811 - the imported fixture, requested
    """A second instance of this service, served on loopback, whose site ``news`` owns the
    page server's origin: the pages a post links to advertise its webmention endpoint."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "receiver-test-secret",
        "INSTANCE_PATH": str(tmp_path / "receiver"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'receiver.sqlite3'}",
        "RATELIMIT_ENABLED": False,
        "JOBS_IN_PROCESS_WORKERS": 0,
        "FETCH_ALLOW_NETWORKS": ["127.0.0.0/8"],
        "PUBLIC_URL": "http://receiver.test",
    }
    other = create_app(config)
    with other.app_context():
        db.create_all()
        create_site("news", [pages.base])
        db.session.commit()
    server = serve(other)
    yield Receiver(app=other, url=server.url)
    with other.app_context():
        db.engine.dispose()
