"""The shipped events process (deploy/gunicorn-events.conf.py) killed with SIGKILL and started
again: the reader reconnects with Last-Event-ID and misses nothing written meanwhile."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.live.conftest import PAGE

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "gunicorn-events.conf.py"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(app_config: dict[str, object], port: int, tmp_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "COMMENTSVC_DATABASE_URL": str(app_config["DATABASE_URL"]),
        "COMMENTSVC_REDIS_URL": str(app_config["REDIS_URL"]),
        "COMMENTSVC_SECRET_KEY": "events-process-test-secret",
        "COMMENTSVC_PUBLIC_URL": "http://comments.test",
        "COMMENTSVC_LIVE_KEEP_ALIVE_SECONDS": "0.5",
        "EVENTS_BIND": f"127.0.0.1:{port}",
        "EVENTS_THREADS": "16",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--config", str(CONFIG)],
        env=env, cwd=tmp_path, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:  # answered by a booted worker, not only accepted by the master's socket
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the events process did not start")


def test_killed_events_process_restarts_and_the_reader_misses_nothing(
    app, app_config, site, serve, listen, post, tmp_path
):
    web = serve(app)  # the web process: writes land here, batches go out over Redis
    port = _free_port()
    events_url = f"http://127.0.0.1:{port}"
    process = _start(app_config, port, tmp_path)
    try:
        reader = listen(events_url)
        reader.next_block()
        first = post(web.url, "before the crash")
        assert reader.next_event().json()["id"] == first["id"]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
        missed = [post(web.url, text)["id"] for text in ("while down 1", "while down 2")]
        process = _start(app_config, port, tmp_path)
        again = listen(events_url, last_event_id=reader.last_event_id)
        again.next_block()
        assert [again.next_event().json()["id"] for _ in missed] == missed
        after = post(web.url, "after the restart")
        assert again.next_event().json()["id"] == after["id"]
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_a_full_events_process_answers_503_and_its_health_check_at_once(
    app, app_config, site, listen, tmp_path
):
    port = _free_port()
    events_url = f"http://127.0.0.1:{port}"
    process = _start(app_config, port, tmp_path)  # 16 threads: 14 streams, 2 kept free
    try:
        readers = [listen(events_url) for _ in range(14)]
        for reader in readers:
            assert reader.status == 200
            reader.next_block()
        refused = requests.get(f"{events_url}/api/sites/blog/thread/events",
                               params={"url": PAGE}, timeout=5)  # fmt: skip
        assert (refused.status_code, refused.headers["Retry-After"]) == (503, "30")
        started = time.monotonic()
        assert requests.get(f"{events_url}/readyz", timeout=5).ok
        assert time.monotonic() - started < 1.0
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
