"""What was taken back is never replayed: after a delete, an edit or a spam decision, a
reconnect from before it reloads the thread (its ``reload`` names the revision to read it at),
in the embedded bus and on Redis alike; and a page whose thread was merged away and made again
never chains the old thread's revisions onto the new one's."""

from __future__ import annotations

import json

import pytest
import requests

from commentsvc.extensions import db
from commentsvc.live.batches import Batch, Event, chain
from commentsvc.models import Account, Comment, Thread
from commentsvc.services.accounts import create_account
from commentsvc.services.moderation import Decision, decide
from commentsvc.services.thread_merge import merge_threads
from tests.live.conftest import PAGE, SITE_ORIGIN

OTHER_PAGE = f"{SITE_ORIGIN}/posts/other"


@pytest.fixture(params=["redis", "memory"])
def app_config(request, app_config: dict[str, object]) -> dict[str, object]:
    return app_config if request.param == "redis" else {**app_config, "REDIS_URL": None}


def _revision(url: str = PAGE) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(Thread.revision).where(Thread.url == url)) or 0


def _never_shown(reader, words: str) -> None:
    assert reader.events_within(0.3) == []
    assert not any(words in json.dumps(block.fields) for block in reader.seen)


def test_a_reconnect_from_before_a_delete_reloads_and_never_gets_the_deleted_words(
    app, site, serve, listen, post
):
    server = serve(app)
    posted = post(server.url, "words to take back")
    before_delete = _revision()
    url = f"{server.url}/api/comments/{posted['id']}"
    assert requests.delete(url, headers={"X-Edit-Token": posted["edit_token"]}, timeout=10).ok
    again = listen(server.url, last_event_id="0")
    again.next_block()
    event = again.next_event()
    assert (event.event, event.json()) == ("reload", {"revision": _revision()})
    _never_shown(again, "take back")
    right_before = listen(server.url, last_event_id=str(before_delete))
    right_before.next_block()
    deleted = right_before.next_event()
    assert (deleted.event, deleted.json()) == ("delete", {"kind": "comment", "id": posted["id"]})


def test_a_reconnect_from_before_an_edit_reloads_and_never_gets_the_first_words(
    app, site, serve, listen, post
):
    server = serve(app)
    posted = post(server.url, "first words")
    before_edit = _revision()
    url = f"{server.url}/api/comments/{posted['id']}"
    token = {"X-Edit-Token": posted["edit_token"]}
    assert requests.patch(url, json={"body": "second words"}, headers=token, timeout=10).ok
    since = listen(server.url, since="0")
    since.next_block()
    assert since.next_event().event == "reload"
    _never_shown(since, "first words")
    right_before = listen(server.url, since=str(before_edit))
    right_before.next_block()
    edit = right_before.next_event()
    assert (edit.event, edit.json()["html"]) == ("edit", "<p>second words</p>")


def test_a_reconnect_from_before_a_spam_decision_reloads(app, site, serve, listen, post):
    server = serve(app)
    posted = post(server.url, "buy cheap things")
    post(server.url, "a later, honest comment")
    operator = create_account("op@example.org", "Op", None, operator_of=["blog"])
    db.session.commit()
    decide(db.session.get(Account, operator.id), [db.session.get(Comment, posted["id"])],
           Decision.SPAM)  # fmt: skip
    db.session.commit()
    again = listen(server.url, last_event_id="0")
    again.next_block()
    assert again.next_event().event == "reload"
    _never_shown(again, "cheap things")


def test_a_thread_made_again_after_a_merge_never_continues_the_old_one(
    app, site, serve, listen, post
):
    server = serve(app)
    post(server.url, "on the page that is merged away")
    post(server.url, "on the page that stays", url=OTHER_PAGE)
    reader = listen(server.url)
    reader.next_block()
    source, into = (db.session.get(Thread, _thread_id(url)) for url in (PAGE, OTHER_PAGE))
    merge_threads(source, into, actor="op")
    db.session.commit()
    gone = reader.next_event()
    assert gone.event == "reload"
    left_at = int(gone.fields["id"])
    while _revision() <= left_at:  # the page's new thread counts from 0 again, past left_at
        post(server.url, "on the page made again")
    again = listen(server.url, last_event_id=str(left_at))
    again.next_block()
    assert again.next_event().event == "reload"
    assert again.events_within(0.3) == []


def _thread_id(url: str) -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(Thread.id).where(Thread.url == url))


def test_a_batch_published_late_from_before_a_reset_is_never_replayed() -> None:
    shown = Batch("k", 1, 2, (Event("comment", {"id": 7}),), thread=3)
    taken_back = Batch("k", 2, 3, (Event("delete", {"kind": "comment", "id": 7}),), 3, True)
    assert chain([taken_back, shown], 1, 3) == ([], 1)  # the late one is dropped: a hole
    assert chain([taken_back, shown], 2, 3) == ([taken_back], 3)


def test_a_replay_never_chains_across_two_threads_of_one_page() -> None:
    old = Batch("k", 3, 4, (Event("reload", {"revision": 4}),), thread=1, resets=True)
    new = [Batch("k", n, n + 1, (), thread=2) for n in range(5)]
    assert chain([old, *new], 4, 2) == ([], 4)
    assert chain([old, *new], 5, 2) == ([], 5)  # nothing follows 5 yet
    assert chain(new, 3, 2) == (new[3:], 5)
