"""The production stack as real processes, to break while it works: two gunicorn web processes
(deploy/gunicorn.conf.py, ``workers = 2``) and two ``commentsvc worker`` processes on a
PostgreSQL server of this folder's own (so restarting it disturbs no other test) and the
session's redis-server, with the linking pages on a loopback HTTP server.

The schema comes from the models (as every test builds it); the processes get the settings an
operator sets, with sweeps and retries shortened so recovery fits in the test.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.services.sites import create_site
from tests.conftest import free_port
from tests.servers import HOST, pg_ctl, wait_for_port
from tests.workers.pages import pages, pages_server  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass
class FaultPostgres:
    """A throw-away server started by .ci/start-postgres: its URL and a fast restart."""

    url: str
    folder: Path

    def restart(self) -> None:
        """``pg_ctl restart --mode=fast``, as an operator or a package upgrade does it."""
        command = [pg_ctl(), "restart", f"--pgdata={self.folder / 'data'}", "--mode=fast",
                   "--silent", "--wait", f"--log={self.folder / 'postgres.log'}"]  # fmt: skip
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, cwd=self.folder, check=True, timeout=60, stdout=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def fault_postgres() -> Iterator[FaultPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="commentsvc-pg-faults."))
    started = subprocess.run(
        [str(ROOT / ".ci" / "start-postgres"), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if started.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a PostgreSQL server of its own: {started.stderr}")
    yield FaultPostgres(url=started.stdout.strip(), folder=folder)
    subprocess.run(
        [str(ROOT / ".ci" / "stop-postgres"), str(folder)], capture_output=True, timeout=60
    )


@pytest.fixture
def database_url(fault_postgres: FaultPostgres) -> str:
    """The in-test app (schema, site, final counts) talks to the folder's own server."""
    return fault_postgres.url


def children(pid: int) -> list[int]:
    """The direct children of ``pid``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _pid_of_socket(is_wanted: Callable[[int, int], bool]) -> int | None:
    """The process holding the loopback TCP socket whose (local port, remote port) pass
    ``is_wanted``, from /proc/net/tcp and the processes' fds; None while no process owns one
    (a connection still in the listen backlog has inode 0)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
        if is_wanted(local, remote) and fields[9] != "0":
            inode = fields[9]
            break
    if inode is None:
        return None
    wanted = f"socket:[{inode}]"
    for fd_folder in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in fd_folder.iterdir():
                with contextlib.suppress(OSError):
                    if str(fd.readlink()) == wanted:
                        return int(fd_folder.parent.name)
    return None


def pid_of_peer(port: int) -> int | None:
    """The process holding the loopback TCP socket whose local port is ``port``: who sent a
    request the page server is answering right now."""
    return _pid_of_socket(lambda local, _remote: local == port)


def pid_serving(server_port: int, client_port: int) -> int | None:
    """The server process holding the accepted end of the connection from ``client_port``."""
    return _pid_of_socket(lambda local, remote: (local, remote) == (server_port, client_port))


def kill9(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def kill_tree(pid: int) -> None:
    """SIGKILL a process and everything below it (RQ gives a work horse its own session)."""
    pids = [pid]
    for found in pids:
        pids.extend(children(found))
    for found in pids:
        kill9(found)


@dataclass
class Stack:
    """The running processes, and the means to start more (a supervisor restarting a worker)."""

    web_url: str
    gunicorn: subprocess.Popen
    env: dict[str, str]
    folder: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen:
        log = (self.folder / f"worker-{len(self.workers)}.log").open("wb")
        process = subprocess.Popen(
            [str(BIN / "commentsvc"), "worker"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(process)
        return process

    def web_processes(self) -> list[int]:
        return children(self.gunicorn.pid)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.folder.glob("*.log"))
        )


def service_env(folder: Path, database_url: str, redis_url: str, web_port: int) -> dict[str, str]:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("COMMENTSVC_", "GUNICORN_", "WEB_CONCURRENCY", "FORWARDED_ALLOW"))
    }
    return {
        **inherited,
        "HOME": str(folder),  # gunicorn's control socket
        "GUNICORN_BIND": f"{HOST}:{web_port}",
        "WEB_CONCURRENCY": "2",
        "COMMENTSVC_DATABASE_URL": database_url,
        "COMMENTSVC_REDIS_URL": redis_url,
        "COMMENTSVC_SECRET_KEY": "faults-test-secret-key-0123456789abcdef",
        "COMMENTSVC_PUBLIC_URL": f"http://{HOST}:{web_port}",
        "COMMENTSVC_INSTANCE_PATH": str(folder / "instance"),
        "COMMENTSVC_RATELIMIT_ENABLED": "false",
        "COMMENTSVC_MIN_FILL_IN_SECONDS": "0",
        "COMMENTSVC_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "COMMENTSVC_FETCH_TIMEOUT_SECONDS": "5",
        # Recovery in seconds, not minutes: sweep every second, a check 2 s overdue is lost,
        # and the retry back-off at a hundredth (RQ rounds each delay up to whole seconds).
        "COMMENTSVC_SWEEP_INTERVAL_SECONDS": "1",
        "COMMENTSVC_SWEEP_STALE_SECONDS": "2",
        "COMMENTSVC_JOBS_RETRY_DELAY_SCALE": "0.01",
    }


@pytest.fixture
def stack(app, fault_site, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    """gunicorn (shipped settings, two worker processes) and two RQ workers, killed after."""
    web_port = free_port()
    env = service_env(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"], redis_url, web_port)
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        gunicorn = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", str(ROOT / "deploy" / "gunicorn.conf.py")],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Stack(f"http://{HOST}:{web_port}", gunicorn, env, tmp_path)
    try:
        wait_for_port(web_port, gunicorn, log)
        running.start_worker()
        running.start_worker()
        yield running
    finally:
        for process in [gunicorn, *running.workers]:
            kill_tree(process.pid)
            process.wait(10)


@pytest.fixture
def app_config(app_config: dict[str, object], redis_url: str) -> dict[str, object]:
    return {**app_config, "REDIS_URL": redis_url}


@pytest.fixture
def fault_site(app, pages) -> Site:  # noqa: F811 - the fixture imported above
    """Site ``faults`` whose pages are on the loopback page server (title fetches stay there)."""
    split = urlsplit(pages.base)
    created = create_site("faults", [f"{split.scheme}://{split.netloc}"])
    db.session.commit()
    return created
