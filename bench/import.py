"""How long ``commentsvc import wordpress`` takes on a big blog, and how much memory it holds.

Generates a WXR of 100,000 comments over 1,000 posts (replies two deep, one comment in ten
with HTML and a link, one post in ten with a pingback) and imports it with the real command,
in a child process, into SQLite and into PostgreSQL (``COMMENTSVC_TEST_POSTGRES_URL``: a fresh
database is made and dropped). Prints seconds, the command's own CPU seconds (the database
server's are not in them; on a busy machine wall time grows, CPU time does not) and the
child's peak RSS; targets: under 60 s and under 250 MB each.

    python bench/import.py [--posts 1000] [--per-post 100]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ORIGIN = "https://blog.example.org"
SECRET = "bench-secret-key-not-for-production"  # noqa: S105 - a throw-away database


def write_wxr(path: Path, posts: int, per_post: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
            "<wp:wxr_version>1.2</wp:wxr_version>\n"
        )
        number = 0
        for post in range(1, posts + 1):
            out.write(
                f"<item><title>Post {post}</title><link>{ORIGIN}/{post}/</link>"
                f"<wp:post_id>{post}</wp:post_id><wp:post_type>post</wp:post_type>\n"
            )
            for n in range(per_post):
                number += 1
                is_pingback = post % 10 == 0 and n == 0
                body = f"Comment {number}.\nSecond line.\n\nAnother paragraph."
                if n % 10 == 5:
                    body = f'See <a href="https://example.org/{number}">this</a>.\n\nThanks!'
                out.write(
                    f"<wp:comment><wp:comment_id>{number}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[Reader {n}]]></wp:comment_author>"
                    f"<wp:comment_author_email>r{n}@example.org</wp:comment_author_email>"
                    f"<wp:comment_author_url>https://r{n}.example.net/{number}</wp:comment_author_url>"
                    f"<wp:comment_date_gmt>2019-01-01 10:{n % 60:02d}:00</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[{body}]]></wp:comment_content>"
                    f"<wp:comment_approved>1</wp:comment_approved><wp:comment_type>"
                    f"{'pingback' if is_pingback else ''}</wp:comment_type><wp:comment_parent>"
                    f"{number - 1 if n % 3 and not is_pingback else 0}</wp:comment_parent>"
                    "</wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")


def prepare(database_url: str, folder: Path) -> None:
    """The schema from the models (stamped as migrated) and the site, as a set-up step."""
    from flask_migrate import stamp

    from commentsvc import create_app
    from commentsvc.extensions import db
    from commentsvc.services.sites import create_site

    app = create_app(
        {"SECRET_KEY": SECRET, "DATABASE_URL": database_url, "PUBLIC_URL": "http://c.test",
         "INSTANCE_PATH": str(folder / "instance")}
    )  # fmt: skip
    with app.app_context():
        db.create_all()
        stamp()
        create_site("bench", [ORIGIN])
        db.session.commit()
        db.engine.dispose()


def run(label: str, database_url: str, wxr: Path, folder: Path) -> None:
    prepare(database_url, folder)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")},
        "COMMENTSVC_DATABASE_URL": database_url,
        "COMMENTSVC_SECRET_KEY": SECRET,
        "COMMENTSVC_PUBLIC_URL": "http://c.test",
    }
    command = [sys.executable, "-c", "from commentsvc.cli import main; main()"]
    command += ["import", "wordpress", str(wxr), "--site", "bench"]
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    seconds = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime - cpu_before
    if result.returncode != 0:
        sys.exit(f"{label}: import failed:\n{result.stderr}")
    summary = " | ".join(result.stdout.strip().splitlines()[:3])
    rss = max(peak, before) / 1024
    print(f"{label:10} {seconds:6.1f} s ({cpu:5.1f} s CPU)   peak RSS {rss:5.0f} MB   {summary}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--per-post", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        wxr = folder / "blog.xml"
        write_wxr(wxr, args.posts, args.per_post)
        size = wxr.stat().st_size / 2**20
        print(f"WXR: {args.posts * args.per_post} comments over {args.posts} posts, {size:.0f} MB")
        run("sqlite", f"sqlite:///{folder / 'bench.sqlite3'}", wxr, folder)
        server = os.environ.get("COMMENTSVC_TEST_POSTGRES_URL")
        if not server:
            print("postgresql: skipped (COMMENTSVC_TEST_POSTGRES_URL is not set)")
            return
        name = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
            run("postgresql", url, wxr, folder)
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
