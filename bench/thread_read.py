"""Thread reads, counts and posting against commentsvc under gunicorn, beside the floor.

    python bench/thread_read.py            # medians of 3 runs of 10 s per figure (~6 minutes)
    python bench/thread_read.py --quick    # 1 run of 3 s (~1 minute)
    python bench/thread_read.py --postgres # also on the server in COMMENTSVC_TEST_POSTGRES_URL

Both servers run with the shipped gunicorn settings (deploy/gunicorn.conf.py: gthread, its
default processes: one for SQLite, which runs the embedded default without Redis, two for
PostgreSQL; the floor gets as many as the service). PostgreSQL runs as production does,
with Redis for the job queue and the rate limiter's storage, on a fresh database with durable
commits (``synchronous_commit = on``). Rate limits stay on, with ceilings one client's address
never reaches (the shipped 5 a minute would refuse the sixth post), so the limiter does all
its work. Seeds threads of 10, 100 and 1,000 comments through the API, then measures with
``wrk -t1 -c16 --latency``, a new connection per request: the first page of each thread and
the counts endpoint, each
beside the floor (bench/floor_app.py under the same gunicorn, returning the very bytes the
service returned); posting with wrk and a Lua script, a new TCP connection per comment
(``Connection: close``), first one client posting sequentially, then 16 at once; following the
cursor through each whole thread; the first read after a write to the 1,000-comment thread;
gzip; and the workers' resident memory after the run. Timings are printed, never asserted:
this is a measurement, not a test.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from common import (
    HOST,
    ROOT,
    RedisServer,
    Server,
    WrkResult,
    clean_environ,
    median,
    service_env,
    wrk,
)

SITE = "bench"
ORIGIN = "https://bench.example.org"
SIZES = (10, 100, 1000)
COUNT_URLS = 10  # an index page asking for the counts of ten posts
# A new connection per read, as a reader's browser makes it (and as the issue measures): with
# keep-alive, wrk's 16 connections stay with whichever worker accepted them, and one run may
# put most of them on one of the two workers, for the service or the floor alone.
READ_HEADERS = {"Accept-Encoding": "gzip", "Connection": "close"}
FLOOR_HEADERS = ("Content-Type", "Content-Encoding", "ETag", "Cache-Control", "Vary")
# fmt: off
WORDS = (
    "comment", "thread", "reply", "cache", "server", "render", "markdown", "page", "reader",
    "widget", "origin", "latency", "python", "flask", "gunicorn", "database", "index", "query",
    "cursor", "sqlite", "postgres", "redis", "worker", "request", "response", "header", "token",
    "sanitise", "browser", "script", "style", "layout", "content", "author", "moderation",
)
# fmt: on

# The targets, printed beside the figures.
TARGET_FLOOR_RATIO = 0.8
TARGET_FIRST_READ_MS = 50.0
TARGET_POSTS_PER_SECOND = 1.5 * 258  # the Isso figure; posting_baselines.py runs Isso
TARGET_RSS_MB = 100.0
GUNICORN_SETTINGS = ROOT / "deploy" / "gunicorn.conf.py"
NO_CEILING = "1000000 per minute;10000000 per hour"  # limits on, never reached by the bench
POSTING_THREADS = 16  # posts rotate over this many fresh threads
CONCURRENT_POSTERS = 16


def thread_url(name: str) -> str:
    return f"{ORIGIN}/posts/{name}/"


def thread_path(url: str, after: str | None = None) -> str:
    path = f"/api/sites/{SITE}/thread?url={quote(url, safe='')}"
    return f"{path}&after={quote(str(after), safe='')}" if after else path


def counts_path() -> str:
    urls = [thread_url(f"size-{size}") for size in SIZES]
    urls += [thread_url(f"unknown-{n}") for n in range(COUNT_URLS - len(urls))]
    return f"/api/sites/{SITE}/counts?" + "&".join(f"url={quote(u, safe='')}" for u in urls)


# ---------------------------------------------------------------- HTTP on loopback


class Client:
    """One keep-alive-when-possible connection to a server under test."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection(HOST, port, timeout=30)

    def request(
        self,
        method: str,
        path: str,
        document: dict[str, Any] | None = None,
        *,
        gzip_ok: bool = True,
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Accept-Encoding": "gzip"} if gzip_ok else {"Accept-Encoding": "identity"}
        body = None
        if document is not None:
            body = json.dumps(document).encode()
            headers["Content-Type"] = "application/json"
        try:
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            # gunicorn closed the idle keep-alive connection (its keepalive is 5 s) before
            # this request reached it: send it again on a new one.
            self._connection.close()
            self._connection.request(method, path, body, headers)
            response = self._connection.getresponse()
        data = response.read()
        if response.getheader("Connection", "").lower() == "close":
            self._connection.close()
        return response.status, dict(response.getheaders()), data

    def json(self, method: str, path: str, document: dict[str, Any] | None = None) -> Any:
        status, headers, data = self.request(method, path, document)
        if headers.get("Content-Encoding") == "gzip":
            data = gzip.decompress(data)
        if status >= 400:
            raise RuntimeError(f"{method} {path} -> {status}: {data[:500]!r}")
        return json.loads(data)

    def post_comment(self, url: str, body: str, parent: int | None, name: str) -> dict[str, Any]:
        document = {"url": url, "body": body, "name": name, "elapsed_ms": 8000}
        if parent is not None:
            document["parent"] = parent
        posted = self.json("POST", f"/api/sites/{SITE}/comments", document)
        if posted.get("status") != "visible":
            raise RuntimeError(f"a benchmark comment was not published: {posted}")
        return posted


def markdown_body(rng: random.Random) -> str:
    """A comment as people write them: a few sentences, emphasis, a link, sometimes code."""
    sentences = []
    for _ in range(rng.randint(2, 6)):
        words = rng.choices(WORDS, k=rng.randint(6, 16))
        if rng.random() < 0.3:
            words[1] = f"**{words[1]}**"
        if rng.random() < 0.2:
            words[-2] = f"`{words[-2]}()`"
        sentences.append(" ".join(words).capitalize() + ".")
    body = " ".join(sentences)
    if rng.random() < 0.3:
        body += f"\n\nSee [the notes](https://example.org/notes/{rng.randint(1, 999)})."
    if rng.random() < 0.1:
        body += "\n\n- " + "\n- ".join(rng.choices(WORDS, k=3))
    return body


def seed_thread(client: Client, size: int) -> None:
    """``size`` comments: a quarter top-level, the rest replies nested up to three deep."""
    rng = random.Random(size)
    url = thread_url(f"size-{size}")
    depth_of: dict[int, int] = {}
    group: list[int] = []
    for n in range(size):
        parent = None
        if n % 4 and group:
            candidates = [c for c in group if depth_of[c] < 3]
            parent = rng.choice(candidates)
        posted = client.post_comment(url, markdown_body(rng), parent, f"Reader {n % 37}")
        depth_of[posted["id"]] = 0 if parent is None else depth_of[parent] + 1
        group = [posted["id"]] if parent is None else [*group, posted["id"]]


def count_comments(comments: list[dict[str, Any]]) -> int:
    return sum(1 + count_comments(c["replies"]) for c in comments)


def ids_in(comments: list[dict[str, Any]]) -> Iterator[int]:
    for comment in comments:
        yield comment["id"]
        yield from ids_in(comment["replies"])


# ---------------------------------------------------------------- measurements


@dataclass
class Figures:
    database: str
    runs: int
    seconds: float
    reads: dict[str, list[WrkResult]] = field(default_factory=dict)
    floors: dict[str, list[WrkResult]] = field(default_factory=dict)
    body_bytes: dict[str, int] = field(default_factory=dict)
    whole_thread: dict[int, tuple[float, int, int]] = field(default_factory=dict)
    posting: dict[int, list[WrkResult]] = field(default_factory=dict)  # by concurrent clients
    first_read_after_write_ms: list[float] = field(default_factory=list)
    cached_read_ms: list[float] = field(default_factory=list)
    gzip: dict[str, Any] = field(default_factory=dict)
    durability: str = ""
    seed_seconds: float = 0.0
    load_before: str = ""
    load_after: str = ""
    rss_mb: float = 0.0
    rss_at_start_mb: float = 0.0
    floor_rss_mb: float = 0.0


def capture_for_floor(client: Client, endpoints: dict[str, str], folder: Path) -> dict[str, int]:
    """Store the service's exact response bytes (gzip, as browsers ask) for the floor app."""
    folder.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for name, path in endpoints.items():
        status, headers, body = client.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} -> {status}")
        kept = {k: v for k, v in headers.items() if k in FLOOR_HEADERS}
        (folder / f"{name}.body").write_bytes(body)
        (folder / f"{name}.json").write_text(json.dumps(kept))
        sizes[name] = len(body)
    return sizes


