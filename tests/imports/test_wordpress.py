"""Importing WordPress exports (WXR) shipped with isso's and remark42's test suites."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.imports.run import run_import
from commentsvc.models import Comment, CommentStatus, Mention, MentionKind, Thread, Verification


def test_isso_wxr_imports_every_comment_with_threading_and_gmt_dates(make_site, samples) -> None:
    site = make_site("http://example.tld")
    summary = run_import("wordpress", samples / "isso-wordpress.xml", site)
    assert summary.imported == {"threads": 2, "comments": 8}
    assert summary.skipped == {}
    thread = db.session.scalar(
        sa.select(Thread).where(Thread.url == "http://example.tld/2014/test/")
    )
    assert thread.title == "Hello, World…"
    assert thread.visible_count == 7
    by_name = {c.body_markdown: c for c in db.session.scalars(sa.select(Comment))}
    reply = by_name["Yet another reply."]
    assert db.session.get(Comment, reply.parent_id).body_markdown == "Drölfter!"
    assert reply.depth == 2
    query = sa.select(Comment).where(Comment.author_name == "Multiline Author")
    multiline = db.session.scalar(query)
    assert multiline.created_at == datetime(2022, 6, 6, 2, 13, 14, tzinfo=UTC)  # the GMT date
    assert multiline.body_html == (
        "<p>When you have a comment with multiple lines:<br>\nWordPress exports it like this.</p>"
    )


def test_remark42_wxr_maps_statuses_and_pingbacks_to_verified_mentions(make_site, samples) -> None:
    site = make_site("https://realmenweardress.es")
    summary = run_import("wordpress", samples / "remark42-wordpress.xml", site)
    assert summary.imported == {"threads": 1, "comments": 3, "mentions": 1}
    statuses = {c.author_name: c.status for c in db.session.scalars(sa.select(Comment))}
    assert statuses == {
        "SuperUser1": CommentStatus.VISIBLE,
        "SuperUser2": CommentStatus.PENDING,
        "SuperUser3": CommentStatus.VISIBLE,
    }
    mention = db.session.scalars(sa.select(Mention)).one()
    assert mention.kind == MentionKind.PINGBACK
    assert mention.verification == Verification.VERIFIED
    assert mention.status == CommentStatus.VISIBLE
    assert mention.source == "http://cynwise.wordpress.com/2010/07/21/wednesday-reading-8/"
    assert mention.title == "Wednesday Reading « Cynwise's Battlefield Manual"
    assert mention.excerpt == (
        "I know I\u2019m a bit loony with my attachment to my bankers. "
        "I\u2019m glad I\u2019m not the only one."
    )
    assert mention.target == "https://realmenweardress.es/2010/07/do-you-rp/"
    thread = db.session.scalars(sa.select(Thread)).one()
    assert thread.visible_count == 3  # two visible comments and the pingback


def test_url_map_moves_pages_and_pages_elsewhere_are_skipped(make_site, samples) -> None:
    site = make_site("https://blog.example.org")
    summary = run_import(
        "wordpress",
        samples / "isso-wordpress.xml",
        site,
        url_map=[("http://example.tld/2014/", "https://blog.example.org/2014/")],
    )
    assert summary.imported == {"threads": 1, "comments": 7}
    assert summary.skipped == {
        "thread: page outside the site's origins": 1,
        "comment: its thread was skipped": 1,
    }
    assert db.session.scalars(sa.select(Thread.url)).all() == [
        "https://blog.example.org/2014/test/"
    ]


def test_running_the_same_import_twice_adds_nothing(make_site, samples) -> None:
    site = make_site("https://realmenweardress.es")
    run_import("wordpress", samples / "remark42-wordpress.xml", site)
    again = run_import("wordpress", samples / "remark42-wordpress.xml", site)
    assert again.imported == {}
    assert again.already_there == {"threads": 1, "comments": 3, "mentions": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 3


def test_dry_run_counts_and_writes_nothing(make_site, samples) -> None:
    site = make_site("http://example.tld")
    summary = run_import("wordpress", samples / "isso-wordpress.xml", site, dry_run=True)
    assert summary.imported == {"threads": 2, "comments": 8}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 0


def test_with_accounts_is_refused_for_anything_but_json(make_site, samples, cli) -> None:
    make_site("http://example.tld")

    result = cli(
        "wordpress", str(samples / "isso-wordpress.xml"), "--site", "old", "--with-accounts"
    )

    assert result.exit_code == 2 and "json imports only" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0


def test_two_blogs_with_the_same_post_and_comment_ids_both_come_in(
    make_site, wxr_writer, tmp_path
) -> None:
    """Keys are the blog's own ids: two blogs' ``post_id`` 1 are two posts (base_site_url)."""
    site = make_site("https://one.example.org", "https://two.example.org")
    first = wxr_writer(tmp_path / "one.xml", 2, 3, "https://one.example.org")
    second = wxr_writer(tmp_path / "two.xml", 2, 3, "https://two.example.org")

    run_import("wordpress", first, site)
    summary = run_import("wordpress", second, site)

    assert summary.imported == {"threads": 2, "comments": 6}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 12
    again = run_import("wordpress", second, site)
    assert again.imported.get("comments", 0) == 0 and again.already_there["comments"] == 6
