"""Where one request's time goes: a thread read, a counts read and a post, inside the real app.

    python bench/profile_request.py                   # SQLite, Redis for jobs and rate limits
    python bench/profile_request.py --postgres        # on COMMENTSVC_TEST_POSTGRES_URL's server
    python bench/profile_request.py --top 20          # also cProfile's 20 costliest functions

The app is built as production runs it: ``create_app`` with an RQ queue and the rate limiter's
storage on a redis-server of its own, rate limits on (with ceilings no request here reaches,
so the limiter does all its work and refuses nothing), a secret key and a public URL. A
100-comment thread is seeded through the API; then each request goes through the whole WSGI
stack (werkzeug's test client: Flask dispatch, every hook, the session, CORS with an
``Origin`` header, gzip) many times after a warm-up.

Time accounting: the entry points of each group are wrapped with a timer that charges the
time since the last mark to the group on top of a stack, so every microsecond lands in
exactly one group (the innermost): the DB group holds the SQLAlchemy session's work (query
building, round trips, rows) wherever it was called from, serialisation holds JSON and gzip,
and so on. "Flask dispatch" is what is left inside the WSGI call: request and context set-up,
routing, building the response. Queries are counted by a SQLAlchemy ``before_cursor_execute``
listener, Redis round trips by wrapping redis-py's ``send_packed_command`` (a pipeline is
one). The figures are wall-clock per request on one thread; the HTTP server's own work
(gunicorn parsing the request, writing the response, its access log) is outside, as it is in
the floor's.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gzip
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from common import RedisServer

SITE = "bench"
ORIGIN = "https://bench.example.org"
THREAD = f"{ORIGIN}/posts/profiled/"
NO_CEILING = "1000000 per minute;10000000 per hour"  # limits on, never reached here

DISPATCH = "Flask dispatch (contexts, routing, response)"
METRICS = "metrics and request log"
CLIENT = "the test client (outside the app)"
GROUPS = (
    DISPATCH,
    "hooks (NUL guard, CSRF)",
    "view and service code",
    "CORS",
    "session",
    "limiter",
    "token check",
    "DB (SQLAlchemy session, queries)",
    "serialisation (JSON, gzip)",
    "Markdown rendering",
    "spam policy",
    "enqueueing (RQ)",
    METRICS,
)
# Hooks the app registers, grouped by the module that defines them.
HOOK_GROUPS = {
    "commentsvc.cors": "CORS",
    "flask_limiter": "limiter",
    "commentsvc.auth.tokens": "token check",
    "commentsvc.database": "DB (SQLAlchemy session, queries)",
    "flask_sqlalchemy": "DB (SQLAlchemy session, queries)",
    "commentsvc.request_log": METRICS,
    "commentsvc.metrics": METRICS,
}


class Accountant:
    """Charges elapsed time to the group on top of a stack (one thread: the test client's)."""

    def __init__(self) -> None:
        self.ms: dict[str, float] = defaultdict(float)
        self.queries = 0
        self.redis_trips = 0
        self._stack: list[str] = []
        self._mark = 0.0

    def _charge(self) -> None:
        now = time.perf_counter()
        if self._stack:
            self.ms[self._stack[-1]] += (now - self._mark) * 1000
        self._mark = now

    @contextmanager
    def group(self, name: str) -> Iterator[None]:
        self._charge()
        self._stack.append(name)
        try:
            yield
        finally:
            self._charge()
            self._stack.pop()

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.group(name):
                return function(*args, **kwargs)

        return timed

    def reset(self) -> None:
        self.ms.clear()
        self.queries = 0
        self.redis_trips = 0


def instrument(app, accountant: Accountant) -> None:
    """Wrap the groups' entry points (hooks, views, the session interface, the services)."""
    import sqlalchemy as sa
    from flask.json.provider import DefaultJSONProvider

    import commentsvc.api.comments as comment_views
    import commentsvc.api.threads as thread_views
    import commentsvc.services.comments as comment_services
    from commentsvc.auth import tokens
    from commentsvc.extensions import db
    from commentsvc.services import thread_cache, thread_view

    wrap = accountant.wrap
    for hooks in (app.before_request_funcs, app.after_request_funcs):
        for key, functions in hooks.items():
            hooks[key] = [wrap(_hook_group(f), f) for f in functions]
    for key, functions in app.teardown_request_funcs.items():
        app.teardown_request_funcs[key] = [wrap(_hook_group(f), f) for f in functions]
    app.teardown_appcontext_funcs[:] = [
        wrap(_hook_group(f), f) for f in app.teardown_appcontext_funcs
    ]
    for endpoint, view in list(app.view_functions.items()):
        app.view_functions[endpoint] = wrap("view and service code", view)
    interface = app.session_interface
    interface.open_session = wrap("session", interface.open_session)
    interface.save_session = wrap("session", interface.save_session)
    limiter = app.extensions["limiter"]
    for instance in limiter:
        instance._check_request_limit = wrap("limiter", instance._check_request_limit)
    for name in ("execute", "scalar", "scalars", "get", "flush", "commit", "close", "rollback"):
        setattr(sa.orm.Session, name, wrap(DB_GROUP, getattr(sa.orm.Session, name)))
    comment_views.current_account = wrap("token check", tokens.current_account)
    comment_views.render_markdown = wrap("Markdown rendering", comment_views.render_markdown)
    comment_views.enqueue = wrap("enqueueing (RQ)", comment_views.enqueue)
    comment_services.assess = wrap("spam policy", comment_services.assess)
    thread_views.thread_view = _Serialising(thread_view, accountant)
    thread_cache.RenderedPage.gzipped = wrap("serialisation (JSON, gzip)",
                                             thread_cache.RenderedPage.gzipped)  # fmt: skip
    _instrument_metrics(accountant)
    DefaultJSONProvider.response = wrap("serialisation (JSON, gzip)",
                                        DefaultJSONProvider.response)  # fmt: skip

    def count(*_: Any) -> None:
        accountant.queries += 1

    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    _count_redis_trips(accountant)


DB_GROUP = "DB (SQLAlchemy session, queries)"


def _count_redis_trips(accountant: Accountant) -> None:
    """Every command (or pipeline) sent to Redis is one round trip: the limiter's counters,
    its header reads, RQ's enqueueing."""
    from redis.connection import AbstractConnection

    send = AbstractConnection.send_packed_command

    @functools.wraps(send)
    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        accountant.redis_trips += 1
        return send(self, *args, **kwargs)

    AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]


