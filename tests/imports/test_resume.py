"""An import killed half-way (SIGKILL: a crash, not a clean stop) finishes when run again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import sqlalchemy as sa
from flask_migrate import stamp

from commentsvc.extensions import db
from commentsvc.models import Comment, Thread

POSTS, PER_POST = 20, 150


def _count(engine: sa.Engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(model))


def test_killed_import_resumes_to_the_right_totals(
    app, make_site, wxr_writer, database_url, tmp_path
) -> None:
    make_site("https://blog.example.org")
    stamp()
    path = wxr_writer(tmp_path / "big.xml", POSTS, PER_POST, "https://blog.example.org")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COMMENTSVC_")},
        "COMMENTSVC_DATABASE_URL": database_url,
        "COMMENTSVC_SECRET_KEY": "test-secret-key-not-for-production",
        "COMMENTSVC_PUBLIC_URL": "http://comments.test",
    }
    command = [sys.executable, "-c", "from commentsvc.cli import main; main()", "import"]
    command += ["wordpress", str(path)]
    command += ["--site", "old"]
    engine = db.engine
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while _count(engine, Comment) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    stored = _count(engine, Comment)
    assert 0 < stored < POSTS * PER_POST  # killed half-way, whole batches kept

    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert f"comments: {POSTS * PER_POST - stored} imported, {stored} already there" in again.stdout
    assert _count(engine, Comment) == POSTS * PER_POST
    assert _count(engine, Thread) == POSTS
    with engine.connect() as connection:
        replies = connection.scalar(
            sa.select(sa.func.count()).select_from(Comment).where(Comment.parent_id.is_not(None))
        )
    assert replies == POSTS * (PER_POST - PER_POST // 3)
