"""Round trips: export json -> import json into an empty database -> export again gives the
same bytes (accounts too when the admin brings them in with ``--with-accounts``; an upload
never does); the WXR export reads back
through the WordPress importer with its counts and threading."""

from __future__ import annotations

import io
import json
import re

import sqlalchemy as sa

from commentsvc.exports.json import export_json
from commentsvc.exports.wxr import export_wxr
from commentsvc.extensions import db
from commentsvc.imports.records import ImportedComment, ImportedMention, ImportedThread, Skipped
from commentsvc.imports.run import run_import
from commentsvc.imports.wordpress import read_wordpress
from commentsvc.models import Account, Comment, CommentStatus, Mention, Thread
from commentsvc.services.sites import create_site, get_site

ORIGIN = "https://blog.example.org"


def empty_database_with_the_site():
    """The same database emptied (every table dropped and made again), and the site re-added."""
    db.session.remove()
    db.drop_all()
    db.create_all()
    site = create_site("blog", [ORIGIN])
    db.session.commit()
    return site


def as_stored(exported: bytes) -> bytes:
    """The export as an import stores it: the vertical tab in one name (stored before the
    input checks) is dropped on the way in, as every imported text loses what no stored text
    may hold (commentsvc/chars.py)."""
    assert exported.count(b"Cy\\u000bril") == 1
    return exported.replace(b"Cy\\u000bril", b"Cyril")


def without_accounts(exported: bytes) -> bytes:
    """The export as a database that imported it exports it: no accounts (an import never
    creates or links any), so no comment names one."""
    head, _, rest = exported.partition(b',"accounts":[\n')
    _, _, rest = rest.partition(b'\n],"threads":')
    rest = re.sub(rb'"account":"[^"]*"', b'"account":null', rest)
    return head + b',"accounts":[\n],"threads":' + rest


def test_json_export_import_export_gives_identical_bytes(app, full_site) -> None:
    """The admin's own export, accounts included (``import json --with-accounts``)."""
    first = "".join(export_json(full_site)).encode()

    site = empty_database_with_the_site()
    summary = run_import("json", io.BytesIO(first), site, with_accounts=True)
    second = "".join(export_json(get_site("blog"))).encode()

    assert summary.imported["comments"] == 8 and summary.imported["mentions"] == 3
    assert not summary.skipped
    assert b'"identities":[' in first and without_accounts(first) != first
    assert first.count(b'"pinned":true') == 1  # an operator's pin comes back too
    assert second.decode().splitlines() == as_stored(first).decode().splitlines()  # readable
    assert second == as_stored(first)


def test_without_accounts_the_round_trip_differs_only_by_the_accounts(app, full_site) -> None:
    """An upload (or a CLI import without --with-accounts) links no comment to an account."""
    first = "".join(export_json(full_site)).encode()

    site = empty_database_with_the_site()
    run_import("json", io.BytesIO(first), site)

    assert "".join(export_json(get_site("blog"))).encode() == without_accounts(as_stored(first))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_a_dry_run_with_accounts_creates_no_account(app, full_site) -> None:
    first = "".join(export_json(full_site)).encode()
    site = empty_database_with_the_site()

    run_import("json", io.BytesIO(first), site, dry_run=True, with_accounts=True)

    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_importing_the_export_again_adds_nothing(app, full_site) -> None:
    exported = "".join(export_json(full_site)).encode()
    site = empty_database_with_the_site()
    run_import("json", io.BytesIO(exported), site)
    site = get_site("blog")  # the importer lets go of every row it held (bounded memory)
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (Thread, Comment, Mention, Account)]  # fmt: skip

    again = run_import("json", io.BytesIO(exported), site)
    site = get_site("blog")

    assert again.imported.get("comments", 0) == 0 and again.already_there["comments"] == 8
    assert counts == [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Thread, Comment, Mention, Account)
    ]
    assert counts[3] == 0  # no account came in
    assert "".join(export_json(site)).encode() == without_accounts(as_stored(exported))


