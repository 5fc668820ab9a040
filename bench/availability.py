"""Thread-read latency on the shipped production stack, quiet and under slow traffic.

    python bench/availability.py                 # 10 s per scenario (~1.5 minutes)
    python bench/availability.py --quick         # 3 s per scenario
    COMMENTSVC_TEST_POSTGRES_URL=... python bench/availability.py   # on a fresh PostgreSQL database

The stack is the one deploy/compose.yaml runs, on 127.0.0.1: nginx with
deploy/nginx/commentsvc.conf.template in front of gunicorn with deploy/gunicorn.conf.py (its
worker processes and threads), an RQ worker (``commentsvc worker``) on a redis-server of its
own, and SQLite or PostgreSQL. A thread of 100 comments is read through nginx by
``wrk -t1 -c16 --latency`` with ``Connection: close`` (a new connection per request):

  quiet             nothing else going on
  slow pingbacks    20 pingbacks in flight at all times, whose source pages answer after 8 s
  slow headers      50 connections to nginx sending a header byte every 2 s
  gunicorn direct   for contrast: the same 50 connections against gunicorn with no nginx

and p50 / p99 are printed beside the quiet p50 (the target: p50 within 2x of quiet). Timings
are printed, never asserted: this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import xmlrpc.client
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import (
    HOST,
    ROOT,
    Nginx,
    Server,
    WrkResult,
    clean_environ,
    free_port,
    median,
    service_env,
    stop_process,
    wait_port,
    wrk,
)
from thread_read import (
    CLI,
    ORIGIN,
    SITE,
    Client,
    create_postgres_database,
    drop_postgres_database,
    run_python,
    seed_thread,
    thread_path,
    thread_url,
)

SIZE = 100  # comments in the thread that is read
SLOW_PINGBACKS = 20
SLOW_PAGE_SECONDS = 8.0  # under the fetcher's 10 s deadline: each check ends, slowly
SLOW_HEADER_CONNECTIONS = 50
HEADER_BYTE_INTERVAL = 2.0
TARGET_P50_RATIO = 2.0
DEPLOY = ROOT / "deploy"
HEADERS = {"Accept-Encoding": "gzip", "Connection": "close"}


# ---------------------------------------------------------------- the stack


def start_background(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env={**clean_environ(), **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


# ---------------------------------------------------------------- slow traffic


class SlowPages:
    """A loopback server whose pages link to the thread, after ``SLOW_PAGE_SECONDS``."""

    def __init__(self, target: str) -> None:
        stopping = self._stopping = threading.Event()
        self._served: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        served = self.served

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stopping.wait(SLOW_PAGE_SECONDS)
                body = f'<html><body><p>See <a href="{target}">this</a>.</p></body></html>'
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body.encode())))
                self.end_headers()
                self.wfile.write(body.encode())
                served(self.path).set()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://{HOST}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def served(self, path: str) -> threading.Event:
        """Set once the page at ``path`` has been served: its check has fetched it."""
        with self._lock:
            return self._served.setdefault(path, threading.Event())

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()


@dataclass
class PingbackLoad:
    """``count`` pingbacks in flight: each sender sends one, waits until its check has
    fetched the slow source page, then sends the next, whatever the endpoint does meanwhile
    (answer at once, or wait for the check)."""

    port: int
    pages: SlowPages
    target: str
    count: int
    seconds: list[float] = field(default_factory=list)
    failures: int = 0
    checked: int = 0

    def __post_init__(self) -> None:
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._send_until_stopped, daemon=True)
                         for _ in range(self.count)]  # fmt: skip
        for thread in self._threads:
            thread.start()

    def _send_until_stopped(self) -> None:
        while not self._stopped.is_set():
            path = f"/posts/{uuid.uuid4().hex}"
            source = self.pages.url + path
            body = xmlrpc.client.dumps((source, self.target), "pingback.ping").encode()
            started = time.perf_counter()
            connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
            try:
                connection.request("POST", f"/pingback/{SITE}", body,
                                   {"Content-Type": "text/xml"})  # fmt: skip
                response = connection.getresponse()
                response.read()
                is_answered = response.status == 200
            except OSError:
                is_answered = False
            finally:
                connection.close()
            with self._lock:
                if is_answered:
                    self.seconds.append(time.perf_counter() - started)
                else:
                    self.failures += 1
            fetched = self.pages.served(path)
            while not (fetched.wait(0.2) or self._stopped.is_set()):
                pass
            if fetched.is_set():
                with self._lock:
                    self.checked += 1

    def stop(self) -> None:
        self._stopped.set()
        for thread in self._threads:
            thread.join(60)


class SlowHeaders:
    """``count`` connections sending a request header one byte every ``HEADER_BYTE_INTERVAL``
    seconds; one the server dropped is opened again, so ``count`` are always hanging."""

    REQUEST = b"GET /healthz HTTP/1.1\r\nHost: slow.example\r\nX-Padding: " + b"x" * 4000

    def __init__(self, port: int, count: int) -> None:
        self._port = port
        self._sockets = [self._open() for _ in range(count)]
        self._offsets = [0] * count
        self.reopened = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._dribble, daemon=True)
        self._thread.start()

    def _open(self) -> socket.socket:
        return socket.create_connection((HOST, self._port), timeout=5)

    def _dribble(self) -> None:
        while True:
            for n, sock in enumerate(self._sockets):
                try:
                    sock.send(self.REQUEST[self._offsets[n] : self._offsets[n] + 1])
                    self._offsets[n] = (self._offsets[n] + 1) % len(self.REQUEST)
                except OSError:
                    sock.close()
                    self._sockets[n], self._offsets[n] = self._open(), 0
                    self.reopened += 1
            if self._stopped.wait(HEADER_BYTE_INTERVAL):
                return

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(10)
        for sock in self._sockets:
            sock.close()


# ---------------------------------------------------------------- measurement


@dataclass
class Scenario:
    name: str
    result: WrkResult | None
    note: str = ""


def read_latency(service: Server, base_url: str, path: str, seconds: float) -> WrkResult | None:
    try:
        result = wrk(service, path, seconds, HEADERS, base_url=base_url)
    except (subprocess.CalledProcessError, ValueError):
        return None
    return result if result.requests else None  # wrk finished no request at all


def measure(database_url: str | None, work: Path, seconds: float) -> list[Scenario]:
    redis_port = free_port()
    processes = [start_background(
        ["redis-server", "--port", str(redis_port), "--bind", HOST, "--save", ""], {},
        work / "redis.log")]  # fmt: skip
    service = nginx = pages = None
    try:
        wait_port(redis_port, processes[0])
        env = service_env(
            work / "instance",
            database_url,
            redis_url=f"redis://{HOST}:{redis_port}/0",
            fetch_allow_networks="127.0.0.0/8",
            proxy_count="1",
        )
        run_python(env, "-c", CLI, "db", "upgrade")
        run_python(env, "-c", CLI, "site", "add", SITE, "--origin", ORIGIN)
        processes.append(start_background([sys.executable, "-c", CLI, "worker"], env,
                                          work / "worker.log"))  # fmt: skip
        settings = ["--config", str(DEPLOY / "gunicorn.conf.py")]
        service = Server("service", "commentsvc.wsgi:app", env, gunicorn_args=settings,
                         workers=None, log_dir=work)  # fmt: skip
        nginx = Nginx(service.port, work / "nginx")
        client = Client(service.port)
        seed_thread(client, SIZE)
        target = thread_url(f"size-{SIZE}")
        path = thread_path(target)
        read_latency(service, nginx.url, path, 1)  # warm: imports, caches, connections

        scenarios = [Scenario("quiet", read_latency(service, nginx.url, path, seconds))]

        pages = SlowPages(target)
        load = PingbackLoad(nginx.port, pages, target, SLOW_PINGBACKS)
        time.sleep(1.0)  # every sender has a pingback in flight
        result = read_latency(service, nginx.url, path, seconds)
        load.stop()
        waits = sorted(load.seconds)
        scenarios.append(Scenario(
            f"{SLOW_PINGBACKS} slow pingbacks", result,
            f"{len(waits)} pingbacks answered in {median(waits):.2f} s (median), "
            f"{load.failures} failed; {load.checked} checks done"))  # fmt: skip

        slow = SlowHeaders(nginx.port, SLOW_HEADER_CONNECTIONS)
        time.sleep(HEADER_BYTE_INTERVAL + 0.5)
        result = read_latency(service, nginx.url, path, seconds)
        slow.stop()
        scenarios.append(Scenario(f"{SLOW_HEADER_CONNECTIONS} slow headers", result,
                                  f"{slow.reopened} dropped by nginx and reopened"))  # fmt: skip

        slow = SlowHeaders(service.port, SLOW_HEADER_CONNECTIONS)
        time.sleep(HEADER_BYTE_INTERVAL + 0.5)
        result = read_latency(service, service.url, path, seconds)
        slow.stop()
        scenarios.append(Scenario("  gunicorn direct", result,
                                  "no nginx: for contrast, not a deployment"))  # fmt: skip
        return scenarios
    except Exception:
        print(f"service log, last lines:\n{(work / 'service.log').read_text()[-3000:]}")
        raise
    finally:
        for server in (pages, nginx, service):
            if server is not None:
                server.stop()
        for process in reversed(processes):
            stop_process(process)


def report(database: str, scenarios: list[Scenario], seconds: float) -> str:
    quiet = scenarios[0].result
    quiet_p50 = quiet.p50_ms if quiet else float("nan")
    lines = [
        f"\n{database}: nginx + gunicorn (deploy/gunicorn.conf.py) + RQ worker; thread of {SIZE} "
        f"comments, first page; wrk -t1 -c16 -d{seconds:g}s, new connection per request; "
        f"load average {Path('/proc/loadavg').read_text().split()[0]}",
        f"{'scenario':<22}{'answered':>9}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
        f"{'p50/quiet':>11}  <= {TARGET_P50_RATIO:g}x",
    ]
    for scenario in scenarios:
        result = scenario.result
        if result is None:
            lines.append(f"{scenario.name:<22}{'no request answered':>45}  {scenario.note}")
            continue
        ratio = result.p50_ms / quiet_p50
        mark = "ok" if ratio <= TARGET_P50_RATIO else "MISSED"
        if scenario.name.startswith(" "):
            mark = ""
        lines.append(
            f"{scenario.name:<22}{result.requests:>9}{result.requests_per_second:>8.0f}"
            f"{result.p50_ms:>9.1f}"
            f"{result.p99_ms:>9.1f}{result.errors:>8}{ratio:>11.2f}  {mark:<6} {scenario.note}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per scenario")
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk -d per scenario")
    parser.add_argument("--database-url", help="an existing database (default: SQLite, or a "
                        "fresh one on COMMENTSVC_TEST_POSTGRES_URL's server)")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    postgres_server = os.environ.get("COMMENTSVC_TEST_POSTGRES_URL")
    work = Path(tempfile.mkdtemp(prefix="commentsvc-bench-availability-"))
    created = None
    try:
        database_url = args.database_url
        if database_url is None and postgres_server:
            created, database_url = create_postgres_database(postgres_server)
        database = "sqlite" if database_url is None else "postgresql"
        print(f"{database}, work folder {work}", flush=True)
        print(report(database, measure(database_url, work, seconds), seconds))
    finally:
        if created is not None:
            drop_postgres_database(postgres_server, created)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
