"""Job outcomes, mention verifications and mail, counted by a real `commentsvc worker` process
into Redis and read by the web process's /metrics; the worker's JSON log lines of a job carry
the id of the request that enqueued it."""

from __future__ import annotations

import json

import pytest

from commentsvc.extensions import db
from commentsvc.job_names import Job
from commentsvc.jobs import queue
from commentsvc.services.accounts import create_account
from tests.workers.pages import link_page

pytestmark = pytest.mark.redis
TARGET = "https://blog.example.org/2026/hello"
VERIFY = str(Job.VERIFY_MENTION)


@pytest.fixture
def app_config(app_config, redis_url):
    # Mail goes to a loopback port where nothing listens: every send fails.
    return {**app_config, "REDIS_URL": redis_url, "SMTP_URL": "smtp://127.0.0.1:9"}


def test_worker_counts_job_outcomes_verifications_and_mail_that_metrics_report(
    app, client, site, pages, scrape, sample, run_worker
):
    linked = pages.html("/linked", link_page(TARGET))
    gone = pages.html("/gone", "gone", status=410)
    for source, request_id in ((linked, "req-linked"), (gone, "req-gone")):
        response = client.post(
            "/webmention/blog",
            data={"source": source, "target": TARGET},
            headers={"X-Request-ID": request_id},
        )
        assert response.status_code == 201
    account = create_account("reader@example.org", "Reader", "a long password 123")
    db.session.commit()
    queue(app).enqueue(Job.SEND_VERIFICATION, account.id, "http://comments.test")  # no retry

    waiting = scrape()
    assert sample(waiting, "commentsvc_queue_jobs", queue="commentsvc") == 3
    assert sample(waiting, "commentsvc_redis_up") == 1

    log = run_worker()

    after = scrape()
    jobs = "commentsvc_jobs_total"
    assert sample(after, jobs, kind=VERIFY, outcome="succeeded") == 2
    assert sample(after, jobs, kind=str(Job.SEND_VERIFICATION), outcome="failed") == 1
    verifications = "commentsvc_mention_verifications_total"
    assert sample(after, verifications, outcome="verified", reason="") == 1
    assert sample(after, verifications, outcome="gone", reason="gone") == 1
    assert sample(after, "commentsvc_mails_total", outcome="failed") == 1
    assert sample(after, "commentsvc_queue_jobs", queue="commentsvc") == 0
    assert sample(after, "commentsvc_queue_failed_jobs", queue="commentsvc") == 1

    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert len(lines) == len(log.splitlines()), log  # every line the worker wrote is JSON
    by_request = {line["request_id"] for line in lines if line["logger"] == "workers.mentions"}
    assert by_request == {"req-linked", "req-gone"}
    assert "reader@example.org" not in log
