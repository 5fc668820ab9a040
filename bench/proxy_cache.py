"""Thread reads through the shipped nginx cache, beside the same nginx serving the same bytes
as a static file.

    python bench/proxy_cache.py             # 10 s per figure (~2 minutes)
    python bench/proxy_cache.py --quick     # 3 s per figure

gunicorn with deploy/gunicorn.conf.py (one worker process: SQLite, no Redis), behind nginx
with deploy/nginx/commentsvc.conf.template, as docs/deployment.md ("Caching") sets it up
(``THREAD_STATE_SECONDS=0``). Threads of 10, 100 and 1,000 comments are posted through the API;
the first page of each is read through nginx and also written to a file that a second server
block of the same nginx process serves. Each is measured with ``wrk -t1 -c16`` and a new
connection per request (``Connection: close``), one run, side by side. Target: the cached
read at least 0.5x the static file. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from common import HOST, ROOT, Nginx, Server, service_env, wrk
from thread_read import (
    CLI,
    ORIGIN,
    SITE,
    SIZES,
    Client,
    run_python,
    seed_thread,
    thread_path,
    thread_url,
)

DEPLOY = ROOT / "deploy"
HEADERS = {"Connection": "close"}
TARGET_RATIO = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 s per figure")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="keep the servers' folder")
    args = parser.parse_args()
    seconds = 3.0 if args.quick else args.seconds
    work = Path(tempfile.mkdtemp(prefix="commentsvc-proxy-cache-"))
    env = service_env(work / "instance", f"sqlite:///{work / 'commentsvc.sqlite3'}",
                      thread_state_seconds="0", proxy_count="1")  # fmt: skip
    run_python(env, "-c", CLI, "db", "upgrade")
    run_python(env, "-c", CLI, "site", "add", SITE, "--origin", ORIGIN)
    service = nginx = None
    rows = []
    try:
        service = Server("commentsvc", "commentsvc.wsgi:app", env, workers=None,
                         gunicorn_args=["--config", str(DEPLOY / "gunicorn.conf.py")],
                         log_dir=work)  # fmt: skip
        for size in SIZES:
            seed_thread(Client(service.port), size)
        nginx = Nginx(service.port, work / "nginx", static=True)
        through = Client(nginx.port)
        for size in SIZES:
            path = thread_path(thread_url(f"size-{size}"))
            status, _, body = through.request("GET", path, gzip_ok=False)
            if status != 200:
                raise RuntimeError(f"{path} -> {status}")
            (nginx.static / f"thread-{size}.json").write_bytes(body)
            cached = wrk(service, path, seconds, HEADERS, base_url=f"http://{HOST}:{nginx.port}")
            static = wrk(service, f"/thread-{size}.json", seconds, HEADERS,
                         base_url=f"http://{HOST}:{nginx.static_port}")  # fmt: skip
            rows.append((size, len(body), cached, static))
    finally:
        for server in (nginx, service):
            if server is not None:
                server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    print(f"\nThread reads through nginx's cache vs the same nginx serving the same bytes as a "
          f"static file\nwrk -t1 -c16 -d{seconds:g}s, Connection: close (a new connection per "
          f"request), one run; target >= {TARGET_RATIO}x\n")  # fmt: skip
    print(f"{'thread':>8} {'bytes':>9} {'cached req/s':>13} {'static req/s':>13} {'ratio':>6} "
          f"{'cached p99':>11} {'static p99':>11} {'gunicorn µs/req':>16}")  # fmt: skip
    for size, length, cached, static in rows:
        ratio = cached.requests_per_second / static.requests_per_second
        mark = "ok" if ratio >= TARGET_RATIO and cached.is_clean else "MISSED"
        print(f"{size:>8} {length:>9} {cached.requests_per_second:>13.0f} "
              f"{static.requests_per_second:>13.0f} {ratio:>5.2f}x {cached.p99_ms:>9.1f}ms "
              f"{static.p99_ms:>9.1f}ms {cached.cpu_us_per_request:>16.1f}  {mark}")  # fmt: skip


if __name__ == "__main__":
    main()
