"""Real redis-server and real `commentsvc worker` processes verifying mentions, and recovery
when a worker dies mid-job or Redis loses the queue."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import xmlrpc.client
from pathlib import Path

import pytest
import sqlalchemy as sa
from werkzeug.wrappers import Response

from commentsvc.extensions import db
from commentsvc.models import Mention, Verification
from tests.mentions.helpers import TARGET, thread_mentions, wait_for
from tests.workers.pages import link_page

pytestmark = pytest.mark.redis
COMMAND = Path(sys.executable).with_name("commentsvc")


@pytest.fixture
def app_config(app_config, redis_url):
    return {**app_config, "REDIS_URL": redis_url, "SWEEP_STALE_SECONDS": 1}


@pytest.fixture
def workers(app, tmp_path):
    """Start `commentsvc worker` processes with the app's database and Redis; killed after."""
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "COMMENTSVC_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "COMMENTSVC_REDIS_URL": app.config["REDIS_URL"],
        "COMMENTSVC_SECRET_KEY": app.config["SECRET_KEY"],
        "COMMENTSVC_PUBLIC_URL": app.config["PUBLIC_URL"],
        "COMMENTSVC_INSTANCE_PATH": str(tmp_path / "worker-instance"),
        "COMMENTSVC_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "COMMENTSVC_SWEEP_INTERVAL_SECONDS": "1",
        "COMMENTSVC_SWEEP_STALE_SECONDS": "1",
        "COMMENTSVC_FETCH_TIMEOUT_SECONDS": "20",
    }

    def start(*options: str) -> subprocess.Popen:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [str(COMMAND), "worker", *options], env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        started.append(process)
        return process

    yield start
    for process in started:
        kill_tree(process)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            child = int(stat.parent.name)
            found += [child, *_children(child)]
    return found


def kill_tree(process: subprocess.Popen) -> None:
    """SIGKILL the worker, its scheduler and its work horse (RQ gives the horse its own
    session, so a process-group kill would miss it)."""
    for pid in [process.pid, *_children(process.pid)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(10)


def mentions() -> list[Mention]:
    return list(db.session.scalars(sa.select(Mention)))


@pytest.mark.parametrize("mode", ["--fork", "--no-fork"])
def test_worker_process_verifies_a_pingback_sent_by_xmlrpc(
    app, site, pages, serve, workers, client, mode
):
    workers(mode)
    source = pages.html("/post", link_page(TARGET, title="Via the queue"))
    with xmlrpc.client.ServerProxy(f"{serve(app).url}/pingback/blog") as proxy:
        answer = proxy.pingback.ping(source, TARGET)  # answered before the worker checks
    assert "being checked" in answer
    wait_for(lambda: [m.verification for m in mentions()] == [Verification.VERIFIED], seconds=60)
    [shown] = thread_mentions(client)
    assert shown["title"] == "Via the queue"


def test_mention_survives_a_worker_killed_mid_job(app, site, pages, workers, client):
    release = threading.Event()

    def first_slow(request):
        if pages.hits("/slow") == 1:
            release.wait(30)  # the first fetch hangs until its worker is dead
        return Response(link_page(TARGET), content_type="text/html")

    source = pages.handle("/slow", first_slow)
    first = workers()
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201
    wait_for(lambda: pages.hits("/slow") == 1, seconds=60)
    kill_tree(first)
    release.set()
    workers()
    wait_for(lambda: [m.verification for m in mentions()] == [Verification.VERIFIED], seconds=60)
    assert len(thread_mentions(client)) == 1


def test_mention_pending_when_redis_is_flushed_is_found_by_the_sweep(
    app, site, pages, workers, client, redis_url
):
    from redis import Redis

    source = pages.html("/post", link_page(TARGET))
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201
    Redis.from_url(redis_url).flushall()  # the queued job is lost; the database still knows
    workers()
    wait_for(lambda: [m.verification for m in mentions()] == [Verification.VERIFIED], seconds=60)
    assert pages.hits("/post") == 1
    assert len(thread_mentions(client)) == 1


def test_worker_command_explains_that_it_needs_redis(app):
    from commentsvc.cli.worker import worker

    app.config["REDIS_URL"] = None
    result = app.test_cli_runner().invoke(worker, [])
    assert result.exit_code != 0
    assert "COMMENTSVC_REDIS_URL is not set" in result.output