def follow_cursor(client: Client, url: str) -> tuple[float, int, int]:
    """The whole thread through its pages: (milliseconds, requests, comments)."""
    started = time.perf_counter()
    after, pages, comments = None, 0, 0
    while True:
        page = client.json("GET", thread_path(url, after))
        pages += 1
        comments += count_comments(page["comments"])
        after = page.get("next")
        if not after:
            return (time.perf_counter() - started) * 1000, pages, comments


def posting_lua(run: int, request_lines: str) -> str:
    """wrk's Lua script posting a new comment per request on a new connection (``Connection:
    close``): ``request_lines`` build its ``body`` (and ``path``, or nil) from ``n``, the
    request's number, and ``bodies``, comments as people write them (the same for every
    ``run`` of that number, whichever app they go to)."""
    rng = random.Random(run)
    bodies = ",\n".join(f"[==[{json.dumps(markdown_body(rng))}]==]" for _ in range(50))
    return f"""
local bodies = {{{bodies}}}
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Connection"] = "close"
request = function()
  n = n + 1
  local path = nil
{request_lines}
  return wrk.format(nil, path, nil, body)
end
"""


def posting_script(folder: Path, run: int, clients: int) -> Path:
    """Each request a new comment on one of ``POSTING_THREADS`` fresh threads."""
    prefix = json.dumps(thread_url(f"posting-{run}-{clients}-{uuid.uuid4().hex[:6]}"))[:-2]
    script = folder / f"post-{run}-{clients}.lua"
    script.write_text(
        posting_lua(
            run,
            f"""
  local body = '{{"url":' .. [==[{prefix}]==] .. (n % {POSTING_THREADS}) .. '/",' ..
    '"body":' .. bodies[n % #bodies + 1] .. ',"name":"Poster ' .. (n % 11) .. '",' ..
    '"elapsed_ms":8000}}'""",
        )
    )
    return script


