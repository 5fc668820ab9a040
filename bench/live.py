"""1,000 open live-thread streams on the shipped deployment: memory, delivery time, reads.

    python bench/live.py                          # 1,000 streams, 20 posts, reads for 10 s
    python bench/live.py --streams 200 --quick    # a smaller, shorter run
    COMMENTSVC_TEST_POSTGRES_URL=... python bench/live.py   # on a fresh PostgreSQL database
    python bench/live.py --through-proxy          # readers and streams through the shipped nginx

The processes deploy/compose.yaml runs, on 127.0.0.1, without containers: the web process
(gunicorn with deploy/gunicorn.conf.py), the events process (gunicorn with
deploy/gunicorn-events.conf.py: one gthread worker of ``EVENTS_THREADS`` threads, or
``--events-threads``), a redis-server of its own (the bus and the event logs), and PostgreSQL
(a fresh database on COMMENTSVC_TEST_POSTGRES_URL's server; SQLite without it). The readers
talk to the two gunicorns directly, as nginx would pass them on; with ``--through-proxy`` they
talk to nginx with the shipped configuration (deploy/nginx) in front of both, its thread-read
cache on and the service set up for it as compose sets it (``THREAD_STATE_SECONDS=0``, one
proxy), and the streams come from many loopback addresses (127.0.x.y), ``STREAMS_PER_ADDRESS``
each, as readers on many machines would: nginx's per-client limits apply to each.

1. A thread of 100 comments, posted through the API.
2. Thread reads without streams: ``wrk -t1 -c16 --latency`` on its first page (gzip), each
   on a new connection.
3. ``--streams`` readers open the page's event stream: raw sockets read by one thread with
   epoll, so the readers cost the machine little next to the servers.
4. Thread reads again, with the streams open.
5. ``--posts`` comments posted one after another to the page; for each, the time from sending
   the post to the last of the readers receiving its ``comment`` event.
6. The resident memory of the web and events workers, before and with the streams.
7. The streams closed, thread reads once more: "without" is the mean of steps 2 and 7, so a
   drift of the machine's other load during the run weighs on both sides alike.

Timings are printed, never asserted: this is a measurement, not a test. Targets (issue 14):
p95 of the time to reach every stream under 1 s, reads with the streams within 10 % of the
reads without.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import secrets
import selectors
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from common import HOST, ROOT, Nginx, RedisServer, Server, WrkResult, service_env, wrk
from thread_read import (
    ORIGIN,
    SITE,
    Client,
    create_postgres_database,
    drop_postgres_database,
    seed_thread,
    thread_path,
    thread_url,
)

SIZE = 100  # comments in the thread that is read and watched
DEPLOY = ROOT / "deploy"
# A new connection per read, as a reader's browser makes it: with keep-alive, wrk's 16
# connections stay with whichever gunicorn worker accepted them, and one run can put all 16
# on one of the two workers (half the throughput, whatever the streams do).
READ_HEADERS = {"Accept-Encoding": "gzip", "Connection": "close"}
TARGET_P95_SECONDS = 1.0
TARGET_READ_RATIO = 0.9
OPEN_SECONDS = 60.0  # every stream has its first bytes within this
DELIVERY_SECONDS = 10.0  # a post that has not reached every stream by then counts as missed
TOKEN = re.compile(rb"livebench(\d+)x")
STREAMS_PER_ADDRESS = 15  # under nginx's 16 open streams per client address


# ---------------------------------------------------------------- the readers


class Streams:
    """``count`` open event streams on raw sockets, all read by one thread with epoll.

    Each post carries a token (``livebench<N>x``); the reader notes when each stream first
    sees each token. The last 32 bytes of a stream's previous read are searched again with the
    next, so a token split over two reads is still found (and found once).
    """

    def __init__(self, port: int, path: str, count: int, *, spread: bool = False) -> None:
        self._selector = selectors.DefaultSelector()
        self._tails: dict[socket.socket, bytes] = {}
        self._found: dict[socket.socket, set[int]] = {}
        self.arrivals: dict[int, list[float]] = {}
        self.opened = 0
        self.refused = 0
        self.closed = 0
        self._stop = threading.Event()
        request = (f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                   "Accept: text/event-stream\r\n\r\n").encode()  # fmt: skip
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        for number in range(count):
            sock = socket.create_connection(
                (HOST, port), timeout=10, source_address=source_address(number) if spread else None
            )
            sock.sendall(request)
            sock.setblocking(False)
            self._tails[sock] = b""
            self._found[sock] = set()
            self._selector.register(sock, selectors.EVENT_READ)

    def wait_open(self, count: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.opened + self.refused < count and time.monotonic() < deadline:
            time.sleep(0.05)

    def _read(self) -> None:
        # epoll takes registrations from the opening thread while this one waits in it.
        while not self._stop.is_set():
            ready = self._selector.select(timeout=0.05)
            now = time.perf_counter()
            for key, _ in ready:
                self._take(key.fileobj, now)

    def _take(self, sock: socket.socket, now: float) -> None:
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._selector.unregister(sock)
            sock.close()
            self.closed += 1
            return
        tail = self._tails[sock]
        if tail == b"":  # the response's first bytes: its status line
            if data.startswith(b"HTTP/1.1 200 "):
                self.opened += 1
            else:
                self.refused += 1
        text = tail + data
        found = self._found[sock]
        for match in TOKEN.finditer(text):
            number = int(match.group(1))
            if number not in found:
                found.add(number)
                self.arrivals.setdefault(number, []).append(now)
        self._tails[sock] = text[-32:] or b" "

    def reached(self, number: int) -> int:
        return len(self.arrivals.get(number, ()))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for sock in list(self._tails):
            sock.close()
        self._selector.close()


def source_address(number: int) -> tuple[str, int]:
    """The loopback address stream ``number`` comes from (127.0.0.0/8 is all loopback)."""
    client = number // STREAMS_PER_ADDRESS
    return (f"127.0.{1 + client // 250}.{1 + client % 250}", 0)


# ---------------------------------------------------------------- the run


@dataclass
class Figures:
    database: str
    streams: int
    events_threads: int
    through_proxy: bool
    opened: int = 0
    refused: int = 0
    open_seconds: float = float("nan")
    reads_without: WrkResult | None = None
    reads_after: WrkResult | None = None  # the streams closed again
    events_cpu_reading: float = float("nan")  # the events worker's CPU seconds, reads with
    reads_with: WrkResult | None = None
    rss_before: dict[str, str] = field(default_factory=dict)
    rss_with: dict[str, str] = field(default_factory=dict)
    reach_all: list[float] = field(default_factory=list)  # seconds, per post
    reach_each: list[float] = field(default_factory=list)  # seconds, per delivery
    post_seconds: list[float] = field(default_factory=list)
    missed_posts: int = 0
    load_before: str = ""
    load_after: str = ""


def prepare(database_url: str, instance: Path) -> None:
    """The schema from the models (stamped as migrated, as the tests build it) and the site."""
    from flask_migrate import stamp

    from commentsvc import create_app
    from commentsvc.extensions import db
    from commentsvc.services.sites import create_site

    settings = {"SECRET_KEY": secrets.token_urlsafe(32), "DATABASE_URL": database_url,
                "PUBLIC_URL": "http://127.0.0.1", "INSTANCE_PATH": str(instance)}  # fmt: skip
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        stamp()
        create_site(SITE, [ORIGIN])
        db.session.commit()
        db.engine.dispose()


def rss_mb(server: Server) -> str:
    """The workers' resident memory, summed, and how many they are."""
    count = len(server.worker_pids())
    return f"{server.worker_rss_mb():.0f} MiB ({count} worker{'s' if count != 1 else ''})"


