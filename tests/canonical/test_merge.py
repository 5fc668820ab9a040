"""Merging split threads and moving responses, by the services and by ``threads merge``; and
the title job following a page's ``<link rel=canonical>``."""

from __future__ import annotations

import hashlib

import pytest
import requests
import sqlalchemy as sa

from commentsvc.cli.threads import merge
from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Mention, MentionKind, Thread, Verification
from commentsvc.services.thread_merge import (
    merge_threads,
    move_comment,
    move_mention,
    rekey_threads,
)
from commentsvc.services.threads import find_thread, touch_thread
from tests.workers.pages import link_page

BLOG = "https://blog.example.org"


def old_thread(url: str) -> Thread:
    """A thread as the old code keyed it: by its URL, so forms of one page stay apart."""
    thread = Thread(site_id=1, url=url, identity=url)
    db.session.add(thread)
    db.session.flush()
    return thread


def comment(thread: Thread, parent: Comment | None = None) -> Comment:
    row = Comment(
        thread=thread,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        body_markdown="hi",
        body_html="<p>hi</p>",
        status=CommentStatus.VISIBLE,
        ip_hash="x",
    )
    db.session.add(row)
    db.session.flush()
    return row


def mention(thread: Thread, source: str, verification=Verification.VERIFIED) -> Mention:
    row = Mention(
        site_id=thread.site_id,
        thread=thread,
        source=source,
        target=thread.url,
        # as the old code keyed it: by the URL, so split threads hold one source twice
        claim_key=hashlib.sha256(f"{thread.url}\n{source}".encode()).hexdigest(),
        kind=MentionKind.WEBMENTION,
        verification=verification,
        status=CommentStatus.VISIBLE,
        is_check_pending=False,
    )
    db.session.add(row)
    db.session.flush()
    return row


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count(model.id)))


def test_merge_moves_everything_and_keeps_one_response_per_source(site, client):
    into, source = old_thread(f"{BLOG}/a/"), old_thread(f"{BLOG}/a")
    source.title = "The page"
    comment(into), comment(source)
    mention(into, "https://them.example/1", Verification.REJECTED)
    kept = mention(source, "https://them.example/1")
    mention(source, "https://them.example/2")
    result = merge_threads(source, into, actor="test")
    db.session.commit()
    assert (result.comments, result.mentions, result.dropped_mentions) == (1, 2, 1)
    assert count(Thread) == 1 and count(Mention) == 2
    assert db.session.get(Mention, kept.id).thread_id == into.id
    assert (into.title, into.visible_count) == ("The page", 4)
    rekey_threads([into])  # its stored identity is the old key: what the CLI does after merging
    db.session.commit()
    shown = client.get("/api/sites/blog/thread", query_string={"url": f"{BLOG}/a"}).get_json()
    assert shown["thread"]["count"] == 4 and len(shown["mentions"]) == 2


def test_merge_refuses_a_thread_into_itself(site):
    thread = old_thread(f"{BLOG}/a/")
    with pytest.raises(InvalidInput):
        merge_threads(thread, thread, actor="test")


def test_move_comment_takes_its_replies_and_becomes_top_level(site):
    old, new = old_thread(f"{BLOG}/old/"), old_thread(f"{BLOG}/new/")
    top = comment(old)
    moved = comment(old, top)
    reply = comment(old, moved)
    comment(old, reply)
    assert move_comment(moved, new, actor="test") == 3
    db.session.commit()
    assert (moved.thread_id, moved.parent_id, moved.depth) == (new.id, None, 0)
    assert (reply.thread_id, reply.depth) == (new.id, 1)
    assert (old.visible_count, new.visible_count) == (1, 3)


def test_move_mention_onto_a_thread_with_the_same_source_keeps_one(site):
    old, new = old_thread(f"{BLOG}/old/"), old_thread(f"{BLOG}/new/")
    moved = mention(old, "https://them.example/1")
    mention(new, "https://them.example/1", Verification.REJECTED)
    touch_thread(old)
    move_mention(moved, new, actor="test")
    db.session.commit()
    [left] = db.session.scalars(sa.select(Mention)).all()
    assert left.id == moved.id and left.thread_id == new.id
    assert (old.visible_count, new.visible_count) == (0, 1)


