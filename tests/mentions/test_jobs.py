"""How jobs run: in-process threads with retries and a sweep (the embedded default), and
duplicate requests collapsing into one job, in-process and on RQ."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa
from werkzeug.wrappers import Response

from commentsvc import jobs
from commentsvc.extensions import db
from commentsvc.models import Mention, MentionKind, Verification
from commentsvc.services.mentions import check_claim, end_check, record_mention
from tests.mentions.helpers import TARGET, wait_for
from tests.workers.pages import link_page
from workers.mentions import verify_mention


def verification() -> list[Verification]:
    return [m.verification for m in db.session.scalars(sa.select(Mention))]


def test_in_process_job_retries_a_transient_failure(app, client, site, pages):
    app.config.update(JOBS_IN_PROCESS_WORKERS=1, JOBS_RETRY_DELAY_SCALE=0.01)

    def flaky(_request):
        if pages.hits("/flaky") == 1:
            return Response("busy", status=503)
        return Response(link_page(TARGET), content_type="text/html")

    source = pages.handle("/flaky", flaky)
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201
    wait_for(lambda: verification() == [Verification.VERIFIED])
    assert pages.hits("/flaky") == 2


def test_in_process_sweeper_finds_a_check_left_pending(app, site, pages):
    """A web process that stopped with a check pending picks it up after a restart."""
    source = pages.html("/p", link_page(TARGET))
    record_mention(site, check_claim(site, source, TARGET), MentionKind.PINGBACK, None)
    db.session.commit()  # recorded, never enqueued: as if the process died right here
    app.config.update(JOBS_IN_PROCESS_WORKERS=1, SWEEP_STALE_SECONDS=0, SWEEP_INTERVAL_SECONDS=0.2)
    stop = jobs.start_in_process_sweeper(app)
    try:
        wait_for(lambda: verification() == [Verification.VERIFIED])
    finally:
        stop.set()


runs: list[int] = []


job_release = threading.Event()


def slow_counting_job(number: int) -> None:
    """A job for the collapse test: runs until the test lets it go, then records its run."""
    job_release.wait(30)
    runs.append(number)


def wait_for_runs(expected: list[int]) -> None:
    deadline = time.monotonic() + 10
    while runs != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert runs == expected


def test_in_process_duplicate_requests_share_one_running_job(app):
    app.config.update(JOBS_IN_PROCESS_WORKERS=2)  # room for a duplicate to run, were it started
    runs.clear()
    job_release.clear()
    path = "tests.mentions.test_jobs.slow_counting_job"
    assert jobs.enqueue(path, 1, job_id="dup") == "dup"
    assert jobs.enqueue(path, 2, job_id="dup") == "dup"  # absorbed by the running job
    job_release.set()
    wait_for_runs([1])
    jobs.enqueue(path, 3, job_id="dup")  # that job is done: a new request runs again
    wait_for_runs([1, 3])


@pytest.mark.redis
def test_rq_duplicate_requests_collapse_into_the_waiting_job(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    for _ in range(3):
        jobs.enqueue("workers.mentions.verify_mention", 41, job_id="verify-mention-41")
    assert jobs.queue(app).get_job_ids() == ["verify-mention-41"]
    rescued = jobs.enqueue("workers.mentions.verify_mention", 41, job_id="verify-mention-41",
                           is_rescue=True)  # fmt: skip
    assert rescued == "verify-mention-41"
    assert jobs.queue(app).get_job_ids() == ["verify-mention-41"]


@pytest.mark.redis
def test_rq_rescue_requeues_a_job_lost_from_the_queue(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    rq_queue = jobs.queue(app)
    jobs.enqueue("workers.mentions.verify_mention", 42, job_id="verify-mention-42")
    rq_queue.connection.lrem(rq_queue.key, 0, "verify-mention-42")  # dequeued by a worker that died
    jobs.enqueue("workers.mentions.verify_mention", 42, job_id="verify-mention-42")
    assert rq_queue.get_job_ids() == []  # an ordinary request trusts the job's state
    jobs.enqueue("workers.mentions.verify_mention", 42, job_id="verify-mention-42", is_rescue=True)
    assert rq_queue.get_job_ids() == ["verify-mention-42"]


def test_webmention_resent_during_its_check_is_checked_again(app, client, site, pages):
    """The re-send's enqueue collapses into the running job; that job must not end the check
    with what it read before the re-send."""
    app.config.update(JOBS_IN_PROCESS_WORKERS=1)
    fetching, release = threading.Event(), threading.Event()
    titles = iter(["Before the edit", "After the edit"])

    def page(_request):
        title = next(titles)
        if title == "Before the edit":
            fetching.set()
            release.wait(30)
        return Response(link_page(TARGET, title=title), content_type="text/html")

    source = pages.handle("/post", page)
    assert (
        client.post("/webmention/blog", data={"source": source, "target": TARGET}).status_code
        == 201
    )
    assert fetching.wait(10)
    assert (
        client.post("/webmention/blog", data={"source": source, "target": TARGET}).status_code
        == 201
    )
    release.set()
    wait_for(lambda: not db.session.scalars(sa.select(Mention)).one().is_check_pending)
    mention = db.session.scalars(sa.select(Mention)).one()
    assert mention.title == "After the edit"
    assert mention.verification == Verification.VERIFIED
    assert pages.hits("/post") == 2


def test_unexpected_error_ends_the_check_on_the_last_attempt(app, client, site, pages, caplog,
                                                             monkeypatch):  # fmt: skip
    app.config.update(MENTION_MAX_ATTEMPTS=2)

    def broken(*_args):
        raise RuntimeError("a bug in the parser")

    monkeypatch.setattr("workers.mentions.read_document", broken)
    source = pages.html("/p", link_page(TARGET))
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201
    db.session.expire_all()  # the job ran in a session of its own
    mention = db.session.scalars(sa.select(Mention)).one()
    assert mention.is_check_pending and mention.attempts == 1  # the first attempt: retried
    assert any(r.exc_info and "a bug in the parser" in r.getMessage() + str(r.exc_info[1])
               for r in caplog.records)  # fmt: skip
    assert verify_mention(mention.id) == "rejected"  # the retry (queue or sweep) is the last
    db.session.expire_all()
    mention = db.session.scalars(sa.select(Mention)).one()
    assert not mention.is_check_pending
    assert mention.verification == Verification.REJECTED
    assert mention.rejection_code == "internal-error"
    assert mention.rejection_reason.startswith("internal error while checking")


def test_failure_to_store_the_result_ends_the_check_on_the_last_attempt(
    app, client, site, pages, monkeypatch
):
    app.config.update(MENTION_MAX_ATTEMPTS=1)
    calls = []

    def end_check_failing_once(mention, seen_seq):
        calls.append(seen_seq)
        if len(calls) == 1:
            raise RuntimeError("the database refused the row")
        return end_check(mention, seen_seq)

    monkeypatch.setattr("workers.mentions.end_check", end_check_failing_once)
    source = pages.html("/p", link_page(TARGET))
    assert (
        client.post("/webmention/blog", data={"source": source, "target": TARGET}).status_code
        == 201
    )
    db.session.expire_all()
    mention = db.session.scalars(sa.select(Mention)).one()
    assert not mention.is_check_pending
    assert mention.rejection_code == "internal-error"
    assert mention.verification == Verification.REJECTED


def test_source_with_a_published_time_out_of_range_is_verified(client, site, pages):
    extra = '<time class="dt-published" datetime="0001-01-01T00:00:00+05:00">long ago</time>'
    source = pages.html("/old", link_page(TARGET, extra=extra))
    assert (
        client.post("/webmention/blog", data={"source": source, "target": TARGET}).status_code
        == 201
    )
    mention = db.session.scalars(sa.select(Mention)).one()
    assert mention.verification == Verification.VERIFIED and not mention.is_check_pending
    assert mention.published_at is None