def _instrument_metrics(accountant: Accountant) -> None:
    """Prometheus counters, gauges and histograms, wherever they are updated from."""
    try:
        from prometheus_client import metrics
    except ImportError:  # an app without metrics: nothing to time
        return
    for kind, names in ((metrics.Counter, ("inc",)), (metrics.Gauge, ("inc", "dec", "set")),
                        (metrics.Histogram, ("observe",))):  # fmt: skip
        for name in names:
            setattr(kind, name, accountant.wrap(METRICS, getattr(kind, name)))


def _hook_group(function: Callable[..., Any]) -> str:
    module = getattr(getattr(function, "func", function), "__module__", None) or ""
    for prefix, group in HOOK_GROUPS.items():
        if module.startswith(prefix):
            return group
    return "hooks (NUL guard, CSRF)"


class _Serialising:
    """``thread_view`` as the read views see it, with ``render_page`` timed as serialisation
    (the snapshot it may build queries the database: that time goes to the DB group)."""

    def __init__(self, module: Any, accountant: Accountant) -> None:
        self._module = module
        self.render_page = accountant.wrap("serialisation (JSON, gzip)", module.render_page)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._module, name)


# ---------------------------------------------------------------- the app and its requests


def build_app(folder: Path, database_url: str | None, redis_url: str):
    from commentsvc import create_app
    from commentsvc.extensions import db
    from commentsvc.services.sites import create_site

    app = create_app({
        "SECRET_KEY": "profile-" + "k" * 40,
        "PUBLIC_URL": "http://127.0.0.1",
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_POST": NO_CEILING,
        "RATELIMIT_POST_PER_IP": NO_CEILING,
    })  # fmt: skip
    with app.app_context():
        db.create_all()
        create_site(SITE, [ORIGIN])
        db.session.commit()
    return app