def rss_all(web: Server, events: Server, nginx: Nginx | None) -> dict[str, str]:
    rss = {"web": rss_mb(web), "events": rss_mb(events)}
    if nginx is not None:
        rss["nginx"] = f"{nginx.rss_mb():.0f} MiB (master and 1 worker)"
    return rss


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def post_and_time(client: Client, streams: Streams, count: int, number: int,
                  figures: Figures) -> None:  # fmt: skip
    url = thread_url(f"size-{SIZE}")
    sent = time.perf_counter()
    client.post_comment(url, f"A live reader sees livebench{number}x at once.", None, "Poster")
    figures.post_seconds.append(time.perf_counter() - sent)
    deadline = time.monotonic() + DELIVERY_SECONDS
    while streams.reached(number) < count and time.monotonic() < deadline:
        time.sleep(0.002)
    arrivals = list(streams.arrivals.get(number, ()))
    if len(arrivals) < count:
        figures.missed_posts += 1
        return
    figures.reach_all.append(max(arrivals) - sent)
    figures.reach_each.extend(moment - sent for moment in arrivals)


def measure(database_url: str, work: Path, args: argparse.Namespace) -> Figures:
    figures = Figures(
        "postgresql" if database_url.startswith("postgresql") else "sqlite",
        args.streams,
        args.events_threads,
        args.through_proxy,
    )
    redis = RedisServer(work)
    web = events = streams = nginx = None
    try:
        instance = work / "instance"
        prepare(database_url, instance)
        behind_proxy = {"thread_state_seconds": "0", "proxy_count": "1"}
        settings = behind_proxy if args.through_proxy else {}
        env = service_env(instance, database_url, redis_url=redis.url, **settings)
        env["COMMENTSVC_DATABASE_URL"] = database_url
        web = Server("web", "commentsvc.wsgi:app", env, workers=None, log_dir=work,
                     gunicorn_args=["--config", str(DEPLOY / "gunicorn.conf.py")])  # fmt: skip
        events_env = {**env, "EVENTS_THREADS": str(args.events_threads)}
        events_settings = ["--config", str(DEPLOY / "gunicorn-events.conf.py")]
        events = Server("events", "commentsvc.wsgi:app", events_env, workers=None, log_dir=work,
                        gunicorn_args=events_settings)  # fmt: skip
        front_port, base_url = events.port, None
        if args.through_proxy:
            connections = 2 * args.streams + 1024  # each stream: a client and an upstream side
            nginx = Nginx(web.port, work / "nginx", events_port=events.port,
                          worker_connections=connections)  # fmt: skip
            front_port, base_url = nginx.port, nginx.url
        client = Client(web.port)
        seed_thread(client, SIZE)
        path = thread_path(thread_url(f"size-{SIZE}"))

        def read(seconds: float) -> WrkResult:
            return wrk(web, path, seconds, READ_HEADERS, base_url=base_url)

        read(2)  # warm: imports, caches, connections
        figures.load_before = Path("/proc/loadavg").read_text().split()[0]
        figures.reads_without = read(args.seconds)
        figures.rss_before = rss_all(web, events, nginx)

        events_path = (f"/api/sites/{SITE}/thread/events?url="
                       f"{quote(thread_url(f'size-{SIZE}'), safe='')}")  # fmt: skip
        started = time.perf_counter()
        streams = Streams(front_port, events_path, args.streams, spread=args.through_proxy)
        streams.wait_open(args.streams, OPEN_SECONDS)
        figures.open_seconds = time.perf_counter() - started
        figures.opened, figures.refused = streams.opened, streams.refused
        time.sleep(1.0)  # settle: every stream is waiting on its queue

        cpu_before = events.worker_cpu_seconds()
        figures.reads_with = read(args.seconds)
        figures.events_cpu_reading = events.worker_cpu_seconds() - cpu_before
        for number in range(args.posts):
            post_and_time(client, streams, figures.opened, number, figures)
            time.sleep(args.pause)
        figures.rss_with = rss_all(web, events, nginx)
        streams.close()
        streams = None
        time.sleep(1.0)  # the events process notices the readers left
        figures.reads_after = read(args.seconds)
        figures.load_after = Path("/proc/loadavg").read_text().split()[0]
        return figures
    except Exception:
        for name in ("web", "events"):
            log = work / f"{name}.log"
            if log.exists():
                print(f"{name} log, last lines:\n{log.read_text()[-3000:]}")
        raise
    finally:
        if streams is not None:
            streams.close()
        if nginx is not None:
            nginx.stop()
        for server in (events, web):
            if server is not None:
                server.stop()
        redis.stop()


