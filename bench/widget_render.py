"""How fast the widget shows a 1,000-comment thread, in headless Chromium.

The service and the demo blog run in this process on loopback (werkzeug, threads) over a fresh
SQLite database seeded with one 1,000-comment thread on the blog's first post, in two shapes:

- ``deep``: 50 top-level comments with 19 replies each (up to four deep), so the first page of
  the thread API carries all 1,000 comments: the widget's worst case;
- ``flat``: 1,000 top-level comments, of which the first page carries 50 ("show more" pages on).

For each, a fresh browser context loads the post and the figures are read from the page:

- ``first screen``: from the end of the thread response (Resource Timing ``responseEnd``) to
  the widget's ``commentsvc:painted`` mark, which it sets in the first task after the frame
  that drew the first screenful of comments (JSON parsed, DOM built, styled, laid out,
  painted); the issue's target is 300 ms;
- ``all rendered``: to the first frame after ``commentsvc:ready`` (every comment of the page
  in the DOM, built in chunks between frames);
- ``scroll``: frame times while scrolling the whole thread (400 px every 16 ms): the 95th
  percentile and the longest frame, and how many frames took over 50 ms (jank).

    python bench/widget_render.py [--runs 5] [--comments 1000]

Medians of the runs are printed; nothing is asserted (timings depend on the machine). Only
127.0.0.1 is contacted, and every wait is bounded.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import make_server

from commentsvc import create_app
from commentsvc.avatars import avatar_url
from commentsvc.cli.demo import DEMO_SITE, blog_app
from commentsvc.extensions import db
from commentsvc.markup import render_markdown
from commentsvc.models import Comment, CommentStatus, Site
from commentsvc.models.base import utcnow
from commentsvc.services.sites import create_site
from commentsvc.services.threads import get_or_create_thread, touch_thread

CHROMIUM = "/usr/bin/chromium"
HOST = "127.0.0.1"
NAMES = ["Ann", "Bob", "Cleo", "Dee", "Eli", "Fay", "Gus", "Hal"]
BODIES = [
    "I *really* enjoyed this. The part about **caching** matches what we saw in production.",
    "Have you tried `EXPLAIN ANALYZE` on it? See https://www.postgresql.org/docs/ for more.",
    "Three things:\n\n- first, measure\n- then, change one thing\n- measure again",
    "> quoting the post\n\nand disagreeing politely: it depends on the workload.",
]
INSTRUMENT = """
window.__bench = {};
document.addEventListener('commentsvc:ready', () => requestAnimationFrame(() => setTimeout(() => {
  window.__bench.ready = performance.now(); })));
"""
SCROLL = """async () => {
  const frames = []; let last = performance.now(); let running = true;
  const loop = (now) => {
    frames.push(now - last); last = now; if (running) requestAnimationFrame(loop); };
  requestAnimationFrame(loop);
  const end = document.documentElement.scrollHeight;
  for (let i = 0; i < 400 && scrollY + innerHeight < end; i++) {
    scrollBy(0, 400); await new Promise((done) => setTimeout(done, 16)); }
  running = false; return frames.slice(1); }"""


def seed(site: Site, page_url: str, shape: str, total: int) -> None:
    """One thread of ``total`` visible comments, written straight to the database."""
    thread = get_or_create_thread(site, page_url)
    start = utcnow() - timedelta(days=30)
    made = 0

    def add(parent: Comment | None) -> Comment:
        nonlocal made
        name = NAMES[made % len(NAMES)]
        body = BODIES[made % len(BODIES)]
        comment = Comment(
            thread_id=thread.id,
            parent_id=parent.id if parent else None,
            depth=parent.depth + 1 if parent else 0,
            author_name=name,
            author_avatar=avatar_url(name),
            body_markdown=body,
            body_html=render_markdown(body),
            status=CommentStatus.VISIBLE,
            ip_hash="bench",
            created_at=start + timedelta(minutes=made),
        )
        db.session.add(comment)
        db.session.flush()
        made += 1
        return comment

    roots = 50 if shape == "deep" else total
    for _ in range(roots):
        root = previous = add(None)
        for index in range(total // roots - 1):  # replies in chains of four
            previous = add(root if index % 4 == 0 else previous)
    touch_thread(thread)
    db.session.commit()


def serve(app) -> tuple[str, threading.Thread, object]:
    server = make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return f"http://{HOST}:{server.server_port}", thread, server


def measure(browser, url: str) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    page = context.new_page()
    page.add_init_script(INSTRUMENT)
    page.goto(url)
    page.wait_for_function("window.__bench.ready", timeout=60_000)
    figures = page.evaluate(
        """() => { const thread = performance.getEntriesByType('resource')
            .find((entry) => entry.name.includes('/thread?'));
          const painted = performance.getEntriesByName('commentsvc:painted')[0];
          return {responseEnd: thread.responseEnd, firstScreen: painted.startTime,
                  ...window.__bench,
                  comments: document.querySelector('#comments').shadowRoot
                    .querySelectorAll('.cs-c').length}; }"""
    )
    frames = sorted(page.evaluate(SCROLL))
    context.close()
    return {
        "first_screen_ms": figures["firstScreen"] - figures["responseEnd"],
        "all_rendered_ms": figures["ready"] - figures["responseEnd"],
        "comments_in_dom": figures["comments"],
        "scroll_p95_ms": frames[int(len(frames) * 0.95)] if frames else 0.0,
        "scroll_max_ms": frames[-1] if frames else 0.0,
        "frames_over_50ms": sum(1 for frame in frames if frame > 50),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--comments", type=int, default=1000)
    options = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per avatar

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SECRET_KEY": "bench-only",
                "PUBLIC_URL": "http://127.0.0.1",  # replaced by the served address below
                "INSTANCE_PATH": folder,
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                "REDIS_URL": None,
                "RATELIMIT_ENABLED": False,
            }
        )
        service_url, _, service = serve(app)
        app.config["PUBLIC_URL"] = service_url
        blog_url, _, blog = serve(blog_app(service_url))
        posts = {"deep": "/posts/hello-world/", "flat": "/posts/self-hosting/"}
        with app.app_context():
            db.create_all()
            site = create_site(DEMO_SITE, [blog_url])
            db.session.commit()
            for shape, path in posts.items():
                seed(site, blog_url + path, shape, options.comments)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            print(f"widget render, {options.comments} comments, median of {options.runs} runs")
            for shape, path in posts.items():
                measure(browser, blog_url + path)  # warm the service's caches and Chromium's
                runs = [measure(browser, blog_url + path) for _ in range(options.runs)]
                medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
                print(
                    f"  {shape:4}: first screen {medians['first_screen_ms']:6.1f} ms "
                    f"(target 300) | all {int(medians['comments_in_dom'])} comments rendered "
                    f"{medians['all_rendered_ms']:6.1f} ms | scroll p95 frame "
                    f"{medians['scroll_p95_ms']:5.1f} ms, longest {medians['scroll_max_ms']:5.1f}"
                    f" ms, {medians['frames_over_50ms']:.0f} frames over 50 ms"
                )
            browser.close()
        service.shutdown()
        blog.shutdown()


if __name__ == "__main__":
    main()
