"""Outbound mentions throughput: links processed per second for a feed of 100 posts with 20
links each, against local targets that answer webmentions.

Two loopback servers run in this process (werkzeug, threaded): a static blog (an RSS feed and
100 posts of about 10 KB, each with 20 links to the other server inside its ``e-content``,
plus navigation links that must not be sent) and a target site (every page advertises its
endpoint in a ``Link`` header; the endpoint answers ``202 Accepted``). In the same run:

1. read: ``read_post`` alone on every post (the parse and link extraction, no network);
2. pass: one full pass as the embedded default runs it (jobs inline, SQLite): the feed
   check, 100 post reads, 2,000 sends (each a target fetch, endpoint discovery and a POST).

    python bench/outbound.py            # 100 posts x 20 links
    python bench/outbound.py --quick    # 20 posts x 20 links

Everything talks to 127.0.0.1 only; the run stops after ``--timeout`` seconds whatever
happens; timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bench.common import HOST

LINKS_PER_POST = 20
PARAGRAPH = (
    "<p>Lorem ipsum dolor sit amet, <em>consectetur</em> adipiscing elit, sed do eiusmod "
    "tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam.</p>\n"
)


class Blog:
    """The watched site: /feed.xml and /posts/<n>."""

    def __init__(self, posts: int) -> None:
        self.posts = posts
        self.url = ""
        self.target_url = ""

    def post(self, n: int) -> str:
        links = "".join(
            f'{PARAGRAPH}<p>See <a href="{self.target_url}/t/{n}/{i}">this</a>.</p>\n'
            for i in range(LINKS_PER_POST)
        )
        return (
            f"<!doctype html><html><head><title>Post {n}</title></head><body>"
            '<nav><a href="https://nav.invalid/">Home</a></nav>'
            f'<article class="h-entry"><a class="u-url" href="/posts/{n}">Post {n}</a>'
            f'<div class="e-content">{PARAGRAPH * 20}{links}</div></article>'
            '<footer><a href="https://footer.invalid/">Theme</a></footer></body></html>'
        )

    def feed(self) -> str:
        items = "".join(
            f"<item><title>Post {n}</title><link>{self.url}/posts/{n}</link></item>"
            for n in range(self.posts)
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'

    def __call__(self, environ, start_response):
        path = Request(environ).path
        if path == "/feed.xml":
            response = Response(self.feed(), content_type="application/rss+xml")
        elif path.startswith("/posts/"):
            response = Response(self.post(int(path.rsplit("/", 1)[1])), content_type="text/html")
        else:
            response = Response("not here", status=404)
        return response(environ, start_response)


class Targets:
    """The linked site: every page advertises /webmention, which accepts everything."""

    def __init__(self) -> None:
        self.url = ""
        self.received = 0
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.method == "POST" and request.path == "/webmention":
            with self._lock:
                self.received += 1
            return Response("", status=202)(environ, start_response)
        response = Response("<html><body>A target page.</body></html>", content_type="text/html")
        response.headers["Link"] = f'<{self.url}/webmention>; rel="webmention"'
        return response(environ, start_response)


def serve(app) -> str:
    server = make_server(HOST, 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return f"http://{HOST}:{server.server_port}"


def bench_read(blog: Blog) -> float:
    """Links extracted per second by ``read_post`` alone."""
    from workers.post_content import read_post

    pages = [blog.post(n).encode() for n in range(blog.posts)]
    started = time.perf_counter()
    found = 0
    for n, page in enumerate(pages):
        found += len(read_post(page, "utf-8", f"{blog.url}/posts/{n}", [blog.url], 100).links)
    elapsed = time.perf_counter() - started
    assert found == blog.posts * LINKS_PER_POST, found
    return found / elapsed


def bench_pass(blog: Blog, targets: Targets, folder: Path) -> tuple[float, int, float]:
    """One full pass, jobs inline: (links per second, sends recorded as sent, seconds)."""
    import sqlalchemy as sa

    from commentsvc import create_app
    from commentsvc.extensions import db
    from commentsvc.models import OutboundSend
    from commentsvc.services.feeds import add_feed
    from commentsvc.services.sites import create_site
    from workers.feeds import check_feed

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "bench-secret-key-not-for-production",
            "INSTANCE_PATH": str(folder),
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "JOBS_IN_PROCESS_WORKERS": 0,
            "RATELIMIT_ENABLED": False,
            "FETCH_ALLOW_NETWORKS": ["127.0.0.0/8"],
            "PUBLIC_URL": "http://comments.bench",
        }
    )
    with app.app_context():
        db.create_all()
        site = create_site("bench", [blog.url])
        feed_id = add_feed(None, site, f"{blog.url}/feed.xml").id
        db.session.commit()
        started = time.perf_counter()
        check_feed(feed_id)
        elapsed = time.perf_counter() - started
        sent = db.session.scalar(
            sa.select(sa.func.count(OutboundSend.id)).where(OutboundSend.state == "sent")
        )
    return sent / elapsed, sent, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20 posts instead of 100")
    parser.add_argument("--timeout", type=int, default=300, help="stop after this many seconds")
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(f"stopped after {args.timeout} s"))
    signal.alarm(args.timeout)
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # a line per request otherwise

    blog, targets = Blog(20 if args.quick else 100), Targets()
    blog.url, targets.url = serve(blog), serve(targets)
    blog.target_url = targets.url
    links = blog.posts * LINKS_PER_POST
    print(f"feed of {blog.posts} posts x {LINKS_PER_POST} links = {links} links, loopback")
    print(f"read_post alone:     {bench_read(blog):10.0f} links/s")
    with tempfile.TemporaryDirectory() as folder:
        rate, sent, elapsed = bench_pass(blog, targets, Path(folder))
    print(
        f"full pass (inline):  {rate:10.1f} links/s  ({sent} sent, {targets.received} received, "
        f"{elapsed:.1f} s)"
    )
    signal.alarm(0)


if __name__ == "__main__":
    main()