def requests_of(client) -> dict[str, Callable[[], Any]]:
    headers = {"Origin": ORIGIN, "Accept-Encoding": "gzip"}
    thread = f"/api/sites/{SITE}/thread?url={quote(THREAD, safe='')}"
    urls = [THREAD] + [f"{ORIGIN}/posts/other-{n}/" for n in range(9)]
    counts = f"/api/sites/{SITE}/counts?" + "&".join(f"url={quote(u, safe='')}" for u in urls)
    posted = iter(range(10**9))

    def read() -> Any:
        return _ok(client.get(thread, headers=headers))

    def count() -> Any:
        return _ok(client.get(counts, headers=headers))

    def post() -> Any:
        n = next(posted)
        document = {"url": f"{ORIGIN}/posts/posting/", "body": f"A *comment*, number {n}.",
                    "name": f"Poster {n % 11}", "elapsed_ms": 8000}  # fmt: skip
        return _ok(client.post(f"/api/sites/{SITE}/comments", json=document, headers=headers))

    return {"thread read (100 comments, page 1)": read, "counts (10 URLs)": count,
            "post (top-level comment)": post}  # fmt: skip


def _ok(response) -> Any:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.status_code}: {response.get_data()[:300]!r}")
    return response


def seed(client, size: int) -> None:
    parents: list[int] = []
    for n in range(size):
        document = {"url": THREAD, "body": f"Comment {n} with **some** `code` and a [link](https://example.org/{n}).",
                    "name": f"Reader {n % 17}", "elapsed_ms": 8000}  # fmt: skip
        if n % 4 and parents:
            document["parent"] = parents[-1]
        response = _ok(client.post(f"/api/sites/{SITE}/comments", json=document))
        data = response.get_json()
        if not n % 4:
            parents.append(data["id"])


