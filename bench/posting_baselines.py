"""Sequential posting beside its baselines, in one run: commentsvc, Isso and the posting floors.

    python bench/posting_baselines.py --isso-python ISSO_VENV/bin/python [--postgres]

The issue's posting target is relative: 1.5x what Isso posts on the same machine, with one
client sending each comment on a new connection. This bench measures that ratio in one run
instead of against a figure from another machine, and shows what the stack itself leaves:

- **commentsvc** with the shipped gunicorn settings, rate limits on with ceilings never
  reached (as thread_read.py), on SQLite and with ``--postgres`` on a fresh database with
  durable commits, Redis holding the limiter's counters and the job queue;
- **Isso 0.14** (SQLite, the only database it has) under the same gunicorn worker class,
  threads, timeouts and access log, moderation off and its guard off (its fastest: with the
  guard on, its rate-limit query scans the comments table and posting slows as it grows).
  Install it in a virtualenv of its own (``python -m venv ISSO_VENV && ISSO_VENV/bin/pip
  install isso==0.14.0 gunicorn``); without ``--isso-python`` the bench leaves it out;
- **the posting floors** (bench/posting_floor_app.py) on the same database as the service:
  bare Flask answering the JSON; storing it with one INSERT in a transaction; storing it with
  one INSERT in autocommit; running the service's own statements for a guest's post (the
  read, then the insert with the thread's count: one statement on PostgreSQL, two on SQLite)
  and nothing else.

Every figure is ``wrk -t1 -c1 --latency`` with a Lua script, ``Connection: close``, the same
comment bodies for all; the apps take turns within each run. Timings are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
from common import Server, WrkResult, clean_environ, median, wrk
from posting_floor_app import COMMENTS as FLOOR_COMMENTS
from thread_read import (
    GUNICORN_SETTINGS,
    ORIGIN,
    POSTING_THREADS,
    create_postgres_database,
    drop_postgres_database,
    durability,
    load_average,
    post_for,
    posting_lua,
    prepare_service,
)

ISSO_POSTS_PER_SECOND = 258  # the figure for Isso, from the harness that measured it
TARGET_RATIO = 1.5
FLOOR_STORES = ("none", "transaction", "statement", "service-sql")
FLOOR_LABELS = {
    "none": "floor: Flask answers the JSON",
    "transaction": "floor: + one INSERT, own transaction",
    "statement": "floor: + one INSERT, autocommit",
    "service-sql": "floor: + the service's own SQL",
}


def shipped_gunicorn_flags() -> list[str]:
    """The shipped settings as command-line flags, for an app whose interpreter cannot load
    the settings file (it imports commentsvc). Read in a child process: loading the file
    also prepares the metrics folder of the process that loads it."""
    names = ("worker_class", "threads", "timeout", "keepalive", "accesslog")
    code = (f"import json, runpy; s = runpy.run_path({str(GUNICORN_SETTINGS)!r}); "
            f"print(json.dumps({{n: s[n] for n in {names!r}}}))")  # fmt: skip
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60, env=clean_environ())  # fmt: skip
    settings = json.loads(result.stdout.splitlines()[-1])
    return [
        f"--worker-class={settings['worker_class']}",
        f"--threads={settings['threads']}",
        f"--timeout={settings['timeout']}",
        f"--keep-alive={settings['keepalive']}",
        f"--access-logfile={settings['accesslog']}",
        "--workers=1",
    ]


def isso_script(folder: Path, run: int) -> Path:
    """thread_read.py's posting script for Isso's API: the same bodies, names and threads."""
    script = folder / f"isso-{run}.lua"
    script.write_text(
        posting_lua(
            run,
            f"""
  local body = '{{"text":' .. bodies[n % #bodies + 1] .. ',"author":"Poster ' .. (n % 11) ..
    '","title":"Posting"}}'
  path = '/new?uri=%2Fposts%2Fposting-{run}-' .. (n % {POSTING_THREADS}) .. '%2F'""",
        )
    )
    return script


def start_isso(python: str, folder: Path) -> Server:
    folder.mkdir()
    settings = folder / "isso.cfg"
    settings.write_text(
        f"[general]\ndbpath = {folder / 'comments.db'}\nhost = {ORIGIN}/\n"
        "[moderation]\nenabled = false\n[guard]\nenabled = false\n"
    )
    return Server("isso", "isso.run:application", {"ISSO_SETTINGS": str(settings)},
                  cwd=folder, gunicorn_args=shipped_gunicorn_flags(), log_dir=folder,
                  workers=None, python=python)  # fmt: skip


def start_floor(store: str, database_url: str, folder: Path, processes: int) -> Server:
    env = {"BENCH_FLOOR_STORE": store, "BENCH_FLOOR_DATABASE_URL": database_url,
           "WEB_CONCURRENCY": str(processes)}  # fmt: skip
    return Server(f"floor-{store}", "posting_floor_app:app", env, cwd=Path(__file__).parent,
                  gunicorn_args=["--config", str(GUNICORN_SETTINGS)], log_dir=folder,
                  workers=None)  # fmt: skip


def run_database(
    database_url: str | None, work: Path, args: argparse.Namespace
) -> dict[str, list[WrkResult]]:
    """Every app's sequential posting runs, the apps taking turns within each run."""
    redis, env = prepare_service(work, database_url)
    service_database = database_url or f"sqlite:///{work / 'instance' / 'commentsvc.sqlite3'}"
    servers: dict[str, Server] = {}
    try:
        servers["commentsvc"] = Server("service", "commentsvc.wsgi:app", env, log_dir=work,
                                       gunicorn_args=["--config", str(GUNICORN_SETTINGS)],
                                       workers=None)  # fmt: skip
        if args.isso_python:
            servers["Isso 0.14 (SQLite)"] = start_isso(args.isso_python, work / "isso")
        FLOOR_COMMENTS.metadata.create_all(sa.create_engine(service_database))
        processes = len(servers["commentsvc"].worker_pids())
        for store in FLOOR_STORES:
            servers[FLOOR_LABELS[store]] = start_floor(store, service_database, work, processes)
        posters = {name: _poster(name, server, work) for name, server in servers.items()}
        for poster in posters.values():  # warm: imports, pools, the first threads
            poster(1, -1)
        results: dict[str, list[WrkResult]] = {name: [] for name in servers}
        for run in range(args.runs):
            for name, poster in posters.items():
                results[name].append(poster(args.seconds, run))
            print(f"  run {run + 1}/{args.runs} done", flush=True)
        return results
    except Exception:
        for log in sorted(work.glob("**/*.log")):
            print(f"{log.name}, last lines:\n{log.read_text()[-2000:]}")
        raise
    finally:
        for server in (*servers.values(), redis):
            if server is not None:
                server.stop()


def _poster(name: str, server: Server, work: Path) -> Callable[[float, int], WrkResult]:
    if name.startswith("Isso"):
        return lambda seconds, run: wrk(server, "/", seconds, {}, 1,
                                        script=isso_script(work, run))  # fmt: skip
    return lambda seconds, run: post_for(server, seconds, run, 1, work)


def report(title: str, results: dict[str, list[WrkResult]]) -> str:
    rates = {name: median([r.requests_per_second for r in runs]) for name, runs in results.items()}
    isso = next((rate for name, rate in rates.items() if name.startswith("Isso")), None)
    lines = [
        f"\n{title}",
        f"{'':40}{'posts/s':>9}{'p50 ms':>8}{'cpu us':>8}  runs",
    ]
    for name, runs in results.items():
        lines.append(
            f"{name:40}{rates[name]:>9.0f}{median([r.p50_ms for r in runs]):>8.1f}"
            f"{median([r.cpu_us_per_request for r in runs]):>8.0f}  "
            + ", ".join(f"{r.requests_per_second:.0f}" for r in runs)
            + ("" if all(r.is_clean for r in runs) else "  (errors or non-2xx responses!)")
        )
    service = rates["commentsvc"]
    if isso is not None:
        verdict = "ok" if service >= TARGET_RATIO * isso else "MISSED"
        lines.append(f"commentsvc / Isso, same run: {service / isso:.2f}x "
                     f"(target {TARGET_RATIO}x: {verdict})")  # fmt: skip
    target = TARGET_RATIO * ISSO_POSTS_PER_SECOND
    lines.append(f"commentsvc / the issue's {target:.0f}/s (1.5x Isso's {ISSO_POSTS_PER_SECOND}/s "
                 f"elsewhere): {service / target:.2f}x")  # fmt: skip
    for store in FLOOR_STORES[1:]:
        floor = rates[FLOOR_LABELS[store]]
        lines.append(f"{FLOOR_LABELS[store]} / {target:.0f}/s: {floor / target:.2f}x")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk -d per figure")
    parser.add_argument("--isso-python", help="the python of a virtualenv with isso, gunicorn")
    parser.add_argument("--postgres", action="store_true",
                        help="also on COMMENTSVC_TEST_POSTGRES_URL's server")  # fmt: skip
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    args = parser.parse_args()
    postgres_server = os.environ.get("COMMENTSVC_TEST_POSTGRES_URL")
    if args.postgres and not postgres_server:
        parser.error("--postgres needs COMMENTSVC_TEST_POSTGRES_URL (see .ci/start-postgres)")
    work = Path(tempfile.mkdtemp(prefix="commentsvc-posting-"))
    reports = []
    try:
        print(f"sqlite, work folder {work}, load {load_average()}", flush=True)
        results = run_database(None, work / "sqlite", args)
        reports.append(report(f"SQLite: {durability(None)}", results))
        if args.postgres:
            print("postgresql", flush=True)
            name, url = create_postgres_database(postgres_server)
            try:
                results = run_database(url, work / "postgresql", args)
                reports.append(report(f"PostgreSQL: {durability(url)}", results))
            finally:
                drop_postgres_database(postgres_server, name)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"load after: {load_average()}")
    print("\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
