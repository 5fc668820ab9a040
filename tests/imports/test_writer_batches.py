"""Batches: a reply whose parent came in an earlier batch stays in its own thread, and a dry
run holds no lock between batches while still counting what it would have stored."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.imports import writer
from commentsvc.imports.run import Progress, run_import
from commentsvc.models import Comment, ImportedItem, Site, Thread

ORIGIN = "https://blog.example.org"


def comment(key: str, parent: str | None = None) -> dict[str, Any]:
    return {
        "key": key,
        "parent": parent,
        "account": None,
        "created_at": "2021-03-01T10:00:00Z",
        "edited_at": None,
        "status": "visible",
        "markdown": f"Comment {key}",
        "author": {"name": "Gus"},
    }


def export(*threads: tuple[str, list[dict[str, Any]]]) -> bytes:
    return json.dumps(
        {
            "format": "commentsvc-export",
            "version": 1,
            "origin": "0123456789abcdef",
            "site": {"name": "x", "origins": [ORIGIN]},
            "accounts": [],
            "threads": [
                {
                    "key": key,
                    "url": f"{ORIGIN}/{key}",
                    "title": None,
                    "comments": comments,
                    "mentions": [],
                }
                for key, comments in threads
            ],
        }
    ).encode()


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "BATCH_SIZE", 2)


def test_a_reply_to_a_comment_of_another_thread_in_an_earlier_batch_stays_at_the_top(
    app, make_site, small_batches
) -> None:
    site = make_site(ORIGIN)
    file = export(("t1", [comment("c1"), comment("c2")]), ("t2", [comment("c3", "c1")]))

    summary = run_import("json", io.BytesIO(file), site)

    reply = db.session.scalars(
        sa.select(Comment).where(Comment.body_markdown == "Comment c3")
    ).one()
    assert (reply.parent_id, reply.depth) == (None, 0)
    assert summary.imported["comments"] == 3
    assert summary.skipped == {"comment: its parent is in another thread (kept at the top)": 1}


@pytest.mark.parametrize(
    "threads",
    [
        (("t1", ["c1"]), ("t2", ["c3>c1"])),  # the parent in the same batch
        (("t2", ["c3>c1"]), ("t1", ["c1"])),  # the parent arriving after its reply
    ],
    ids=["same-batch", "parent-later"],
)
def test_a_reply_to_another_threads_comment_is_said_to_stay_at_the_top(app, make_site, threads):
    site = make_site(ORIGIN)
    file = export(*[(key, [comment(*item.split(">")) for item in items]) for key, items in threads])

    summary = run_import("json", io.BytesIO(file), site)

    reply = db.session.scalars(
        sa.select(Comment).where(Comment.body_markdown == "Comment c3")
    ).one()
    assert (reply.parent_id, reply.depth) == (None, 0)
    assert summary.skipped == {"comment: its parent is in another thread (kept at the top)": 1}


def test_a_dry_run_holds_no_write_lock_between_batches_and_counts_across_them(
    app, make_site, small_batches
) -> None:
    site = make_site(ORIGIN)
    file = export(
        ("t1", [comment("c1"), comment("c2"), comment("c3", "c1"), comment("c4")]),
        ("t2", [comment("c5"), comment("c1")]),  # c1 again: already counted, not added twice
    )
    writes_between_batches: list[bool] = []

    def try_to_write(progress: Progress) -> None:
        with db.engine.connect() as other:
            if other.dialect.name == "sqlite":
                other.exec_driver_sql("PRAGMA busy_timeout = 50")
            try:
                other.execute(sa.update(Site).where(Site.id == site.id).values(name=Site.name))
                other.commit()
            except sa.exc.OperationalError:  # database is locked
                writes_between_batches.append(False)
            else:
                writes_between_batches.append(True)

    summary = run_import("json", io.BytesIO(file), site, dry_run=True, progress=try_to_write)

    assert writes_between_batches and all(writes_between_batches)
    assert summary.imported == {"threads": 2, "comments": 5}
    assert summary.already_there == {"comments": 1}
    counts = [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Thread, Comment, ImportedItem)
    ]
    assert counts == [0, 0, 0]
