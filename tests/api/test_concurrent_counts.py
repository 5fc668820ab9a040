"""Counts stay exact when writers of one thread commit at the same time (PostgreSQL's READ
COMMITTED: a statement that waited for a lock still sees its own snapshot)."""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Thread
from commentsvc.services.sites import create_site
from commentsvc.services.threads import get_or_create_thread, touch_thread

PAGE = "https://blog.example.org/posts/busy"


def add_visible(thread_id: int, body: str) -> Thread:
    thread = db.session.get(Thread, thread_id)
    db.session.add(
        Comment(
            thread_id=thread_id,
            author_name="Ann",
            body_markdown=body,
            body_html=f"<p>{body}</p>",
            status=CommentStatus.VISIBLE,
            ip_hash="0" * 64,
        )
    )
    return thread


def waiting_for_a_lock(app) -> bool:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return True  # SQLite: the second writer waits for the first's transaction instead
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return db.session.scalar(sa.text(query)) > 0


def test_a_recount_that_waited_for_another_writer_counts_its_comment(app) -> None:
    site = create_site("blog", ["https://blog.example.org"])
    thread_id = get_or_create_thread(site, PAGE).id
    db.session.commit()
    first = add_visible(thread_id, "first")
    touch_thread(first)  # holds the thread's row until it commits

    second_done = threading.Event()

    def second_writer() -> None:
        with app.app_context():
            touch_thread(add_visible(thread_id, "second"))
            db.session.commit()
            second_done.set()

    writer = threading.Thread(target=second_writer)
    writer.start()
    deadline = time.monotonic() + 10
    while not waiting_for_a_lock(app) and time.monotonic() < deadline:
        time.sleep(0.02)
    db.session.commit()
    writer.join(10)
    assert second_done.is_set()
    db.session.expire_all()
    visible = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
    assert visible == 2
    assert db.session.get(Thread, thread_id).visible_count == 2
