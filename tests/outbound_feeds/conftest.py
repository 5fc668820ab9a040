"""Fixtures for outbound feeds: static blogs served on loopback, and this service served."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from commentsvc.models import Account
from tests.outbound_feeds.blogs import StaticBlog


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: reading feeds is HTTP and parsing work whose rows are plain
    inserts and updates, which the mention, API and moderation suites run on PostgreSQL too."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def serve_fast() -> Iterator[Callable]:
    """``serve_fast(wsgi_app) -> base URL``: like ``serve``, with a short shutdown poll (many
    tests here start three servers; the default half-second poll would dominate them)."""
    servers = []

    def start(wsgi_app) -> str:
        server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def make_blog(serve_fast) -> Callable[[], StaticBlog]:
    """``make_blog()``: a new static blog served on its own loopback port (its own origin)."""

    def start() -> StaticBlog:
        blog = StaticBlog()
        blog.url = serve_fast(blog)
        return blog

    return start


@pytest.fixture
def service_url(app: Flask, serve_fast) -> str:
    """This service itself, served for real (its /webmention endpoints receive the sends)."""
    return serve_fast(app)


# ---------------------------------------------------------------- operators' pages

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class OperatorBrowser:
    """A signed-in operator's client that posts forms with the page's CSRF token."""

    def __init__(self, client: FlaskClient, account: Account) -> None:
        with client.session_transaction() as session:
            session["account_id"] = account.id
            session["generation"] = account.token_generation
        g.pop("account", None)
        self.client = client

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True):
        html = self.client.get("/moderate/sites").get_data(as_text=True)
        match = _CSRF.search(html)
        assert match, html[:300]
        fields = {**({"csrf_token": match.group(1)} if csrf else {}), **(data or {})}
        return self.client.post(path, data=fields)


@pytest.fixture
def sign_in(client: FlaskClient) -> Callable[[Account], OperatorBrowser]:
    return lambda account: OperatorBrowser(client, account)