def test_cli_merges_the_split_threads_of_every_page(app, site):
    keep = old_thread(f"{BLOG}/a/")
    comment(keep), comment(keep)
    split = [old_thread(f"{BLOG}/a"), old_thread(f"{BLOG}/a/?lang=en"), old_thread(f"{BLOG}/b")]
    comment(split[0])
    touch_thread(keep)
    db.session.commit()
    runner = app.test_cli_runner()
    dry = runner.invoke(merge, ["--site", "blog", "--dry-run"])
    assert dry.exit_code == 0 and dry.output.count("would merge thread") == 2
    assert count(Thread) == 4
    done = runner.invoke(merge, ["--site", "blog"])
    assert done.exit_code == 0, done.output
    assert (
        done.output.count("merged thread") == 2 and "merged 2 threads into 1 pages" in done.output
    )
    db.session.expire_all()
    assert count(Thread) == 2
    assert find_thread(site, f"{BLOG}/a?lang=de").id == keep.id
    assert find_thread(site, "http://blog.example.org/b/").id == split[2].id


def test_cli_merges_two_given_pages_and_explains_mistakes(app, site):
    old_thread(f"{BLOG}/a/"), old_thread(f"{BLOG}/z/")
    db.session.commit()
    runner = app.test_cli_runner()
    args = ["--site", "blog", "--from", f"{BLOG}/z/", "--into", f"{BLOG}/a/"]
    assert runner.invoke(merge, args).exit_code == 0
    assert count(Thread) == 1
    missing = runner.invoke(merge, args)
    assert missing.exit_code == 2 and "no thread" in missing.output
    half = runner.invoke(merge, ["--site", "blog", "--from", f"{BLOG}/a/"])
    assert half.exit_code == 2 and "both --from and --into" in half.output
    nosite = runner.invoke(merge, ["--site", "nope"])
    assert nosite.exit_code == 1 and "nope" in nosite.output


def test_a_mention_of_a_page_that_names_its_canonical_lands_on_that_thread(
    service, local_site, pages, blog_origin
):
    pages.html(
        "/", '<html><head><title>X</title><link rel="canonical" href="/posts/x/"></head></html>'
    )
    target = f"{blog_origin}/?p=12"
    source = pages.html("/src/p12", link_page(target))
    answer = requests.post(
        f"{service.url}/webmention/local", data={"source": source, "target": target}, timeout=10
    )
    assert answer.status_code == 201
    shown = requests.get(
        f"{service.url}/api/sites/local/thread",
        params={"url": f"{blog_origin}/posts/x/"},
        timeout=10,
    ).json()
    assert len(shown["mentions"]) == 1 and shown["thread"]["title"] == "X"
    assert shown["thread"]["url"] == f"{blog_origin}/posts/x/"
    assert count(Thread) == 1


def test_a_comment_stays_on_its_page_when_the_page_names_another_canonical(
    service, local_site, pages, blog_origin
):
    # A theme whose every page names the front page as canonical, and a widget told its page
    # with data-url: the comment stays where it was written (and counted).
    pages.html(
        "/posts/p/", '<html><head><title>P</title><link rel="canonical" href="/"></head></html>'
    )
    page = f"{blog_origin}/posts/p/"
    posted = requests.post(
        f"{service.url}/api/sites/local/comments",
        json={"url": page, "body": "Stays here.", "author_name": "Ann"},
        timeout=10,
    )
    assert posted.status_code == 201
    shown = requests.get(
        f"{service.url}/api/sites/local/thread", params={"url": page}, timeout=10
    ).json()
    assert [c["html"] for c in shown["comments"]] == ["<p>Stays here.</p>"]
    assert shown["thread"]["title"] == "P"
