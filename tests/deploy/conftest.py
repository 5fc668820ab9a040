"""The shipped production stack as real processes: gunicorn with deploy/gunicorn.conf.py, nginx
with deploy/nginx/commentsvc.conf.template rendered for loopback ports, and clients that send
their request headers one byte every two seconds.

The service is set up the way an operator does it: ``commentsvc db upgrade`` and ``commentsvc
site add`` with COMMENTSVC_* settings, on a temporary SQLite database.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import (
    HTTPCookieProcessor,
    HTTPRedirectHandler,
    Request,
    build_opener,
    urlopen,
)

import pytest

from tests.conftest import free_port
from tests.servers import HOST, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SITE = "deploy"
SITE_ORIGIN = "https://blog.example.org"
METRICS_TOKEN = "deploy-test-metrics-token-0123456789"
BIN = Path(sys.executable).parent


def render_template(text: str, values: dict[str, str]) -> str:
    """What the nginx image's envsubst does with a filter: only the named ``${NAME}`` change."""
    return re.sub(r"\$\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (gunicorn's master and workers), SIGKILL if it lingers."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


@dataclass(frozen=True)
class Stack:
    gunicorn_port: int
    nginx_port: int
    thread_path: str
    gunicorn_log: Path
    nginx_log: Path  # nginx's access log goes to its standard output


def _service_env(folder: Path, public_url: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("COMMENTSVC_", "GUNICORN_", "WEB_CONCURRENCY", "FORWARDED_ALLOW"))
    }
    return {
        **inherited,
        "HOME": str(folder),  # gunicorn's control socket
        "COMMENTSVC_DATABASE_URL": f"sqlite:///{folder / 'commentsvc.sqlite3'}",
        "COMMENTSVC_SECRET_KEY": "deploy-test-secret-key-0123456789abcdef",
        "COMMENTSVC_PUBLIC_URL": public_url,
        "COMMENTSVC_INSTANCE_PATH": str(folder / "instance"),
        "COMMENTSVC_PROXY_COUNT": "1",  # one proxy (nginx), as deploy/compose.yaml sets it
        "COMMENTSVC_RATELIMIT_PREVIEW": "2 per minute",
        "COMMENTSVC_MIN_FILL_IN_SECONDS": "0",
        "COMMENTSVC_METRICS_TOKEN": METRICS_TOKEN,
    }