def post_for(service: Server, seconds: float, run: int, clients: int, folder: Path) -> WrkResult:
    """``clients`` posting at once, each waiting for its answer before the next comment."""
    script = posting_script(folder, run, clients)
    return wrk(service, f"/api/sites/{SITE}/comments", seconds, {}, clients, script=script)


def read_after_write(client: Client, repeats: int) -> tuple[list[float], list[float]]:
    """A reply lands on the 1,000-comment thread's first page, then that page is read."""
    url = thread_url("size-1000")
    first_page = client.json("GET", thread_path(url))
    target = first_page["comments"][0]["id"]
    rng = random.Random(7)
    after_write, cached = [], []
    for n in range(repeats):
        posted = client.post_comment(url, markdown_body(rng), target, f"Late reader {n}")
        started = time.perf_counter()
        page = client.json("GET", thread_path(url))
        after_write.append((time.perf_counter() - started) * 1000)
        if posted["id"] not in set(ids_in(page["comments"])):
            raise RuntimeError("the read after a write did not show the new comment")
        started = time.perf_counter()
        client.json("GET", thread_path(url))
        cached.append((time.perf_counter() - started) * 1000)
    return after_write, cached


def check_gzip(client: Client) -> dict[str, Any]:
    path = thread_path(thread_url("size-1000"))
    _, zipped_headers, zipped = client.request("GET", path, gzip_ok=True)
    _, plain_headers, plain = client.request("GET", path, gzip_ok=False)
    return {
        "gzip_encoding": zipped_headers.get("Content-Encoding"),
        "gzip_bytes": len(zipped),
        "identity_encoding": plain_headers.get("Content-Encoding"),
        "identity_bytes": len(plain),
        "same_document": gzip.decompress(zipped) == plain
        if zipped_headers.get("Content-Encoding") == "gzip"
        else False,
    }


