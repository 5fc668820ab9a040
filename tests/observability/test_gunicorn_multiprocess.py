"""/metrics under gunicorn with two worker processes on the shipped settings file: the counts
of both processes add up whichever one answers the scrape, a previous run's files are cleared
at start, and a dead worker's gauges leave the sums while its counters stay."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import Request, urlopen

import pytest
from prometheus_client.multiprocess import MultiProcessCollector

from tests.observability.scraping import BIN, METRICS_TOKEN, parse_samples

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
BATCH = 60
ROUNDS = 30  # on a loaded machine one process can take every connection for a while


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
    with urlopen(Request(f"http://{HOST}:{port}{path}", headers=headers or {}), timeout=10) as r:
        return r.status, r.read().decode(), dict(r.headers)


def _scrape(port: int) -> dict:
    status, text, _ = _get(port, "/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert status == 200
    return parse_samples(text)


def _healthz_count(samples: dict) -> float:
    labels = frozenset({"route": "/healthz", "method": "GET", "status": "200"}.items())
    return samples.get(("commentsvc_http_requests_total", labels), 0.0)


@pytest.fixture
def gunicorn(tmp_path: Path):
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left by a previous run")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COMMENTSVC_", "PROMETHEUS"))},
        "HOME": str(tmp_path),
        "COMMENTSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'commentsvc.sqlite3'}",
        "COMMENTSVC_SECRET_KEY": "metrics-test-secret-key-0123456789abcdef",
        "COMMENTSVC_PUBLIC_URL": f"http://{HOST}:{port}",
        "COMMENTSVC_INSTANCE_PATH": str(tmp_path / "instance"),
        "COMMENTSVC_METRICS_TOKEN": METRICS_TOKEN,
        "COMMENTSVC_LOG_FORMAT": "json",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    log = tmp_path / "gunicorn.log"
    command = [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
               "--bind", f"{HOST}:{port}", "--workers", "2"]  # fmt: skip
    with log.open("w") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(port, "/readyz")
                break
            except OSError:
                assert process.poll() is None, log.read_text()[-3000:]
                assert time.monotonic() < deadline, "gunicorn did not answer within 30 s"
                time.sleep(0.1)
        yield port, metrics_dir, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(20)


def _per_process_healthz(metrics_dir: Path) -> dict[int, float]:
    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        samples = {
            (s.name, frozenset(s.labels.items())): s.value
            for family in MultiProcessCollector.merge([str(path)])
            for s in family.samples
        }
        counts[int(path.stem.split("_")[1])] = _healthz_count(samples)
    return counts


def test_two_gunicorn_workers_report_the_sum_of_both_processes_on_every_scrape(gunicorn):
    port, metrics_dir, log = gunicorn
    assert not (metrics_dir / "counter_999999.db").exists()  # cleared at start
    baseline = _healthz_count(_scrape(port))  # the readiness probe used /readyz, not /healthz
    assert baseline == 0
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        for _ in range(ROUNDS):  # until the kernel has handed connections to both processes
            statuses = list(pool.map(lambda _: _get(port, "/healthz")[0], range(BATCH)))
            assert statuses == [200] * BATCH
            sent += BATCH
            per_process = _per_process_healthz(metrics_dir)
            if len([count for count in per_process.values() if count]) == 2:
                break
    assert len([count for count in per_process.values() if count]) == 2, per_process
    assert sum(per_process.values()) == sent
    for _ in range(6):  # whichever worker answers, it reports both
        assert _healthz_count(_scrape(port)) == sent

    pool_size = ("commentsvc_db_pool_size", frozenset())
    assert _scrape(port)[pool_size] == 2 * 5  # both processes' pools, 5 each

    victim = next(pid for pid, count in per_process.items() if count)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 15
    while (metrics_dir / f"gauge_livesum_{victim}.db").exists():
        assert time.monotonic() < deadline, "child_exit did not mark the dead worker"
        time.sleep(0.1)
    assert _healthz_count(_scrape(port)) == sent  # counters of the dead process stay

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "commentsvc.access"]
    assert len([line for line in access if line["route"] == "/healthz"]) == sent
    assert all(line["request_id"] and line["status"] == 200 for line in access)
