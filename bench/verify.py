"""Mention verification throughput: verifications per second per worker, parse time per page.

A local server (a separate process, ``python -m http.server``) serves 50 KB linking pages
(a blog post with microformats, the link to the target in the middle). In the same run:

1. parse: ``read_document`` alone on one page, per page (with and without an h-entry);
2. floor: ``fetch`` alone, one page after the other (what the network part costs);
3. in-process: the verify job run back to back in one thread (the embedded default's worker);
4. RQ: one real ``commentsvc worker`` process (fork per job) draining N queued checks.

    python bench/verify.py            # 400 pages per figure
    python bench/verify.py --quick    # 100 pages per figure

Everything talks to 127.0.0.1 only; timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import HOST, clean_environ, free_port

TARGET = "https://bench.example.org/post"
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throwaway local instance


def page(n: int, *, is_entry: bool = True) -> str:
    """About 50 KB of blog post with the link to the target halfway through."""
    paragraph = (
        "<p>Lorem ipsum dolor sit amet, <em>consectetur</em> adipiscing elit, sed do eiusmod "
        "tempor incididunt ut labore et dolore magna aliqua. <a href='/other'>Ut enim</a> ad "
        "minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.</p>\n"
    )
    half = paragraph * 100
    entry = ' class="h-entry"' if is_entry else ""
    author = (
        '<a class="p-author h-card" href="https://ann.example/">Ann</a>'
        '<time class="dt-published" datetime="2026-11-20T10:00:00Z">20 Nov</time>'
        if is_entry
        else ""
    )
    return (
        f"<!doctype html><html><head><title>Post {n}</title></head><body>"
        f"<nav>{'<a href=/x>menu</a> ' * 50}</nav><article{entry}>"
        f'<h1 class="p-name">Post {n}</h1>{author}<div class="e-content">{half}'
        f"<p>As <a href='{TARGET}'>the bench post</a> says, this is a reply.</p>{half}"
        "</div></article></body></html>"
    )


def wait_port(port: int, seconds: float = 10) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def start(command: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)


def measure_parse(count: int) -> tuple[float, float, int]:
    """Median milliseconds per page (medians resist the noise of a shared machine)."""
    import statistics

    from workers.parse import read_document

    results = []
    for is_entry in (True, False):
        body = page(0, is_entry=is_entry).encode()
        times = []
        for _ in range(count):
            started = time.perf_counter()
            reading = read_document(body, "text/html", "utf-8", "http://x/p", TARGET)
            times.append((time.perf_counter() - started) * 1000)
        assert reading.has_link
        results.append(statistics.median(times))
    return results[0], results[1], len(page(0))


def make_app(folder: Path, database_url: str | None, redis_url: str | None):
    from commentsvc import create_app
    from commentsvc.extensions import db
    from commentsvc.services.sites import create_site

    config = {
        "SECRET_KEY": SECRET,
        "PUBLIC_URL": "http://127.0.0.1",
        "INSTANCE_PATH": str(folder / "instance"),
        "DATABASE_URL": database_url or f"sqlite:///{folder / 'bench.sqlite3'}",
        "REDIS_URL": redis_url,
        "RATELIMIT_ENABLED": False,
        "JOBS_IN_PROCESS_WORKERS": 0,
        "FETCH_ALLOW_NETWORKS": ["127.0.0.0/8"],
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
        create_site("bench", ["https://bench.example.org"])
        db.session.commit()
    return app, config


def record(app, sources: list[str]) -> list[int]:
    from commentsvc.extensions import db
    from commentsvc.models import MentionKind
    from commentsvc.services.mentions import check_claim, record_mention
    from commentsvc.services.sites import get_site

    with app.app_context():
        site = get_site("bench")
        ids = [
            record_mention(
                site, check_claim(site, s, TARGET), MentionKind.WEBMENTION, None
            ).mention.id
            for s in sources
        ]
        db.session.commit()
        return ids


def measure_floor(base: str, count: int) -> float:
    import ipaddress

    from workers.fetch import FetchPolicy, fetch

    policy = FetchPolicy(allow_networks=(ipaddress.ip_network("127.0.0.0/8"),))
    started = time.perf_counter()
    for n in range(count):
        fetch(f"{base}/p{n}.html", policy)
    return count / (time.perf_counter() - started)


def measure_in_process(app, base: str, count: int, offset: int) -> float:
    from workers.mentions import verify_mention

    ids = record(app, [f"{base}/p{n}.html?r={offset}" for n in range(count)])
    started = time.perf_counter()
    with app.app_context():
        for mention_id in ids:
            assert verify_mention(mention_id) == "verified"
    return count / (time.perf_counter() - started)


def measure_rq(
    app, config, base: str, count: int, folder: Path, offset: int, *, is_forking: bool = True
) -> float:
    import sqlalchemy as sa

    from commentsvc.extensions import db
    from commentsvc.job_names import Job
    from commentsvc.jobs import enqueue
    from commentsvc.models import Mention, Verification

    env = clean_environ() | {
        "COMMENTSVC_SECRET_KEY": SECRET,
        "COMMENTSVC_PUBLIC_URL": "http://127.0.0.1",
        "COMMENTSVC_DATABASE_URL": config["DATABASE_URL"],
        "COMMENTSVC_REDIS_URL": config["REDIS_URL"],
        "COMMENTSVC_INSTANCE_PATH": config["INSTANCE_PATH"],
        "COMMENTSVC_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "COMMENTSVC_LOG_LEVEL": "WARNING",
    }
    command = [str(Path(sys.executable).with_name("commentsvc")), "worker"]
    command += [] if is_forking else ["--no-fork"]
    worker = start(command, folder / f"worker-{offset}.log", env)
    try:
        ids = record(app, [f"{base}/p{n}.html?r={offset}" for n in range(count)])
        time.sleep(2)  # let the worker start before the clock does
        with app.app_context():
            started = time.perf_counter()
            for mention_id in ids:
                enqueue(Job.VERIFY_MENTION, mention_id, job_id=f"bench-{mention_id}")
            done = 0
            while done < count:
                time.sleep(0.05)
                db.session.rollback()
                done = db.session.scalar(
                    sa.select(sa.func.count(Mention.id)).where(
                        Mention.id.in_(ids), Mention.verification == Verification.VERIFIED
                    )
                )
                if time.perf_counter() - started > 600:
                    raise SystemExit("the worker did not finish in 10 minutes")
            return count / (time.perf_counter() - started)
    finally:
        worker.terminate()
        worker.wait(20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    count = args.pages or (100 if args.quick else 400)
    folder = Path(tempfile.mkdtemp(prefix="commentsvc-bench-verify-"))
    pages_dir = folder / "pages"
    pages_dir.mkdir()
    for n in range(count):
        (pages_dir / f"p{n}.html").write_text(page(n))
    processes = []
    try:
        page_port, redis_port = free_port(), free_port()
        processes.append(start([sys.executable, "-m", "http.server", "--bind", HOST,
                                "--directory", str(pages_dir), str(page_port)],
                               folder / "pages.log"))  # fmt: skip
        redis = ["redis-server", "--port", str(redis_port), "--bind", HOST, "--save", ""]
        processes.append(start(redis, folder / "redis.log"))
        wait_port(page_port)
        wait_port(redis_port)
        base = f"http://{HOST}:{page_port}"
        app, config = make_app(folder, None, f"redis://{HOST}:{redis_port}/0")

        with_entry, without_entry, size = measure_parse(min(count, 200))
        floor = measure_floor(base, count)
        in_process = measure_in_process(app, base, count, 1)
        rq = measure_rq(app, config, base, count, folder, 2)
        rq_simple = measure_rq(app, config, base, count, folder, 3, is_forking=False)
        print(f"pages: {count} x {size / 1024:.0f} KB, SQLite, 1 worker, loopback")
        print(f"parse per page, median (h-entry, mf2py)   {with_entry:8.1f} ms")
        print(f"parse per page, median (no microformats)  {without_entry:8.1f} ms")
        print(f"floor: fetch only, sequential             {floor:8.1f} pages/s")
        print(f"verify job, in-process, one thread        {in_process:8.1f} verifications/s")
        print(f"verify job, one RQ worker (fork per job)  {rq:8.1f} verifications/s")
        print(f"verify job, one RQ worker --no-fork       {rq_simple:8.1f} verifications/s")
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
