"""A reader's live stream in real Chromium survives its web process dying: the shipped gunicorn
web process (deploy/gunicorn.conf.py) that serves the widget is killed with SIGKILL, a comment is
written through a second web process meanwhile, and once the first is back on its port the
browser's own EventSource reconnects with Last-Event-ID and the widget offers exactly what it
missed, without the page reloading.

SQLite (a file both processes open) and a real Redis, the production bus between them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from commentsvc.cli.demo import DEMO_SITE, blog_app, ensure_demo_site
from commentsvc.extensions import db
from tests.browser.test_live_widget import COUNT_STREAMS
from tests.widget.env import (  # noqa: F401  (fixtures)
    POST,
    app_config,
    database_url,
    shadow,
)

pytestmark = pytest.mark.browser

WEB_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebProcess:
    """``gunicorn -c deploy/gunicorn.conf.py`` on one loopback port, as production runs it (one
    gthread worker here); killed with SIGKILL (master and worker) and started again on the same
    port. Its output goes to a log file that a failed start shows."""

    def __init__(self, environment: dict[str, str], port: int, folder: Path) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._folder = folder
        self._environment = {
            **environment,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
            "GUNICORN_THREADS": "8",
            "PROMETHEUS_MULTIPROC_DIR": str(folder / "metrics"),
        }
        self._log = folder / "gunicorn.log"
        self._process: subprocess.Popen | None = None

    def start(self) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        with self._log.open("ab") as log:
            self._process = subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "--config", str(WEB_CONFIG)],
                env=self._environment, cwd=self._folder, start_new_session=True,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:  # answered by a booted worker, not only accepted by the master's socket
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.kill()
        pytest.fail(f"gunicorn did not start on {self.url}:\n{self._log.read_text()[-3000:]}")

    def kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait(10)


@pytest.fixture
def web_processes(app, redis_url: str, tmp_path: Path) -> Iterator[list[WebProcess]]:
    """Two web processes on the test's SQLite file and Redis: ``[A, B]``, A the public address
    the browser uses, B another web process behind the same (imaginary) proxy. Both started."""
    ports = [_free_port(), _free_port()]
    environment = {
        **os.environ,
        "COMMENTSVC_DATABASE_URL": str(app.config["DATABASE_URL"]),
        "COMMENTSVC_REDIS_URL": redis_url,
        "COMMENTSVC_SECRET_KEY": "live-restart-test-secret",
        "COMMENTSVC_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
        "COMMENTSVC_INSTANCE_PATH": str(tmp_path / "instance"),
        "COMMENTSVC_LIVE_KEEP_ALIVE_SECONDS": "0.5",
    }
    processes = [
        WebProcess(environment, port, tmp_path / name)
        for port, name in zip(ports, "AB", strict=True)
    ]
    try:
        for process in processes:
            process.start()
        yield processes
    finally:
        for process in processes:
            process.kill()


def _post(process: WebProcess, page_url: str, body: str) -> dict[str, Any]:
    """A guest comment through one web process's JSON API, as another reader's browser sends it."""
    answer = requests.post(
        f"{process.url}/api/sites/{DEMO_SITE}/comments",
        json={"url": page_url, "body": body, "name": "Bob"},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _revision(process: WebProcess, page_url: str) -> int:
    answer = requests.get(
        f"{process.url}/api/sites/{DEMO_SITE}/thread", params={"url": page_url}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["thread"]["revision"]


def test_the_stream_reconnects_after_the_web_process_is_killed_and_restarted_missing_nothing(
    page, serve, web_processes: list[WebProcess]
) -> None:
    served, writer = web_processes
    blog = serve(blog_app(served.url))
    ensure_demo_site([blog.url])
    db.session.commit()
    post_url = blog.url + POST
    _post(writer, post_url, "Written before the page was opened")

    opened = []  # every request for the stream: the first and each reconnect
    page.on("request", lambda r: "/thread/events?" in r.url and opened.append(r))
    page.add_init_script(COUNT_STREAMS)
    page.goto(post_url)
    shadow(page, ".cs-count").filter(has_text="1 response").wait_for()
    page.evaluate("window.sameDocument = true")  # gone if the page reloads
    page.wait_for_function("streams.length == 1 && streams[0].readyState == 1")
    # One event before the crash: the browser's Last-Event-ID moves past the ?since= in the URL.
    _post(writer, post_url, "Written while the reader watches")
    news = shadow(page, "button.cs-new")
    news.filter(has_text="1 new comment — show").wait_for(timeout=2000)
    news.press("Enter")
    shadow(page, ".cs-count").filter(has_text="2 responses").wait_for()
    before = _revision(writer, post_url)

    served.kill()
    page.wait_for_function("streams[0].readyState == 0")  # the browser saw its stream drop
    missed = "Written while the web process was down"
    _post(writer, post_url, missed)
    served.start()

    news.filter(has_text="1 new comment — show").wait_for(timeout=7000)  # retry: 3 s
    assert shadow(page, ".cs-b", has_text=missed).count() == 0  # behind the button until asked
    news.press("Enter")
    shadow(page, ".cs-list > .cs-c .cs-b", has_text=missed).wait_for()
    assert news.is_hidden()
    assert shadow(page, ".cs-b", has_text=missed).count() == 1
    assert shadow(page, ".cs-count").inner_text().startswith("3 responses")

    # The browser's own reconnect (no new stream), from the revision it had before the crash.
    assert page.evaluate("streams.length") == 1
    assert "since=" in opened[0].url
    assert str(before) in [r.all_headers().get("last-event-id") for r in opened[1:]]

    # The resumed stream is live, and nothing is offered twice.
    after = "Written after the restart"
    _post(writer, post_url, after)
    news.filter(has_text="1 new comment — show").wait_for(timeout=2000)
    news.press("Enter")
    shadow(page, ".cs-list > .cs-c .cs-b", has_text=after).wait_for()
    for body in ("Written while the reader watches", missed, after):
        assert shadow(page, ".cs-b", has_text=body).count() == 1
    assert shadow(page, ".cs-count").inner_text().startswith("4 responses")
    assert page.evaluate("window.sameDocument")