# ---------------------------------------------------------------- one database


CLI = "from commentsvc.cli import main; main()"  # the console script, from this interpreter


def run_python(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean_environ(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"python {' '.join(args)[:80]} failed:\n{result.stderr[-3000:]}")


def prepare_service(
    work: Path, database_url: str | None
) -> tuple[RedisServer | None, dict[str, str]]:
    """A fresh work folder, the schema and the site ``bench``; with a database URL, a Redis of
    the run's own for the limiter and the queue, as production runs. Returns that Redis (to
    stop) and the service's environment: rate limits on, ceilings never reached."""
    work.mkdir(parents=True)
    redis = RedisServer(work) if database_url else None
    settings = {"redis_url": redis.url} if redis else {}
    env = service_env(work / "instance", database_url, ratelimit_enabled="true",
                      ratelimit_post=NO_CEILING, ratelimit_post_per_ip=NO_CEILING,
                      ratelimit_preview=NO_CEILING, **settings)  # fmt: skip
    run_python(env, "-c", CLI, "db", "upgrade")
    run_python(env, "-c", CLI, "site", "add", SITE, "--origin", ORIGIN)
    return redis, env


def run_database(
    database: str, database_url: str | None, work: Path, args: argparse.Namespace
) -> Figures:
    figures = Figures(database, args.runs, args.seconds, load_before=load_average())
    redis, env = prepare_service(work, database_url)
    figures.durability = durability(database_url)
    gunicorn_args = ["--config", str(GUNICORN_SETTINGS)]
    service = floor = None
    try:
        service = Server("service", "commentsvc.wsgi:app", env, gunicorn_args=gunicorn_args,
                         log_dir=work, workers=None)  # fmt: skip
        client = Client(service.port)
        client.request("GET", "/healthz")  # the worker has imported the app and served once
        figures.rss_at_start_mb = rss_per_worker(service)
        started = time.perf_counter()
        for size in SIZES:
            seed_thread(client, size)
        figures.seed_seconds = time.perf_counter() - started
        print(f"  seeded {sum(SIZES)} comments in {figures.seed_seconds:.1f} s", flush=True)

        endpoints = {f"thread-{size}": thread_path(thread_url(f"size-{size}")) for size in SIZES}
        endpoints["counts"] = counts_path()
        figures.body_bytes = capture_for_floor(client, endpoints, work / "floor")
        # As many processes as the service: the settings choose by COMMENTSVC_REDIS_URL,
        # which the floor does not have.
        floor_env = {"BENCH_FLOOR_DIR": str(work / "floor"),
                     "WEB_CONCURRENCY": str(len(service.worker_pids()))}  # fmt: skip
        floor = Server("floor", "floor_app:app", floor_env, cwd=Path(__file__).parent,
                       gunicorn_args=gunicorn_args, log_dir=work, workers=None)  # fmt: skip

        headers = READ_HEADERS
        for name, path in endpoints.items():  # warm both: caches, imports, connections
            wrk(service, path, 1, headers)
            wrk(floor, f"/{name}", 1, headers)
        for run in range(args.runs):
            for name, path in endpoints.items():
                figures.reads.setdefault(name, []).append(wrk(service, path, args.seconds, headers))
                floor_result = wrk(floor, f"/{name}", args.seconds, headers)
                figures.floors.setdefault(name, []).append(floor_result)
            for clients in (1, CONCURRENT_POSTERS):
                result = post_for(service, args.seconds, run, clients, work)
                figures.posting.setdefault(clients, []).append(result)
            print(f"  run {run + 1}/{args.runs} done", flush=True)

        for size in SIZES:
            chains = [
                follow_cursor(client, thread_url(f"size-{size}")) for _ in range(args.chain_repeats)
            ]
            ms = median([c[0] for c in chains])
            figures.whole_thread[size] = (ms, chains[0][1], chains[0][2])
        after_write, cached = read_after_write(client, args.chain_repeats)
        figures.first_read_after_write_ms = after_write
        figures.cached_read_ms = cached
        figures.gzip = check_gzip(client)
        figures.load_after = load_average()
        figures.rss_mb = rss_per_worker(service)
        figures.floor_rss_mb = rss_per_worker(floor)
    except Exception:
        print(f"service log, last lines:\n{(work / 'service.log').read_text()[-3000:]}")
        raise
    finally:
        for server in (service, floor, redis):
            if server is not None:
                server.stop()
    return figures


def rss_per_worker(server: Server) -> float:
    return server.worker_rss_mb() / max(len(server.worker_pids()), 1)


def durability(database_url: str | None) -> str:
    """What a commit waits for: the figures mean little without it."""
    if not database_url:
        return "SQLite in WAL mode, synchronous=NORMAL (the embedded default)"
    import sqlalchemy as sa

    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        fsync, synchronous = (connection.execute(sa.text(f"SHOW {name}")).scalar()
                              for name in ("fsync", "synchronous_commit"))  # fmt: skip
    engine.dispose()
    durable = "durable" if fsync == "on" and synchronous == "on" else "NOT durable"
    return f"PostgreSQL fsync={fsync}, synchronous_commit={synchronous} ({durable} commits)"


# ---------------------------------------------------------------- report


def load_average() -> str:
    """The machine's 1-minute load average: other work on the two cores lowers every figure."""
    return Path("/proc/loadavg").read_text().split()[0]


def mark(is_met: bool) -> str:
    return "ok" if is_met else "MISSED"


def report(figures: Figures) -> str:
    lines = [
        f"\n{figures.database}: gunicorn with deploy/gunicorn.conf.py (service and floor alike); "
        f"wrk -t1 -c16 -d{figures.seconds:g}s --latency, Accept-Encoding: gzip, a new "
        f"connection per request; medians of "
        f"{figures.runs} run(s); load average {figures.load_before} before, "
        f"{figures.load_after} after; {figures.durability}",
        f"{'endpoint':<15}{'bytes':>7}{'req/s':>8}{'p99 ms':>8}{'floor':>8}{'fl. p99':>8}"
        f"{'ratio':>7}{'cpu us':>8}{'fl. cpu':>8}{'cpu ratio':>10}  >= {TARGET_FLOOR_RATIO}x",
    ]
    for name, results in figures.reads.items():
        floors = figures.floors[name]
        rate = median([r.requests_per_second for r in results])
        floor_rate = median([r.requests_per_second for r in floors])
        cpu = median([r.cpu_us_per_request for r in results])
        floor_cpu = median([r.cpu_us_per_request for r in floors])
        ratio = rate / floor_rate
        clean = all(r.is_clean for r in results + floors)
        label = name.replace("thread-", "thread ") + (" p1" if name.startswith("thread") else "")
        lines.append(
            f"{label:<15}{figures.body_bytes[name]:>7}{rate:>8.0f}"
            f"{median([r.p99_ms for r in results]):>8.1f}{floor_rate:>8.0f}"
            f"{median([r.p99_ms for r in floors]):>8.1f}{ratio:>7.2f}{cpu:>8.0f}{floor_cpu:>8.0f}"
            f"{floor_cpu / cpu:>10.2f}  {mark(ratio >= TARGET_FLOOR_RATIO)}"
            + ("" if clean else "  (errors or non-2xx responses!)")
        )
    lines.append(
        "(ratio: req/s over the floor's; cpu us: the worker's CPU time per request; cpu ratio: "
        "floor's CPU per request over the service's, which other load on the machine moves less)"
    )
    for size, (ms, pages, comments) in figures.whole_thread.items():
        lines.append(
            f"whole thread {size:>4}: {pages} request(s), {comments} comments, {ms:.1f} ms "
            "(median, sequential, following the cursor)"
        )
    lines.extend(posting_lines(figures))
    first = median(figures.first_read_after_write_ms)
    lines.append(
        f"first read of the 1,000-comment thread after a write: {first:.1f} ms median, "
        f"{max(figures.first_read_after_write_ms):.1f} ms max (cached read "
        f"{median(figures.cached_read_ms):.1f} ms); target < {TARGET_FIRST_READ_MS:.0f} ms: "
        f"{mark(first < TARGET_FIRST_READ_MS)}"
    )
    zipped = figures.gzip
    lines.append(
        f"gzip: 1,000-comment first page {zipped['identity_bytes']} B plain -> "
        f"{zipped['gzip_bytes']} B with Content-Encoding: {zipped['gzip_encoding']}; "
        f"without Accept-Encoding: {zipped['identity_encoding'] or 'identity'}; same document: "
        f"{zipped['same_document']}"
    )
    lines.append(
        f"RSS per worker process after the run: {figures.rss_mb:.1f} MB "
        f"({figures.rss_at_start_mb:.1f} MB after the first requests; floor "
        f"{figures.floor_rss_mb:.1f} MB); target < {TARGET_RSS_MB:.0f} MB: "
        f"{mark(figures.rss_mb < TARGET_RSS_MB)}"
    )
    lines.append(f"seeding {sum(SIZES)} comments through the API took {figures.seed_seconds:.1f} s")
    return "\n".join(lines)


def posting_lines(figures: Figures) -> list[str]:
    """Posting: comments/s, latency and CPU by concurrent clients, and the scaling ratio."""
    lines = [
        "posting (wrk + Lua, a new connection per comment, rate limits on):",
        f"{'clients':>9}{'posts/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'cpu us':>8}  runs",
    ]
    rates = {}
    for clients, results in figures.posting.items():
        rates[clients] = median([r.requests_per_second for r in results])
        clean = all(r.is_clean for r in results)
        lines.append(
            f"{clients:>9}{rates[clients]:>9.0f}{median([r.p50_ms for r in results]):>8.1f}"
            f"{median([r.p99_ms for r in results]):>8.1f}"
            f"{median([r.cpu_us_per_request for r in results]):>8.0f}  "
            + ", ".join(f"{r.requests_per_second:.0f}" for r in results)
            + ("" if clean else "  (errors or non-2xx responses!)")
        )
    sequential = rates.get(1, float("nan"))
    lines.append(
        f"sequential target >= {TARGET_POSTS_PER_SECOND:.0f}/s (1.5x Isso): "
        f"{mark(sequential >= TARGET_POSTS_PER_SECOND)}; {CONCURRENT_POSTERS} clients / 1 "
        f"client: {rates.get(CONCURRENT_POSTERS, float('nan')) / sequential:.2f}x"
    )
    return lines


def create_postgres_database(server_url: str) -> tuple[str, str]:
    """A fresh database with durable commits (``synchronous_commit = on``), whatever the
    server's own default: a commit is on disk before a comment is acknowledged."""
    import sqlalchemy as sa

    name = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        connection.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit TO on'))
    admin.dispose()
    url = sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return name, url


def drop_postgres_database(server_url: str, name: str) -> None:
    import sqlalchemy as sa

    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 run of 3 s per figure")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0, help="wrk -d per figure")
    parser.add_argument("--postgres", action="store_true",
                        help="also run on COMMENTSVC_TEST_POSTGRES_URL's server")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.seconds = 1, 3.0
    args.chain_repeats = 3 if args.quick else 9
    postgres_server = os.environ.get("COMMENTSVC_TEST_POSTGRES_URL")
    if args.postgres and not postgres_server:
        parser.error("--postgres needs COMMENTSVC_TEST_POSTGRES_URL (see .ci/start-postgres)")

    work = Path(tempfile.mkdtemp(prefix="commentsvc-bench-"))
    reports = []
    try:
        print(f"sqlite (embedded default), work folder {work}", flush=True)
        reports.append(report(run_database("sqlite", None, work / "sqlite", args)))
        if args.postgres:
            print("postgresql", flush=True)
            name, url = create_postgres_database(postgres_server)
            try:
                reports.append(report(run_database("postgresql", url, work / "postgresql", args)))
            finally:
                drop_postgres_database(postgres_server, name)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
