"""Importing a Disqus export (isso's test suite's) and an Isso database made by Isso 0.14.0."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from commentsvc.errors import ImportFileError
from commentsvc.extensions import db
from commentsvc.imports.run import run_import
from commentsvc.models import Comment, CommentStatus, Thread


def test_disqus_export_keeps_threading_and_reports_its_odd_cases(make_site, samples) -> None:
    site = make_site("http://example.org")
    summary = run_import("disqus", samples / "isso-disqus.xml", site)
    assert summary.imported == {"threads": 1, "comments": 4}
    assert summary.skipped == {
        "thread: thread has no link": 1,
        "thread: page outside the site's origins": 1,  # http://localhost:4000/...
        "comment: its thread is missing from the file": 1,
        "comment: its thread was skipped": 1,
    }
    comments = {c.created_at: c for c in db.session.scalars(sa.select(Comment))}
    reply = comments[datetime(2013, 10, 11, 6, 51, 33, tzinfo=UTC)]
    assert reply.body_html == "<p>Hello, World.</p>"
    assert reply.author_name == "user"
    assert comments[reply.created_at].parent_id is not None
    statuses = sorted(c.status for c in comments.values())
    assert statuses.count(CommentStatus.DELETED) == 1
    thread = db.session.scalars(sa.select(Thread)).one()
    assert (thread.url, thread.title) == ("http://example.org/", "Hello, World!")
    assert thread.visible_count == 3


def test_two_disqus_forums_with_the_same_ids_both_come_in(make_site, samples, tmp_path) -> None:
    """A forum's dsq:id values are its own: the same ids from another forum are other items."""
    site = make_site("http://example.org", "http://other.example.org")
    text = (samples / "isso-disqus.xml").read_text(encoding="utf-8")
    other = tmp_path / "other-forum.xml"
    other.write_text(
        text.replace("<forum>", "<forum>other-").replace(
            "<link>http://example.org/", "<link>http://other.example.org/"
        ),
        encoding="utf-8",
    )

    run_import("disqus", samples / "isso-disqus.xml", site)
    summary = run_import("disqus", other, site)

    assert summary.imported == {"threads": 1, "comments": 4}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 8


def test_isso_database_made_by_isso_imports_modes_markdown_and_threads(make_site, samples) -> None:
    site = make_site("https://blog.example.org")
    summary = run_import("isso", samples / "isso-0.14.0.db", site)
    assert summary.imported == {"threads": 2, "comments": 6}
    rows = {c.author_name: c for c in db.session.scalars(sa.select(Comment))}
    alice = rows["Alice"]
    assert alice.body_html == (
        '<p>First! A <em>Markdown</em> comment with <a href="https://example.org/" '
        'rel="nofollow ugc noopener">a link</a> and <code>code</code>.</p>\n'
        "<p>Second paragraph.</p>"
    )
    assert alice.created_at == datetime(2020, 9, 13, 12, 27, 40, tzinfo=UTC)
    assert rows["Bob"].parent_id == alice.id
    assert rows["Carol"].status == CommentStatus.PENDING
    assert rows["Eve"].parent_id == rows[None].id
    assert rows[None].status == CommentStatus.DELETED
    assert "<script" not in rows["Mallory"].body_html  # Markdown text: shown, never run
    urls = set(db.session.scalars(sa.select(Thread.url)))
    assert urls == {
        "https://blog.example.org/2020/09/hello-isso/",
        "https://blog.example.org/about/",
    }


def test_a_file_that_is_not_an_isso_database_is_refused(make_site, samples) -> None:
    site = make_site("https://blog.example.org")
    with pytest.raises(ImportFileError, match="not an SQLite database"):
        run_import("isso", samples / "isso-wordpress.xml", site)


def test_pages_outside_the_sites_origins_are_answered_with_the_url_map_to_use(
    make_site, samples, cli
) -> None:
    make_site("http://example.org")
    result = cli("disqus", str(samples / "isso-disqus.xml"), "--site", "old", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "thread: page outside the site's origins" in result.output
    assert "--url-map https://old.example=https://new.example" in result.output
