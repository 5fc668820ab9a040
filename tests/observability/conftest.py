"""Fixtures of the observability tests: an app whose /metrics opens to a token, a scraper that
parses what it answers, a loopback page server for mention sources, and real `commentsvc
worker` and gunicorn processes."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from tests.conftest import free_port
from tests.observability.scraping import BIN, METRICS_TOKEN, Samples, parse_samples
from tests.workers.pages import pages, pages_server  # noqa: F401 - fixtures


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    return {**app_config, "METRICS_TOKEN": METRICS_TOKEN}


@pytest.fixture
def unreachable_redis_config(app_config: dict[str, object]) -> dict[str, object]:
    """The app's settings with a Redis URL on a loopback port nobody listens on."""
    return {**app_config, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}


@pytest.fixture
def scrape(client: FlaskClient) -> Callable[[], Samples]:
    """``scrape()``: GET /metrics with the token; the samples it answered."""

    def get() -> Samples:
        response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert response.status_code == 200, response.get_data(as_text=True)
        return parse_samples(response.get_data(as_text=True))

    return get


@pytest.fixture
def sample() -> Callable[..., float]:
    """``sample(samples, name, **labels)``: one sample's value, 0 when absent."""

    def value(samples: Samples, name: str, **labels: str) -> float:
        return samples.get((name, frozenset(labels.items())), 0.0)

    return value


@pytest.fixture
def json_logging() -> Iterator[Callable[[], list[dict]]]:
    """The root logger configured as an entry point does, in JSON, into a buffer; yields
    ``lines()``, every line logged so far, parsed. Put back after."""
    from commentsvc.logs import configure_logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    buffer = io.StringIO()
    try:
        configure_logging("json")
        root.handlers[0].setStream(buffer)  # type: ignore[attr-defined]
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def _kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL a worker and whatever it forked (a work horse runs in a session of its own)."""
    pids = [process.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == process.pid:
                pids.append(int(stat.parent.name))
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)


@pytest.fixture
def run_worker(app, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """``run_worker()``: one `commentsvc worker --burst` on the app's database and Redis, with
    JSON logs; returns what it logged once the queue is empty."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")},
        "COMMENTSVC_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "COMMENTSVC_REDIS_URL": app.config["REDIS_URL"],
        "COMMENTSVC_SECRET_KEY": app.config["SECRET_KEY"],
        "COMMENTSVC_PUBLIC_URL": app.config["PUBLIC_URL"],
        "COMMENTSVC_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "COMMENTSVC_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "COMMENTSVC_LOG_FORMAT": "json",
        **({"COMMENTSVC_SMTP_URL": app.config["SMTP_URL"]} if app.config["SMTP_URL"] else {}),
    }
    started: list[subprocess.Popen] = []

    def run() -> str:
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [str(BIN / "commentsvc"), "worker", "--burst"],
                env=env, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip
            started.append(process)
            process.wait(60)
        assert process.returncode == 0, log.read_text()[-3000:]
        return log.read_text()

    yield run
    for process in started:
        if process.poll() is None:
            _kill_tree(process)