def test_wxr_reads_back_through_the_wordpress_importer_with_counts_and_threading(
    app, full_site
) -> None:
    wxr = "".join(export_wxr(full_site)).encode()

    records = list(read_wordpress(io.BytesIO(wxr)))

    assert not [r for r in records if isinstance(r, Skipped)]
    threads = [r for r in records if isinstance(r, ImportedThread)]
    comments = [r for r in records if isinstance(r, ImportedComment)]
    mentions = [r for r in records if isinstance(r, ImportedMention)]
    assert sorted(t.url for t in threads) == [f"{ORIGIN}/2021/spring", f"{ORIGIN}/about"]
    assert (len(comments), len(mentions)) == (8, 2)  # the gone trackback is not exported
    by_key = {c.key: c for c in comments}
    chained = next(c for c in comments if "Reply to the reply" in c.body)
    reply = by_key[chained.parent_key]
    assert "A reply from an account" in reply.body
    assert "First!" in by_key[reply.parent_key].body
    statuses = sorted(c.status for c in comments)
    assert statuses == ["deleted", "pending", "spam"] + ["visible"] * 5
    assert {m.kind for m in mentions} == {"pingback"}
    assert {m.title for m in mentions} == {"A reply elsewhere", "Pinger's post"}

    site = empty_database_with_the_site()
    summary = run_import("wordpress", io.BytesIO(wxr), site)
    assert (summary.imported["comments"], summary.imported["mentions"]) == (8, 2)
    visible = db.session.scalar(
        sa.select(sa.func.count()).where(Comment.status == CommentStatus.VISIBLE)
    )
    replies = db.session.scalar(sa.select(sa.func.count()).where(Comment.parent_id.is_not(None)))
    assert (visible, replies) == (5, 3)


WORDPRESS_THREAD = f"""<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Spring</title><link>{ORIGIN}/2021/spring</link><wp:post_id>7</wp:post_id>
<wp:comment><wp:comment_id>1</wp:comment_id><wp:comment_author>Ann</wp:comment_author>
<wp:comment_date_gmt>2021-03-01 10:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[Read <a href="https://example.org/notes">my notes</a> first.

Then <em>this</em>.]]></wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>
<wp:comment_parent>0</wp:comment_parent></wp:comment>
<wp:comment><wp:comment_id>2</wp:comment_id><wp:comment_author>Ben</wp:comment_author>
<wp:comment_date_gmt>2021-03-02 10:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[<p>In paragraphs.</p><p>Two of them.</p>]]></wp:comment_content>
<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>
<wp:comment_parent>1</wp:comment_parent></wp:comment>
</item></channel></rss>
"""


def test_html_bodies_from_wordpress_keep_their_markup_through_a_json_round_trip(app) -> None:
    site = empty_database_with_the_site()
    run_import("wordpress", io.BytesIO(WORDPRESS_THREAD.encode()), site)
    before = {c.author_name: c.body_html for c in db.session.scalars(sa.select(Comment))}
    exported = "".join(export_json(get_site("blog"))).encode()

    site = empty_database_with_the_site()
    summary = run_import("json", io.BytesIO(exported), site)

    assert summary.imported["comments"] == 2
    after = {c.author_name: c.body_html for c in db.session.scalars(sa.select(Comment))}
    assert after == before
    assert after["Ann"].startswith('<p>Read <a href="https://example.org/notes"')
    assert after["Ann"].endswith("<p>Then <em>this</em>.</p>")
    assert after["Ben"] == "<p>In paragraphs.</p><p>Two of them.</p>"
    assert not any("&lt;" in html for html in after.values())
    assert "".join(export_json(get_site("blog"))).encode() == exported


def test_html_given_in_a_json_file_is_sanitised_on_import(app) -> None:
    site = empty_database_with_the_site()
    document = {
        "format": "commentsvc-export",
        "version": 1,
        "site": {"name": "blog", "origins": [ORIGIN]},
        "accounts": [],
        "threads": [
            {
                "key": "t1",
                "url": f"{ORIGIN}/x",
                "title": None,
                "comments": [
                    {
                        "key": "c1",
                        "parent": None,
                        "account": None,
                        "created_at": "2021-03-01T10:00:00Z",
                        "edited_at": None,
                        "status": "visible",
                        "markdown": "hi",
                        "html": '<p onclick="steal()">hi<script>alert(1)</script></p>',
                        "author": {"name": "Eve"},
                    }
                ],
                "mentions": [],
            }
        ],
    }

    run_import("json", io.BytesIO(json.dumps(document).encode()), site)

    assert db.session.scalars(sa.select(Comment.body_html)).one() == "<p>hi</p>"


def test_importing_a_sites_own_export_back_into_it_adds_nothing(app, full_site) -> None:
    exported = "".join(export_json(full_site)).encode()
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (Thread, Comment, Mention, Account)]  # fmt: skip

    summary = run_import("json", io.BytesIO(exported), full_site)

    assert summary.imported == {}
    assert summary.already_there == {"threads": 2, "comments": 8, "mentions": 3}
    assert counts == [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Thread, Comment, Mention, Account)
    ]
    assert "".join(export_json(get_site("blog"))).encode() == exported


def test_another_sites_export_is_imported_whole_even_where_ids_coincide(app, full_site) -> None:
    exported = "".join(export_json(full_site)).encode()
    other = create_site("other", [ORIGIN])
    db.session.commit()

    summary = run_import("json", io.BytesIO(exported), other)

    assert summary.imported == {"threads": 2, "comments": 8, "mentions": 3}
    in_other = sa.select(sa.func.count()).select_from(Comment).join(Thread)
    assert db.session.scalar(in_other.where(Thread.site_id == other.id)) == 8
