"""What readers are shown of votes: one set of counts per revision, live streams kept in step,
reads that survive a database refusing the write, and deleted accounts' votes gone."""

from __future__ import annotations

import logging
import time

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.live.batches import stream_key
from commentsvc.live.bus import live_bus
from commentsvc.models import Account, Comment, Thread
from commentsvc.services.account_data import CommentFate, delete_account
from commentsvc.services.thread_cache import CACHE_KEY
from tests.votes.conftest import PAGE


@pytest.fixture
def app_config(app_config):
    app_config["VOTE_SHOW_SECONDS"] = 0.0  # every read shows the votes before it
    app_config["THREAD_STATE_SECONDS"] = 0.0
    return app_config


def as_another_process(app) -> None:
    """Drop everything this process remembers of threads: the next read builds afresh."""
    app.extensions.pop(CACHE_KEY, None)


def scores(response) -> dict[int, int]:
    return {node["id"]: node["score"] for node in response.json["comments"]}


def test_one_revision_renders_the_same_scores_and_order_in_every_process(
    app, posted, reader, browser_at
) -> None:
    app.config["VOTE_SHOW_SECONDS"] = 3600.0
    first, second = posted("first"), posted("second")
    before = reader.thread(sort="top")
    assert browser_at("10.0.10.1").vote(second, 1).json["score"] == 1  # the live score
    as_another_process(app)
    after = reader.thread(sort="top")
    assert after.headers["ETag"] == before.headers["ETag"]
    assert after.get_data() == before.get_data()
    assert [node["id"] for node in after.json["comments"]] == [first, second]
    assert scores(after) == {first: 0, second: 0}


def test_votes_show_with_a_new_revision_in_score_and_top_order(
    app, posted, reader, browser_at
) -> None:
    first, second = posted("first"), posted("second")
    before = reader.thread(sort="top")
    browser_at("10.0.10.2").vote(second, 1)
    shown = reader.thread(sort="top")
    assert shown.headers["ETag"] != before.headers["ETag"]
    assert [node["id"] for node in shown.json["comments"]] == [second, first]
    assert scores(shown) == {first: 0, second: 1}


def test_an_index_page_read_all_the_time_keeps_no_vote_from_showing(
    app, posted, reader, browser_at
) -> None:
    """/counts remembers the pages' states for the thread read too: it must remember when
    their votes fall due, or a busy index page would keep a post's votes hidden."""
    app.config["THREAD_STATE_SECONDS"] = 60.0
    app.config["VOTE_SHOW_SECONDS"] = 0.3
    as_another_process(app)  # the cache takes the settings when it is made
    comment = posted("first")
    browser_at("10.0.10.3").vote(comment, 1)
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:
        counts = reader.client.get("/api/sites/blog/counts", query_string={"url": PAGE})
        assert counts.status_code == 200
    assert scores(reader.thread()) == {comment: 1}


def test_showing_votes_continues_the_live_streams_chain_with_an_empty_batch(
    app, posted, reader, browser_at
) -> None:
    comment_id = posted()
    reader.thread()
    thread = db.session.scalar(sa.select(Thread))
    key = stream_key("blog", thread.identity)
    revision = thread.revision
    assert live_bus(app).logged(key)[-1].end == revision
    browser_at("10.0.10.3").vote(comment_id, 1)
    assert scores(reader.thread()) == {comment_id: 1}
    batch = live_bus(app).logged(key)[-1]
    assert (batch.start, batch.end, batch.events) == (revision, revision + 1, ())


@pytest.fixture
def refusing_thread_writes(app):
    """The database refuses writes to threads, as a read-only replica does; ``stop()``."""
    is_postgres = db.engine.dialect.name == "postgresql"
    with db.engine.begin() as connection:
        if is_postgres:
            connection.exec_driver_sql(
                "CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'read-only'; END $$"
            )
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_thread_write BEFORE UPDATE ON thread "
                "FOR EACH ROW EXECUTE FUNCTION refuse_write()"
            )
        else:
            connection.exec_driver_sql(
                "CREATE TRIGGER refuse_thread_write BEFORE UPDATE ON thread "
                "BEGIN SELECT RAISE(ABORT, 'read-only'); END"
            )

    def stop() -> None:
        with db.engine.begin() as connection:
            suffix = " ON thread" if is_postgres else ""
            connection.exec_driver_sql(f"DROP TRIGGER refuse_thread_write{suffix}")

    return stop


def test_read_serves_the_thread_without_the_votes_when_the_database_refuses_the_write(
    app, posted, reader, browser_at, request, caplog
) -> None:
    comment_id = posted()
    before = reader.thread()
    browser_at("10.0.10.4").vote(comment_id, 1)
    stop = request.getfixturevalue("refusing_thread_writes")
    with caplog.at_level(logging.WARNING, logger="commentsvc.api.threads"):
        refused = reader.thread()
    assert refused.status_code == 200
    assert refused.headers["ETag"] == before.headers["ETag"]
    assert scores(refused) == {comment_id: 0}
    assert "must reach the primary" in caplog.text
    stop()
    as_another_process(app)
    assert scores(reader.thread()) == {comment_id: 1}  # the mark stayed: shown once it can be


def test_deleting_an_account_takes_its_votes_off_the_scores(
    posted, reader, browser_at, reader_account
) -> None:
    comment_id = posted()
    browser_at("10.0.10.5").sign_in(reader_account).vote(comment_id, 1, voter=None)
    browser_at("10.0.10.6").vote(comment_id, 1)
    assert scores(reader.thread()) == {comment_id: 2}
    delete_account(db.session.get(Account, reader_account.id), CommentFate.ANONYMISE)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Comment, comment_id).score == 1
    assert scores(reader.thread()) == {comment_id: 1}