def _operator(env: dict[str, str], *args: str, stdin: str | None = None) -> None:
    result = subprocess.run(
        [str(BIN / "commentsvc"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def _nginx_config(folder: Path, gunicorn_port: int, nginx_port: int) -> Path:
    template = (DEPLOY / "nginx" / "commentsvc.conf.template").read_text()
    site = render_template(
        template,
        {
            "COMMENTSVC_UPSTREAM": f"{HOST}:{gunicorn_port}",
            "COMMENTSVC_EVENTS_UPSTREAM": f"{HOST}:{gunicorn_port}",
            "NGINX_LISTEN": f"{HOST}:{nginx_port}",
            "NGINX_CACHE_PATH": str(folder / "cache"),
        },
    )
    (folder / "commentsvc.conf").write_text(site)
    temp_paths = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = folder / "nginx.conf"
    main.write_text(
        f"user root root;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n{temp_paths}\n    include {folder / 'commentsvc.conf'};\n}}\n"
    )
    return main


def _nginx_binary() -> str:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is not installed: .ci/run installs it (apt-get install nginx)")
    return nginx


def _start_gunicorn(
    folder: Path, env: dict[str, str], port: int, log_path: Path, workers: int = 1
) -> subprocess.Popen:
    """gunicorn with the shipped settings file (``workers`` processes), in its own group."""
    command = [str(BIN / "gunicorn"), "--config", str(DEPLOY / "gunicorn.conf.py"),
               "--bind", f"{HOST}:{port}", "--workers", str(workers)]  # fmt: skip
    with log_path.open("a") as log:
        return subprocess.Popen(
            command,
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _start_nginx(
    folder: Path, env: dict[str, str], config: Path, log_path: Path
) -> subprocess.Popen:
    command = [_nginx_binary(), "-p", f"{folder}/", "-c", str(config), "-e", "stderr",
               "-g", "daemon off;"]  # fmt: skip
    with log_path.open("w") as log:
        return subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )


def _post_comment(port: int, page: str) -> None:
    """A guest comment through nginx: the thread read has something to render."""
    document = {"url": page, "body": "A *first* comment.", "name": "Reader"}
    posted = Request(
        f"http://{HOST}:{port}/api/sites/{SITE}/comments",
        data=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urlopen(posted, timeout=30) as response:
        assert response.status == 201, response.read()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """gunicorn (one worker process, the shipped settings otherwise) behind nginx."""
    folder = tmp_path_factory.mktemp("stack")
    gunicorn_port, nginx_port = free_port(), free_port()
    env = _service_env(folder, f"http://{HOST}:{nginx_port}")
    _operator(env, "db", "upgrade")
    _operator(env, "site", "add", SITE, "--origin", SITE_ORIGIN)

    gunicorn_log, nginx_log = folder / "gunicorn.log", folder / "nginx.out"
    config = _nginx_config(folder, gunicorn_port, nginx_port)
    processes = [_start_gunicorn(folder, env, gunicorn_port, gunicorn_log)]
    processes.append(_start_nginx(folder, env, config, nginx_log))
    try:
        wait_for_port(gunicorn_port, processes[0], gunicorn_log)
        wait_for_port(nginx_port, processes[1], nginx_log)
        page = f"{SITE_ORIGIN}/posts/hello/"
        _post_comment(nginx_port, page)
        thread_path = f"/api/sites/{SITE}/thread?url={quote(page, safe='')}"
        with urlopen(f"http://{HOST}:{nginx_port}{thread_path}", timeout=30) as response:
            assert json.load(response)["comments"], "the thread read does not show the comment"
        yield Stack(gunicorn_port, nginx_port, thread_path, gunicorn_log, nginx_log)
    finally:
        for process in reversed(processes):
            stop(process)


class SlowHeaderClients:
    """Connections that send a request's header one byte every ``interval`` seconds."""

    REQUEST = b"GET /healthz HTTP/1.1\r\nHost: slow.example\r\nX-Padding: " + b"x" * 200

    def __init__(self, port: int, count: int, interval: float) -> None:
        self._sockets = [socket.create_connection((HOST, port), timeout=5) for _ in range(count)]
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._dribble, daemon=True)
        self._thread.start()

    def _dribble(self) -> None:
        for byte in self.REQUEST:
            for sock in self._sockets:
                with contextlib.suppress(OSError):  # the server gave up on this one
                    sock.send(bytes([byte]))
            if self._stopped.wait(self._interval):
                return

    def close(self) -> None:
        self._stopped.set()
        self._thread.join(5)
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def slow_header_clients() -> Iterator[Callable[[int, int], SlowHeaderClients]]:
    """``slow_header_clients(port, count)``: every set opened is closed after the test."""
    opened: list[SlowHeaderClients] = []

    def open_clients(port: int, count: int) -> SlowHeaderClients:
        clients = SlowHeaderClients(port, count, interval=2.0)
        opened.append(clients)
        return clients

    yield open_clients
    for clients in opened:
        clients.close()


HELD_SITE = "held"  # every comment waits for an operator
HELD_ORIGIN = "https://held.example.org"
OPERATOR_EMAIL = "operator@example.org"
OPERATOR_PASSWORD = "a long and secret operator password"
_CSRF = re.compile(r'name="csrf_token"[^>]* value="([^"]+)"')


class CachedStack:
    """gunicorn with the shipped settings (two processes) behind the shipped nginx and its
    cache, set up as docs/deployment.md advises for it (``THREAD_STATE_SECONDS=0``), with a
    second site that holds every comment and an operator of it. gunicorn can be stopped and
    started again under the same nginx."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.gunicorn_port, self.nginx_port = free_port(), free_port()
        self.env = {
            **_service_env(folder, f"http://{HOST}:{self.nginx_port}"),
            "COMMENTSVC_THREAD_STATE_SECONDS": "0",
            "COMMENTSVC_RATELIMIT_ENABLED": "false",
        }
        self.gunicorn_log, self.nginx_log = folder / "gunicorn.log", folder / "nginx.out"
        self._gunicorn: subprocess.Popen | None = None
        self._nginx: subprocess.Popen | None = None

    def set_up(self) -> None:
        _operator(self.env, "db", "upgrade")
        _operator(self.env, "site", "add", SITE, "--origin", SITE_ORIGIN)
        _operator(self.env, "site", "add", HELD_SITE, "--origin", HELD_ORIGIN,
                  "--moderation", "all")  # fmt: skip
        _operator(self.env, "user", "add", OPERATOR_EMAIL, "--name", "Operator",
                  "--operator", HELD_SITE, stdin=OPERATOR_PASSWORD + "\n")  # fmt: skip
        self.start_gunicorn()
        config = _nginx_config(self.folder, self.gunicorn_port, self.nginx_port)
        self._nginx = _start_nginx(self.folder, self.env, config, self.nginx_log)
        wait_for_port(self.nginx_port, self._nginx, self.nginx_log)

    def start_gunicorn(self) -> None:
        self._gunicorn = _start_gunicorn(
            self.folder, self.env, self.gunicorn_port, self.gunicorn_log, workers=2
        )
        wait_for_port(self.gunicorn_port, self._gunicorn, self.gunicorn_log)

    def stop_gunicorn(self) -> None:
        if self._gunicorn is not None:
            stop(self._gunicorn)

    def close(self) -> None:
        for process in (self._nginx, self._gunicorn):
            if process is not None:
                stop(process)


@pytest.fixture(scope="module")
def cached_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CachedStack]:
    stack = CachedStack(tmp_path_factory.mktemp("cached"))
    try:
        stack.set_up()
        yield stack
    finally:
        stack.close()


class _NoRedirect(HTTPRedirectHandler):
    """Hands a redirect back as the answer (an HTTPError) instead of following it."""

    def redirect_request(self, *_args: object, **_kwargs: object) -> None:
        return None


class OperatorSession:
    """The operator of the held site in a browser-like client through nginx: a session cookie,
    the moderation queue's forms and their CSRF tokens."""

    def __init__(self, port: int) -> None:
        self.base = f"http://{HOST}:{port}"
        self.cookies = http.cookiejar.CookieJar()
        self._opener = build_opener(HTTPCookieProcessor(self.cookies))
        self._unredirected = build_opener(HTTPCookieProcessor(self.cookies), _NoRedirect())

    def _submit(self, page: str, action: str, fields: dict[str, str]) -> str:
        """Opens ``page`` for its CSRF token and posts ``fields`` to ``action``."""
        with self._opener.open(self.base + page, timeout=30) as shown:
            token = _CSRF.search(shown.read().decode())
        assert token, f"no CSRF token on {page}"
        posted = Request(
            self.base + action,
            data=urlencode({"csrf_token": token.group(1), **fields}).encode(),
            method="POST",
        )
        with self._opener.open(posted, timeout=30) as response:
            return response.read().decode()

    def sign_in(self) -> None:
        fields = {"email": OPERATOR_EMAIL, "password": OPERATOR_PASSWORD}
        login = "/auth/login/site?next=/moderate/"
        queue = self._submit(login, login, fields)
        assert "/moderate/act" in queue, "the operator was not signed in"

    def approve(self, comment_id: int) -> float:
        """Approves the comment; returns ``time.monotonic()`` when the approval was answered
        (its redirect, not the queue page it leads to)."""
        with self._opener.open(self.base + "/moderate/", timeout=30) as shown:
            token = _CSRF.search(shown.read().decode())
        assert token, "no CSRF token on /moderate/"
        fields = {"csrf_token": token.group(1), "do": f"approve:c:{comment_id}"}
        posted = Request(self.base + "/moderate/act", data=urlencode(fields).encode())
        try:
            self._unredirected.open(posted, timeout=30).close()
        except HTTPError as answer:
            assert answer.code in (302, 303), answer.code
            return time.monotonic()
        raise AssertionError("the approval was not answered with a redirect")

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


@pytest.fixture
def operator_session(cached_stack: CachedStack) -> OperatorSession:
    session = OperatorSession(cached_stack.nginx_port)
    session.sign_in()
    return session