def in_app_ms(accountant: Accountant, call: Callable[[], Any], count: int) -> float:
    """Milliseconds a request spends inside the WSGI app, after a warm-up (caches, imports,
    connections); the accountant holds the groups' shares afterwards."""
    for _ in range(max(count // 10, 20)):
        call()
    accountant.reset()
    started = time.perf_counter()
    with accountant.group(CLIENT):
        for _ in range(count):
            call()
    return (time.perf_counter() - started) * 1000 / count - accountant.ms[CLIENT] / count


def measure(accountant: Accountant, name: str, call: Callable[[], Any], count: int,
            top: int) -> str:  # fmt: skip
    total = in_app_ms(accountant, call, count)
    lines = [f"\n{name}: {count} requests, {total * 1000:.0f} us a request in the app, the "
             "groups' timers included (wall, one thread; the test client's own work left out), "
             f"{accountant.queries / count:.2f} queries and {accountant.redis_trips / count:.2f} "
             "Redis round trips a request"]  # fmt: skip
    for group in GROUPS:
        ms = accountant.ms.get(group, 0.0) / count
        if ms:
            lines.append(f"  {group:<46}{ms * 1000:>8.0f} us {ms / total:>6.1%}")
    if top:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(count):
            call()
        profiler.disable()
        stats = pstats.Stats(profiler)
        lines.append(f"  cProfile, {top} costliest functions by own time (per request, us):")
        rows = sorted(stats.stats.items(), key=lambda item: -item[1][2])[:top]  # type: ignore[attr-defined]
        for (file, line, function), (_, calls, own, _cumulative, _) in rows:
            where = "/".join(Path(file).parts[-2:])
            lines.append(f"    {own * 1e6 / count:>7.1f}  {calls / count:>6.1f} calls  "
                         f"{where}:{line} {function}")  # fmt: skip
    return "\n".join(lines)


def in_process_floor(reads: dict[str, Callable[[], Any]], folder: Path, accountant: Accountant):
    """bench/floor_app.py in this process, serving the bytes each read returned (gzip and the
    headers that describe them), timed the same way: the figure a read can at best reach."""
    from thread_read import FLOOR_HEADERS

    folder.mkdir()
    paths = {}
    for n, (name, call) in enumerate(reads.items()):
        response = call()
        kept = {k: v for k, v in response.headers.items() if k in FLOOR_HEADERS}
        (folder / f"read{n}.body").write_bytes(response.get_data())
        (folder / f"read{n}.json").write_text(json.dumps(kept))
        paths[name] = f"/read{n}"
    os.environ["BENCH_FLOOR_DIR"] = str(folder)
    import floor_app

    floor_app.app.wsgi_app = accountant.wrap(DISPATCH, floor_app.app.wsgi_app)
    client = floor_app.app.test_client()
    headers = {"Origin": ORIGIN, "Accept-Encoding": "gzip"}
    return {name: functools.partial(client.get, path, headers=headers)
            for name, path in paths.items()}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", action="store_true",
                        help="on COMMENTSVC_TEST_POSTGRES_URL's server, not SQLite")  # fmt: skip
    parser.add_argument("--requests", type=int, default=2000, help="requests per figure")
    parser.add_argument("--top", type=int, default=0, help="also list cProfile's N costliest")
    args = parser.parse_args()
    server = os.environ.get("COMMENTSVC_TEST_POSTGRES_URL")
    if args.postgres and not server:
        parser.error("--postgres needs COMMENTSVC_TEST_POSTGRES_URL")
    for name in [k for k in os.environ if k.startswith("COMMENTSVC_")]:
        del os.environ[name]  # nothing from the caller's shell reaches the app
    from thread_read import create_postgres_database, drop_postgres_database

    folder = Path(tempfile.mkdtemp(prefix="commentsvc-profile-"))
    redis = RedisServer(folder)
    database = None
    try:
        url = None
        if args.postgres:
            database, url = create_postgres_database(server)
        app = build_app(folder, url, redis.url)
        client = app.test_client()
        seed(client, 100)
        accountant = Accountant()
        app.wsgi_app = accountant.wrap(DISPATCH, app.wsgi_app)
        print(f"{'postgresql' if args.postgres else 'sqlite'}, Redis jobs and limits, rate limits "
              f"on; load average {Path('/proc/loadavg').read_text().split()[0]}")  # fmt: skip
        requests = requests_of(client)
        reads = {name: call for name, call in requests.items() if not name.startswith("post")}
        floors = in_process_floor(reads, folder / "floor", accountant)
        for name, call in floors.items():  # before the groups' timers add their own cost
            service, floor = in_app_ms(accountant, reads[name], args.requests), in_app_ms(
                accountant, call, args.requests)  # fmt: skip
            print(f"{name}: {service * 1000:.0f} us in the app, uninstrumented; the floor "
                  f"(bench/floor_app.py, the same bytes) {floor * 1000:.0f} us; floor / service "
                  f"{floor / service:.2f}")  # fmt: skip
        instrument(app, accountant)
        for name, call in requests.items():
            print(measure(accountant, name, call, args.requests, args.top), flush=True)
        _check_gzip(client)
    finally:
        redis.stop()
        if database:
            drop_postgres_database(server, database)
        shutil.rmtree(folder, ignore_errors=True)
    return 0


def _check_gzip(client) -> None:
    """The read measured is the one browsers get: gzip, with the thread in it."""
    response = client.get(f"/api/sites/{SITE}/thread?url={quote(THREAD, safe='')}",
                          headers={"Accept-Encoding": "gzip"})  # fmt: skip
    document = json.loads(gzip.decompress(response.get_data()))
    if response.headers.get("Content-Encoding") != "gzip" or not document["comments"]:
        raise RuntimeError("the profiled read was not the gzipped thread")


if __name__ == "__main__":
    sys.exit(main())
