"""Writes besides posting that readers must hear of: a mention verified and gone, and the
merges and moves that put responses on another page (their readers reload both pages)."""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Comment, Mention, MentionKind, Thread
from commentsvc.models.mention import Rejection
from commentsvc.services.mentions import (
    Found,
    check_claim,
    mark_rejected,
    mark_verified,
    record_mention,
)
from commentsvc.services.thread_merge import merge_threads, move_comment
from tests.live.conftest import PAGE, SITE_ORIGIN

OTHER_PAGE = f"{SITE_ORIGIN}/posts/other"
SOURCE = "https://elsewhere.example.net/reply"  # never fetched: the tests verify by hand


def _thread(url: str) -> Thread:
    db.session.expire_all()
    return db.session.scalar(sa.select(Thread).where(Thread.url == url))


def test_verified_mention_arrives_and_its_removal_deletes_it(app, site, serve, listen, post):
    server = serve(app)
    post(server.url, "a thread to mention")
    reader = listen(server.url)
    reader.next_block()
    recorded = record_mention(site, check_claim(site, SOURCE, PAGE), MentionKind.WEBMENTION, None)
    db.session.commit()
    assert reader.events_within(0.5) == []  # queued, not yet verified: readers see nothing
    mention = db.session.get(Mention, recorded.mention.id)
    found = Found("A reply", "It says <b>so</b>", "reply", "Bo", "https://elsewhere.example.net/",
                  None, None)  # fmt: skip
    mark_verified(mention, found)
    db.session.commit()
    event = reader.next_event()
    assert event.event == "mention"
    data = event.json()
    assert (data["id"], data["source"], data["type"]) == (mention.id, SOURCE, "reply")
    assert (data["title"], data["excerpt"]) == ("A reply", "It says <b>so</b>")
    mark_rejected(db.session.get(Mention, mention.id), Rejection.GONE, "410")
    db.session.commit()
    deleted = reader.next_event()
    assert (deleted.event, deleted.json()) == ("delete", {"kind": "mention", "id": mention.id})


def test_moved_comment_makes_readers_of_both_pages_reload(app, site, serve, listen, post):
    server = serve(app)
    moved = post(server.url, "on the wrong page")
    post(server.url, "the other page's own", url=OTHER_PAGE)
    here, there = listen(server.url), listen(server.url, page=OTHER_PAGE)
    here.next_block(), there.next_block()
    move_comment(db.session.get(Comment, moved["id"]), _thread(OTHER_PAGE), actor="op")
    db.session.commit()
    for reader, url in ((here, PAGE), (there, OTHER_PAGE)):
        event = reader.next_event()
        assert (event.event, event.json()) == ("reload", {"revision": int(event.fields["id"])})
        assert event.fields["id"] == str(_thread(url).revision)


def test_merged_threads_make_readers_of_both_pages_reload(app, site, serve, listen, post):
    server = serve(app)
    post(server.url, "the source's comment")
    post(server.url, "the target's comment", url=OTHER_PAGE)
    source, into = _thread(PAGE), _thread(OTHER_PAGE)
    source_revision = source.revision
    here, there = listen(server.url), listen(server.url, page=OTHER_PAGE)
    here.next_block(), there.next_block()
    merge_threads(source, into, actor="op")
    db.session.commit()
    gone = here.next_event()
    assert (gone.event, gone.fields["id"]) == ("reload", str(source_revision + 1))
    moved = there.next_event()
    assert (moved.event, moved.fields["id"]) == ("reload", str(_thread(OTHER_PAGE).revision))
    assert here.events_within(0.3) == [] and there.events_within(0.3) == []
    # The merged page now has no thread (revision 0): a reconnect from the reload's id reloads.
    again = listen(server.url, last_event_id=gone.fields["id"])
    assert again.next_block().fields["id"] == "0"
    assert again.next_event().event == "reload"
