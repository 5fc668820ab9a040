"""Fixtures: an app and a clean database per test, on SQLite and on a real PostgreSQL server;
a real redis-server; a guard that fails any connection outside loopback.

PostgreSQL comes from ``COMMENTSVC_TEST_POSTGRES_URL`` (``.ci/run`` starts a server and sets
it). A missing server is a failure, never a skip.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from commentsvc import create_app
from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.services.sites import create_site

SITE_ORIGIN = "https://blog.example.org"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"

pytest_plugins = ["tests.operators"]  # operator fixtures several folders share


# ---------------------------------------------------------------- network guard


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple):
        return True  # AF_UNIX paths
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _forbid_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly on any connection beyond loopback: tests never reach the internet."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded(method):
        def connect(self, address):
            if not _is_loopback(address):
                raise RuntimeError(f"test tried to connect outside loopback: {address!r}")
            return method(self, address)

        return connect

    monkeypatch.setattr(socket.socket, "connect", guarded(real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guarded(real_connect_ex))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server for this test session, dropped afterwards."""
    server = os.environ.get("COMMENTSVC_TEST_POSTGRES_URL")
    if not server:
        pytest.fail(
            "COMMENTSVC_TEST_POSTGRES_URL is not set: run the suite with .ci/run, which starts "
            "PostgreSQL (or start one and set e.g. postgresql+psycopg://postgres@127.0.0.1:54329/postgres)."
        )
    name = f"cstest_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_url")


def base_config(tmp_path: Path, database_url: str) -> dict[str, object]:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": False,
        "JOBS_IN_PROCESS_WORKERS": 0,
        "FETCH_ALLOW_NETWORKS": ["127.0.0.0/8", "::1/128"],
        "PUBLIC_URL": "http://comments.test",
    }


def make_app(config: dict[str, object]) -> Flask:
    """An app with an empty schema (created from the models; migrations have their own test)."""
    application = create_app(config)
    with application.app_context():
        if db.engine.dialect.name == "postgresql":
            db.drop_all()
        db.create_all()
    return application


@pytest.fixture
def app_config(tmp_path: Path, database_url: str) -> dict[str, object]:
    """Override in a test module to change settings before the app is built."""
    return base_config(tmp_path, database_url)


@pytest.fixture
def app(app_config: dict[str, object]) -> Iterator[Flask]:
    application = make_app(app_config)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def site(app: Flask) -> Site:
    """A site on https://blog.example.org that lets guests post without moderation."""
    created = create_site("blog", [SITE_ORIGIN])
    db.session.commit()
    return created


# ---------------------------------------------------------------- redis


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real redis-server on a free loopback port for this session."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not installed: .ci/run installs it (apt-get install redis-server)"
        )
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    from redis import Redis

    Redis.from_url(redis_server).flushall()
    return redis_server


# ---------------------------------------------------------------- artifacts


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests leave files for a person to look at (screenshots)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


# ---------------------------------------------------------------- live servers and the browser


class LiveServer:
    """A WSGI app served on a loopback port by werkzeug, on a thread, for browsers and clients."""

    def __init__(self, wsgi_app, host: str = "127.0.0.1") -> None:
        import threading

        from werkzeug.serving import make_server

        self._server = make_server(host, 0, wsgi_app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture
def serve() -> Iterator:
    """``serve(wsgi_app) -> LiveServer``; every server started is stopped after the test."""
    servers: list[LiveServer] = []

    def start(wsgi_app, host: str = "127.0.0.1") -> LiveServer:
        server = LiveServer(wsgi_app, host)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    """Real headless Chromium (Debian's), never a downloaded browser."""
    instance = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield instance
    instance.close()


@pytest.fixture
def page(browser):
    """A fresh browser context and page; console errors are collected on ``page.console_errors``."""
    context = browser.new_context()
    new_page = context.new_page()
    errors: list[str] = []
    new_page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    new_page.on("pageerror", lambda error: errors.append(str(error)))
    new_page.console_errors = errors  # type: ignore[attr-defined]
    yield new_page
    context.close()
