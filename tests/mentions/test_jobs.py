"""How jobs run: in-process threads with retries and a sweep (the embedded default), and
duplicate requests collapsing into one job, in-process and on RQ."""

from __future__ import annotations

import itertools
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.utils import import_string
from werkzeug.wrappers import Response

from commentsvc import jobs
from commentsvc.extensions import db
from commentsvc.job_names import Job, verify_mention_job_id
from commentsvc.models import Mention, MentionKind, Verification
from commentsvc.services.mentions import check_claim, end_check, record_mention
from tests.mentions.helpers import TARGET, wait_for
from tests.workers.pages import link_page
from workers.fetch import TransientFetchError
from workers.mentions import verify_mention
from workers.sweep import sweep


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
        jobs.enqueue(Job.VERIFY_MENTION, 41, job_id=verify_mention_job_id(41))
    assert jobs.queue(app).get_job_ids() == ["verify-mention-41"]
    rescued = jobs.enqueue(Job.VERIFY_MENTION, 41, job_id=verify_mention_job_id(41),
                           is_rescue=True)  # fmt: skip
    assert rescued == "verify-mention-41"
    assert jobs.queue(app).get_job_ids() == ["verify-mention-41"]


@pytest.mark.redis
def test_rq_rescue_requeues_a_job_lost_from_the_queue(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    rq_queue = jobs.queue(app)
    jobs.enqueue(Job.VERIFY_MENTION, 42, job_id=verify_mention_job_id(42))
    rq_queue.connection.lrem(rq_queue.key, 0, "verify-mention-42")  # dequeued by a worker that died
    jobs.enqueue(Job.VERIFY_MENTION, 42, job_id=verify_mention_job_id(42))
    assert rq_queue.get_job_ids() == []  # an ordinary request trusts the job's state
    jobs.enqueue(Job.VERIFY_MENTION, 42, job_id=verify_mention_job_id(42), is_rescue=True)
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


@pytest.mark.parametrize("job", list(Job))
def test_every_job_name_is_a_job_function(job):
    assert callable(import_string(job))


def the_mention() -> Mention:
    db.session.expire_all()  # jobs write in sessions of their own
    return db.session.scalars(sa.select(Mention)).one()


def send_down_source(client, pages) -> str:
    source = pages.add("/down", b"busy", status=503)
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201
    return source


def test_failed_attempts_record_the_documented_back_off(app, client, site, pages):
    """10 s, 1 min, 5 min, 30 min after the first to fourth failures; then rejected."""
    send_down_source(client, pages)  # attempt 1, inline
    waits = []
    for attempt in range(2, 6):
        mention = the_mention()
        waits.append((mention.next_attempt_at - mention.updated_at).total_seconds())
        if attempt < 5:
            with pytest.raises(TransientFetchError):
                verify_mention(mention.id)  # what the queue runs when the retry is due
    assert waits == [10, 60, 300, 1800]
    assert verify_mention(the_mention().id) == "rejected"
    assert the_mention().attempts == 5 and pages.hits("/down") == 5


def shift_back(mention_id: int, seconds: float) -> None:
    """Move a mention's clock back: as the database looks ``seconds`` later."""
    back = timedelta(seconds=seconds)
    mention = db.session.get(Mention, mention_id)
    mention.updated_at -= back
    mention.next_attempt_at -= back
    db.session.commit()


def test_sweep_leaves_a_check_waiting_for_its_retry_alone_and_rescues_a_lost_one(
    client, site, pages
):
    """The issue's reproduction: tried at +0, +10 and +70 s, the check waits for +370 s.
    At +225 s the sweep must leave it alone; once its retry is overdue by the margin (its job
    was lost), the sweep queues it again."""
    send_down_source(client, pages)
    mention_id = the_mention().id
    for _ in range(2):
        with pytest.raises(TransientFetchError):
            verify_mention(mention_id)
    assert the_mention().attempts == 3  # the third attempt at +70 s: next one at +370 s
    shift_back(mention_id, 155)  # now is +225 s
    assert sweep() == 0
    assert pages.hits("/down") == 3 and the_mention().attempts == 3
    shift_back(mention_id, 300 - 155 + 121)  # now is +491 s: the +370 s retry never ran
    assert sweep() == 1  # re-queued (run inline here): the fourth attempt
    assert pages.hits("/down") == 4 and the_mention().attempts == 4


def test_sweep_leaves_a_check_just_asked_for_alone(client, site, pages, app):
    app.config.update(JOBS_IN_PROCESS_WORKERS=1)
    source = pages.html("/p", link_page(TARGET))
    record_mention(site, check_claim(site, source, TARGET), MentionKind.WEBMENTION, None)
    db.session.commit()  # its job is (as far as the sweep knows) queued right now
    assert sweep() == 0
    assert pages.hits("/p") == 0


retry_runs: list[str] = []
retry_done = threading.Event()


def failing_once_job(label: str) -> None:
    """A job for the back-off test: fails the first time, then succeeds."""
    retry_runs.append(label)
    if len(retry_runs) == 1:
        raise RuntimeError("the source is down")
    retry_done.set()


def test_in_process_retry_waiting_on_its_timer_absorbs_a_new_request(app):
    """A job waiting out its back-off is not lost: the sweep's (or a re-send's) request
    collapses into it instead of starting a second round of attempts at once."""
    app.config.update(JOBS_IN_PROCESS_WORKERS=1, JOBS_RETRY_DELAY_SCALE=0.05)  # retry in 0.5 s
    retry_runs.clear()
    retry_done.clear()
    path = "tests.mentions.test_jobs.failing_once_job"
    jobs.enqueue(path, "first", job_id="waiting")
    wait_for(lambda: retry_runs == ["first"])
    assert jobs.enqueue(path, "rescue", job_id="waiting", is_rescue=True) == "waiting"
    assert retry_done.wait(10)
    # A second round would have run "rescue" on the one pool thread before the timer fired.
    assert retry_runs == ["first", "first"]


def test_in_process_runner_follows_the_back_off_with_the_sweep_running(app, client, site, pages):
    """The embedded default at 1/100 scale (0.1 s, 0.6 s, 3 s; the sweep's margin 1.2 s, run
    every 0.2 s): the attempts keep their schedule and the fourth is the last."""
    app.config.update(
        JOBS_IN_PROCESS_WORKERS=1,
        JOBS_RETRY_DELAY_SCALE=0.01,
        MENTION_MAX_ATTEMPTS=4,
        SWEEP_STALE_SECONDS=1.2,
        SWEEP_INTERVAL_SECONDS=0.2,
    )
    hit_times: list[float] = []

    def down(_request):
        hit_times.append(time.monotonic())
        return Response("busy", status=503)

    stop = jobs.start_in_process_sweeper(app)
    try:
        source = pages.handle("/down", down)
        response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
        assert response.status_code == 201
        wait_for(lambda: not the_mention().is_check_pending)
    finally:
        stop.set()
    mention = the_mention()
    assert mention.verification == Verification.REJECTED and mention.attempts == 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(hit_times)]
    assert len(hit_times) == 4
    assert [gap >= delay for gap, delay in zip(gaps, (0.1, 0.6, 3.0), strict=True)] == [True] * 3


