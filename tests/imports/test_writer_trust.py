"""What a file may not do: reach accounts, collide with another file's keys, break a batch with
an odd value, or store a website or an excerpt the comment form would not."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.imports.records import ImportedMention, ImportedOrigin, ImportedThread
from commentsvc.imports.run import run_import
from commentsvc.imports.writer import Writer
from commentsvc.models import Account, Comment, Identity, Mention, Thread
from commentsvc.services.accounts import create_account

ORIGIN = "https://blog.example.org"


def comment(key: str, **fields: Any) -> dict[str, Any]:
    return {
        "key": key,
        "parent": None,
        "account": None,
        "created_at": "2021-03-01T10:00:00Z",
        "edited_at": None,
        "status": "visible",
        "markdown": f"Comment {key}",
        "author": {"name": "Gus"},
        **fields,
    }


def export(threads: list[dict[str, Any]], origin: str | None = None, **head: Any) -> bytes:
    document: dict[str, Any] = {"format": "commentsvc-export", "version": 1}
    if origin is not None:
        document["origin"] = origin
    document.update({"site": {"name": "x", "origins": [ORIGIN]}, "accounts": [], **head})
    document["threads"] = [{"title": None, "mentions": [], **thread} for thread in threads]
    return json.dumps(document).encode()


def count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_file_cannot_attach_comments_to_or_create_accounts(app, make_site) -> None:
    site = make_site(ORIGIN)
    rita = create_account("rita@example.net", "Rita", None, is_email_verified=True)
    rita.identities = [Identity(provider="twitter", subject="4242")]
    db.session.commit()
    claimed = {
        "key": "twitter:4242",
        "display_name": "Not Rita",
        "email": "rita@example.net",
        "website": None,
        "avatar": None,
        "is_email_verified": True,
        "identities": [{"provider": "twitter", "subject": "4242"}],
    }
    fresh = {**claimed, "key": "github:1", "email": "victim@example.net",
             "identities": [{"provider": "github", "subject": "1"}]}  # fmt: skip
    file = export(
        [
            {
                "key": "t1",
                "url": f"{ORIGIN}/p",
                "comments": [
                    comment("c1", account="twitter:4242"),
                    comment("c2", account="github:1"),
                ],
            }
        ],
        accounts=[claimed, fresh],
    )

    summary = run_import("json", io.BytesIO(file), site)

    assert summary.imported["comments"] == 2
    assert db.session.scalars(sa.select(Comment.account_id)).all() == [None, None]
    assert (count(Account), count(Identity)) == (1, 1)
    assert db.session.scalar(sa.select(Account.display_name)) == "Rita"


def test_two_exports_with_the_same_keys_are_both_imported(app, make_site) -> None:
    site = make_site(ORIGIN)
    first = export([{"key": "t1", "url": f"{ORIGIN}/a", "comments": [comment("c1")]}], "a" * 16)
    second = export([{"key": "t1", "url": f"{ORIGIN}/b", "comments": [comment("c1")]}], "b" * 16)

    run_import("json", io.BytesIO(first), site)
    summary = run_import("json", io.BytesIO(second), site)

    assert summary.imported == {"threads": 1, "comments": 1}
    assert sorted(db.session.scalars(sa.select(Thread.url))) == [f"{ORIGIN}/a", f"{ORIGIN}/b"]
    assert count(Comment) == 2


def test_a_thread_key_imported_before_for_another_page_is_not_taken_for_it(app, make_site) -> None:
    site = make_site(ORIGIN)
    run_import(
        "json",
        io.BytesIO(export([{"key": "t1", "url": f"{ORIGIN}/a", "comments": []}], "a" * 16)),
        site,
    )
    moved = export([{"key": "t1", "url": f"{ORIGIN}/zzz", "comments": [comment("c9")]}], "a" * 16)

    summary = run_import("json", io.BytesIO(moved), site)

    assert summary.skipped == {
        "thread: its key was imported before for another page": 1,
        "comment: its thread was skipped": 1,
    }
    assert list(db.session.scalars(sa.select(Thread.url))) == [f"{ORIGIN}/a"]
    assert count(Comment) == 0


def test_a_thread_key_given_twice_in_one_file_files_nothing_under_the_wrong_page(
    app, make_site
) -> None:
    """The key no longer says which page a comment filed under it belongs to: its comments
    are skipped, and said to be, rather than put under the other page."""
    site = make_site(ORIGIN)
    file = export(
        [
            {"key": "t1", "url": f"{ORIGIN}/a", "comments": [comment("c1")]},
            {"key": "t1", "url": f"{ORIGIN}/b", "comments": [comment("c2")]},
        ]
    )

    summary = run_import("json", io.BytesIO(file), site)

    assert summary.skipped == {
        "thread: its key was imported before for another page": 1,
        "comment: its thread was skipped": 2,
    }
    assert count(Comment) == 0


def test_the_summary_counts_what_the_import_made(app, make_site) -> None:
    """Two keys for one page (in two spellings) make one thread, and a comment key given
    twice is one comment and one skip, not two comments "already there"."""
    site = make_site(ORIGIN)
    file = export(
        [
            {"key": "t1", "url": f"{ORIGIN}/p", "comments": [comment("c1"), comment("c1")]},
            {"key": "t2", "url": f"{ORIGIN}/p?utm_source=x", "comments": [comment("c2")]},
        ]
    )

    summary = run_import("json", io.BytesIO(file), site)

    assert summary.imported == {"threads": 1, "comments": 2}
    assert summary.already_there == {"threads": 1}
    assert summary.skipped == {
        "comment: its key is given to another comment earlier in the file": 1
    }
    assert (count(Thread), count(Comment)) == (1, 2)


def test_odd_values_are_fitted_or_skipped_without_failing_the_batch(app, make_site) -> None:
    site = make_site(ORIGIN)
    comments = [
        comment("c1", author={"name": "N" * 200, "provider": "p" * 100}),
        comment("c2", markdown="nul\x00here", html="<p>nul\x00here</p>"),
        comment("c3", created_at="0001-01-01T00:00:00+14:00"),
        comment("c4", author={"name": "Eve", "website": "javascript:alert(1)"}),
        comment("c5", author={"name": "Ann", "website": "ann.example.org"}),
        comment(
            "c6", markdown="bell\x07\ufffe", author={"name": "B\x03n", "website": "b.org/\x03"}
        ),
        comment("c7", markdown="x" * 70_000),
    ]

    summary = run_import(
        "json",
        io.BytesIO(export([{"key": "t1", "url": f"{ORIGIN}/p", "comments": comments}])),
        site,
    )

    assert summary.imported == {"threads": 1, "comments": 5}
    assert summary.skipped == {
        "comment: comment's created_at is not a date": 1,
        "comment: its text is longer than 65,535 characters": 1,
    }
    rows = {c.body_markdown: c for c in db.session.scalars(sa.select(Comment))}
    assert len(rows["Comment c1"].author_provider) == 40
    assert len(rows["Comment c1"].author_name) == 80
    assert rows["nulhere"].body_html == "<p>nulhere</p>"
    assert rows["Comment c4"].author_website is None
    assert rows["Comment c5"].author_website == "https://ann.example.org"
    assert rows["bell"].author_name == "Bn" and rows["bell"].author_website is None


def test_a_pingbacks_html_excerpt_is_stored_as_its_text(app, make_site) -> None:
    site = make_site(ORIGIN)
    writer = Writer(site, "wordpress")
    writer.add(ImportedOrigin(ORIGIN))
    writer.add(ImportedThread(key="7", url=f"{ORIGIN}/p"))
    writer.add(
        ImportedMention(
            key="3",
            thread_key="7",
            kind="pingback",
            source="https://elsewhere.example/post",
            created_at=datetime(2020, 1, 1, tzinfo=UTC),
            excerpt="[&#8230;] some <b>words</b> here &amp; there [&#8230;]",
        )
    )
    writer.finish()

    assert db.session.scalar(sa.select(Mention.excerpt)) == "[…] some words here & there […]"
