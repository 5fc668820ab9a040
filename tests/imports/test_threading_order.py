"""Threading whatever order the file gives: a reply before its parent (in the same batch or an
earlier one), a comment that names itself or a loop of replies as parents (a broken file)."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.imports import writer
from commentsvc.imports.run import run_import
from commentsvc.models import Comment

ORIGIN = "https://blog.example.org"


def wxr(comments: list[tuple[int, int]]) -> io.BytesIO:
    """A post holding ``(comment id, parent id)`` comments, in that order."""
    body = "".join(
        f"<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_date_gmt>2018-02-03 10:{cid:02d}:00</wp:comment_date_gmt>"
        f"<wp:comment_content>number {cid}</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        for cid, parent in comments
    )
    return io.BytesIO(
        '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        f"<item><title>T</title><link>{ORIGIN}/t/</link><wp:post_id>1</wp:post_id>{body}"
        "</item></channel></rss>".encode()
    )


def tree() -> dict[str, tuple[str | None, int]]:
    """Each comment's text -> (its parent's text, its depth)."""
    rows = db.session.execute(sa.select(Comment.id, Comment.parent_id, Comment.depth,
                                        Comment.body_markdown)).all()  # fmt: skip
    text = {row.id: row.body_markdown for row in rows}
    return {row.body_markdown: (text.get(row.parent_id), row.depth) for row in rows}


@pytest.mark.parametrize("batch_size", [500, 2], ids=["one batch", "batches of two"])
def test_replies_before_their_parents_are_linked_with_their_depth(
    app, make_site, monkeypatch, batch_size
) -> None:
    monkeypatch.setattr(writer, "BATCH_SIZE", batch_size)
    site = make_site(ORIGIN)

    summary = run_import("wordpress", wxr([(3, 2), (4, 3), (1, 0), (2, 1), (5, 1)]), site)

    assert summary.imported["comments"] == 5
    assert tree() == {
        "number 1": (None, 0),
        "number 2": ("number 1", 1),
        "number 5": ("number 1", 1),
        "number 3": ("number 2", 2),
        "number 4": ("number 3", 3),
    }


def test_a_comment_naming_itself_or_a_loop_as_parent_is_kept_at_the_top(app, make_site) -> None:
    site = make_site(ORIGIN)

    summary = run_import("wordpress", wxr([(1, 1), (2, 3), (3, 2), (4, 3)]), site)

    assert summary.imported["comments"] == 4
    assert tree() == {
        "number 1": (None, 0),
        "number 2": (None, 0),
        "number 3": ("number 2", 1),
        "number 4": ("number 3", 2),
    }


def test_a_loop_of_replies_across_batches_is_broken_not_stored(app, make_site, monkeypatch) -> None:
    monkeypatch.setattr(writer, "BATCH_SIZE", 2)
    site = make_site(ORIGIN)

    run_import("wordpress", wxr([(2, 3), (9, 0), (3, 2), (4, 2)]), site)

    assert tree() == {
        "number 2": (None, 0),
        "number 3": ("number 2", 1),
        "number 4": ("number 2", 1),
        "number 9": (None, 0),
    }