@pytest.mark.redis
def test_rq_retry_is_scheduled_when_the_database_says_and_the_sweep_leaves_it(
    app, client, site, pages, redis_url
):
    """On RQ the retry waits in the scheduler: the mention records the same due time, the
    sweep leaves the scheduled job alone, and rescues the check once Redis has lost it."""
    from redis import Redis
    from rq import SimpleWorker

    app.config["REDIS_URL"] = redis_url
    send_down_source(client, pages)
    rq_queue = jobs.queue(app)
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    mention = the_mention()
    assert mention.attempts == 1 and mention.is_check_pending
    job_id = verify_mention_job_id(mention.id)
    registry = rq_queue.scheduled_job_registry
    assert registry.get_job_ids() == [job_id]
    scheduled = registry.get_scheduled_time(job_id)
    assert abs((scheduled - mention.next_attempt_at).total_seconds()) < 2
    shift_back(mention.id, 60)  # its retry is due in ~10 s: a minute later, without a worker
    assert sweep() == 0
    assert registry.get_job_ids() == [job_id] and rq_queue.get_job_ids() == []
    Redis.from_url(redis_url).flushall()  # the scheduled job is lost
    shift_back(mention.id, 121)
    assert sweep() == 1
    assert rq_queue.get_job_ids() == [job_id]
