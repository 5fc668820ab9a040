"""The events stream against a served app on Redis: what readers may see arrives, in order,
with the thread revision as its id, and nothing else."""

from __future__ import annotations

import requests

from commentsvc.extensions import db
from commentsvc.models import Account, Comment, Thread
from commentsvc.services.accounts import create_account
from commentsvc.services.moderation import Decision, decide
from tests.live.conftest import PAGE


def _revision() -> int:
    db.session.expire_all()
    return db.session.scalar(db.select(Thread.revision).where(Thread.url == PAGE))


def test_stream_opens_with_retry_and_streaming_headers(app, site, serve, listen):
    server = serve(app)
    reader = listen(server.url, origin="https://blog.example.org")
    assert reader.status == 200
    assert reader.headers["Content-Type"].startswith("text/event-stream")
    assert reader.headers["Cache-Control"] == "no-store"
    assert reader.headers["X-Accel-Buffering"] == "no"
    assert reader.headers["Access-Control-Allow-Origin"] == "https://blog.example.org"
    first = reader.next_block()
    assert first.fields == {"retry": "3000", "id": "0"}
    assert "keep-alive" in reader.next_block(timeout=2).comments


def test_posted_comment_arrives_with_the_revision_as_id(app, site, serve, listen, post):
    server = serve(app)
    reader = listen(server.url)
    reader.next_block()
    posted = post(server.url, "Hello **live**")
    event = reader.next_event()
    assert event.event == "comment"
    assert event.fields["id"] == str(_revision())
    data = event.json()
    assert data["id"] == posted["id"]
    assert data["parent"] is None
    assert data["html"] == "<p>Hello <strong>live</strong></p>"
    reply = post(server.url, "A reply", parent=posted["id"])
    assert reader.next_event().json()["parent"] == posted["id"] == reply["parent"]


def test_held_comment_is_never_sent_and_its_approval_is(app, held_site, serve, listen, post):
    server = serve(app)
    reader = listen(server.url, site="held")
    reader.next_block()
    posted = post(server.url, "Wait for me", site="held")
    assert reader.events_within(0.8) == []
    operator = create_account("op@example.org", "Op", None, operator_of=["held"])
    db.session.commit()
    decide(db.session.get(Account, operator.id), [db.session.get(Comment, posted["id"])],
           Decision.APPROVE)  # fmt: skip
    db.session.commit()
    event = reader.next_event()
    assert (event.event, event.json()["id"]) == ("comment", posted["id"])
    assert event.json()["html"] == "<p>Wait for me</p>"


def test_edit_and_delete_reach_readers(app, site, serve, listen, post):
    server = serve(app)
    posted = post(server.url, "First draft")
    token = {"X-Edit-Token": posted["edit_token"]}
    reader = listen(server.url)
    reader.next_block()
    url = f"{server.url}/api/comments/{posted['id']}"
    assert requests.patch(url, json={"body": "Second draft"}, headers=token, timeout=10).ok
    edit = reader.next_event()
    assert (edit.event, edit.json()["html"]) == ("edit", "<p>Second draft</p>")
    assert edit.json()["edited"] is not None
    assert requests.delete(url, headers=token, timeout=10).ok
    deleted = reader.next_event()
    assert deleted.event == "delete"
    assert deleted.json() == {"kind": "comment", "id": posted["id"]}
    assert deleted.fields["id"] == str(_revision())


def test_hostile_requests_get_problems_not_errors(app, site, serve, listen):
    server = serve(app)
    base = f"{server.url}/api/sites"
    cases = [
        (f"{base}/blog/thread/events", {}, 400),
        (f"{base}/blog/thread/events?url=not%20a%20url", {}, 400),
        (f"{base}/blog/thread/events?url=https://elsewhere.example/x", {}, 400),
        (f"{base}/nosuchsite/thread/events?url={PAGE}", {}, 404),
        (f"{base}/blog/thread/events?url={PAGE}", {"Last-Event-ID": "9" * 400}, 400),
        (f"{base}/blog/thread/events?url={PAGE}", {"Last-Event-ID": "-1"}, 400),
        (f"{base}/blog/thread/events?url={PAGE}", {"Last-Event-ID": "12abc"}, 400),
        (f"{base}/blog/thread/events?url={PAGE}&since=12abc", {}, 400),
        (f"{base}/blog/thread/events?url={PAGE}&since={'9' * 400}", {}, 400),
        (f"{base}/blog/thread/events?url={PAGE}&since=-1", {"Last-Event-ID": "3"}, 400),
    ]
    for url, headers, status in cases:
        answer = requests.get(url, headers=headers, timeout=5)
        assert answer.status_code == status, (url, headers, answer.text)
        assert answer.headers["Content-Type"] == "application/problem+json"


def test_open_streams_hold_no_database_connection(app, site, serve, listen, post):
    server = serve(app)
    db.session.remove()
    readers = [listen(server.url) for _ in range(5)]
    for reader in readers:
        reader.next_block()
    assert db.engine.pool.checkedout() == 0
    post(server.url, "Everyone gets this")
    assert {reader.next_event().json()["html"] for reader in readers} == {
        "<p>Everyone gets this</p>"
    }