# ---------------------------------------------------------------- report


def mark(is_met: bool) -> str:
    return "ok" if is_met else "MISSED"


def report(figures: Figures, seconds: float) -> str:
    lines = [
        f"\n{figures.database}: web (deploy/gunicorn.conf.py) + events "
        f"(deploy/gunicorn-events.conf.py, gthread, {figures.events_threads} threads) + Redis"
        f"{'; all through nginx (deploy/nginx, its cache on)' if figures.through_proxy else ''}; "
        f"load average {figures.load_before} before, {figures.load_after} after",
        f"streams open          {figures.opened} of {figures.streams} in "
        f"{figures.open_seconds:.1f} s ({figures.refused} refused)",
    ]
    for name in figures.rss_before:
        lines.append(
            f"RSS {name:<7}           {figures.rss_before.get(name)} idle, "
            f"{figures.rss_with.get(name)} with the streams"
        )
    posts = len(figures.reach_all)
    p50, p95 = quantile(figures.reach_all, 0.50), quantile(figures.reach_all, 0.95)
    lines.append(
        f"to reach all streams  p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms over {posts} "
        f"posts ({figures.missed_posts} missed)  target p95 < {TARGET_P95_SECONDS:g} s: "
        f"{mark(p95 < TARGET_P95_SECONDS and not figures.missed_posts)}"
    )
    lines.append(
        f"each delivery         p50 {quantile(figures.reach_each, 0.5) * 1000:.0f} ms, "
        f"p95 {quantile(figures.reach_each, 0.95) * 1000:.0f} ms; the post itself answered in "
        f"{statistics.median(figures.post_seconds or [float('nan')]) * 1000:.0f} ms (median)"
    )
    before, with_, after = figures.reads_without, figures.reads_with, figures.reads_after
    if before and with_ and after:
        without = (before.requests_per_second + after.requests_per_second) / 2
        ratio = with_.requests_per_second / without
        errors = before.errors + after.errors
        lines.append(
            f"thread reads          {without:.0f} req/s without ({before.requests_per_second:.0f}"
            f" before, {after.requests_per_second:.0f} after), {with_.requests_per_second:.0f} "
            f"with: {ratio:.2f}x  target >= {TARGET_READ_RATIO:g}x: "
            f"{mark(ratio >= TARGET_READ_RATIO)}"
        )
        lines.append(
            f"                      p99 {before.p99_ms:.1f} / {with_.p99_ms:.1f} / "
            f"{after.p99_ms:.1f} ms (before / with / after); errors {errors} without, "
            f"{with_.errors} with"
        )
        lines.append(
            f"                      the events worker used {figures.events_cpu_reading:.2f} CPU "
            f"seconds in the {seconds:g} s of reads with the streams open"
        )
    lines.append(f"(wrk -t1 -c16 -d{seconds:g}s on the {SIZE}-comment thread's first page, gzip)")
    return "\n".join(lines)


def raise_open_files(streams: int) -> None:
    """Every stream is a socket in this process and one in the events process (inherited)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = streams * 2 + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between posts")
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk -d per read figure")
    parser.add_argument("--quick", action="store_true", help="3 s per read figure")
    parser.add_argument("--events-threads", type=int,
                        default=int(os.environ.get("EVENTS_THREADS", "1200")))  # fmt: skip
    parser.add_argument("--through-proxy", action="store_true",
                        help="readers and streams through the shipped nginx")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 3.0
    raise_open_files(args.streams)
    postgres_server = os.environ.get("COMMENTSVC_TEST_POSTGRES_URL")
    work = Path(tempfile.mkdtemp(prefix="commentsvc-bench-live-"))
    created = None
    try:
        if postgres_server:
            created, database_url = create_postgres_database(postgres_server)
        else:
            database_url = f"sqlite:///{work / 'bench.sqlite3'}"
        print(f"work folder {work}", flush=True)
        print(report(measure(database_url, work, args), args.seconds))
    finally:
        if created is not None:
            drop_postgres_database(postgres_server, created)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
