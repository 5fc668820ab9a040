"""What the hot requests cost in round trips: queries per post, title jobs per thread, and the
CORS header the reads share. Counts, never timings (bench/ measures those)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

import commentsvc.api.comments as comment_views
from commentsvc.extensions import db
from commentsvc.job_names import Job
from commentsvc.models import Comment, Thread
from commentsvc.services.comments import post_comment, post_target
from commentsvc.services.drafts import CommentDraft
from tests.api.conftest import PAGE

ORIGIN = {"Origin": "https://blog.example.org"}


def writes_of_a_visible_comment() -> int:
    """SQLite inserts the comment, then recounts its thread (services/threads.touch_thread);
    PostgreSQL does both in one statement (services/comments._insert_counted_statement)."""
    return 1 if db.engine.dialect.name == "postgresql" else 2


@pytest.fixture
def statements(app) -> Iterator[list[str]]:
    """Every SQL statement the app's engine runs while the test runs."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    sa.event.remove(db.engine, "before_cursor_execute", note)


@pytest.fixture
def enqueued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The jobs the comment views enqueue, recorded and not run: a title job run inline would
    mark the thread's title checked, and the thread would stop asking for one."""
    names: list[str] = []

    def spy(job_path, *_args, **_kwargs) -> None:
        names.append(str(job_path))

    monkeypatch.setattr(comment_views, "enqueue", spy)
    return names


def test_a_post_to_an_existing_thread_reads_once_and_writes(client, site, statements) -> None:
    path = f"/api/sites/{site.name}/comments"
    assert client.post(path, json={"url": PAGE, "body": "First", "name": "Ann"}).status_code == 201
    statements.clear()

    assert client.post(path, json={"url": PAGE, "body": "Then", "name": "Bo"}).status_code == 201

    # The site with the thread and any ban on the poster, then the comment's INSERT and the
    # thread's count; the thread is not read again after (the new comment already holds it).
    assert len(statements) == 1 + writes_of_a_visible_comment(), statements
    assert statements[0].lstrip().upper().startswith("SELECT SITE")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_guest_post_commits_statement_by_statement_unless_it_writes_more(
    client, site, app
) -> None:
    """A guest's post to a page with a thread writes one statement: it commits alone, with
    no BEGIN and COMMIT round trips. A new page's thread and its first comment commit
    together, and so does a post that also records its notification address."""
    modes: list[tuple[str, bool]] = []

    def note(connection, _cursor, statement, *_args) -> None:
        autocommit = connection.connection.dbapi_connection.autocommit
        modes.append((statement.split(None, 1)[0].upper(), autocommit))

    path = f"/api/sites/{site.name}/comments"
    db.session.remove()  # as a request starts: the test's app context shares its session
    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        first = client.post(path, json={"url": PAGE, "body": "First", "name": "Ann"})
        on_a_new_page = list(modes)
        modes.clear()
        assert (
            client.post(path, json={"url": PAGE, "body": "Then", "name": "Bo"}).status_code == 201
        )
        on_its_page = list(modes)
        modes.clear()
        notify = {"url": PAGE, "body": "Tell me", "email": "cy@example.org", "notify": True}
        assert client.post(path, json=notify).status_code == 201
        with_an_address = list(modes)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)

    assert first.status_code == 201
    assert on_a_new_page[0] == ("SELECT", True)  # the site, before anything is written
    written = on_a_new_page.index(("WITH", False)) + 1  # then the title job runs, inline
    assert on_a_new_page[:written] == [
        ("SELECT", True),  # the site (its page has no thread yet), before anything is written
        ("INSERT", False),  # the thread, in a transaction from here on
        ("SELECT", False),
        ("WITH", False),  # the comment, and its count
    ]
    assert on_its_page == [("SELECT", True), ("WITH", True)]
    assert {autocommit for _, autocommit in with_an_address} == {False}


def test_a_reply_reads_its_parent_with_the_site_and_thread(
    client, site, statements, enqueued
) -> None:
    path = f"/api/sites/{site.name}/comments"
    first = client.post(path, json={"url": PAGE, "body": "First", "name": "Ann"})
    statements.clear()

    reply = {"url": PAGE, "body": "Reply", "name": "Bo", "parent": first.json["id"]}
    assert client.post(path, json=reply).json["parent"] == first.json["id"]

    # its notification job: recorded
    assert len(statements) == 1 + writes_of_a_visible_comment(), statements
    assert Job.NOTIFY_REPLY in enqueued


def test_an_untitled_thread_asks_for_its_title_once_per_interval(
    post, enqueued, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):
        assert post(f"Comment {n}").status_code == 201
    assert enqueued.count(Job.FETCH_THREAD_TITLE) == 1

    monkeypatch.setattr(comment_views, "TITLE_ASK_SECONDS", 0.0)
    assert post("After the interval").status_code == 201
    assert post("And again").status_code == 201

    assert enqueued.count(Job.FETCH_THREAD_TITLE) == 3


def test_each_new_thread_asks_for_its_own_title(post, enqueued) -> None:
    assert post("Here").status_code == 201
    assert post("There", url=f"{PAGE}/other").status_code == 201

    assert enqueued.count(Job.FETCH_THREAD_TITLE) == 2


def test_reads_from_a_site_name_origin_once_in_vary(client, post) -> None:
    assert post("Hello").status_code == 201

    thread = client.get("/api/sites/blog/thread", query_string={"url": PAGE}, headers=ORIGIN)
    counts = client.get("/api/sites/blog/counts", query_string={"url": PAGE}, headers=ORIGIN)

    for response in (thread, counts):
        assert response.status_code == 200
        names = [name.strip().lower() for name in response.headers["Vary"].split(",")]
        assert names.count("origin") == 1
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN["Origin"]


def test_a_posted_comment_comes_back_whole_and_known_to_the_session(app, site) -> None:
    """The comment's INSERT ... RETURNING skips the unit of work: what it hands back must still
    be the session's persistent row, every column loaded (reading one runs no query)."""
    draft = CommentDraft(
        url=PAGE,
        body_markdown="Hello",
        body_html="<p>Hello</p>",
        parent_id=None,
        author_name="Ann",
        author_email=None,
        author_website=None,
        is_notify=False,
        ip_hash="0" * 64,
    )
    with app.test_request_context():
        target = post_target(site.name, draft, None)
        comment = post_comment(target.site, draft, None, target).comment

        state = sa.inspect(comment)
        assert state.persistent and not state.unloaded and not state.modified
        assert db.session.get(Comment, comment.id) is comment
        assert comment.thread is db.session.get(Thread, comment.thread_id)
        db.session.commit()
        assert db.session.get(Comment, comment.id).body_html == "<p>Hello</p>"
