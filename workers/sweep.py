"""Find mention checks whose job was lost, and queue them again.

Redis is not the source of truth: a check lost with a flushed Redis, held by a worker that
died mid-job, or waiting on a timer of a web process that stopped, stays pending in the
database. Every ``SWEEP_INTERVAL_SECONDS`` one worker (a Redis lock picks it; in the embedded
default, the web process) re-enqueues the checks whose next attempt (``next_attempt_at``) is
overdue by more than ``SWEEP_STALE_SECONDS``. A check waiting out a retry's back-off is due
later, so it is left alone; a job still waiting in the queue absorbs the request, a dead one
is replaced.

Queued outbound sends are swept the same way: one overdue by the margin was lost, or was
postponed (a host's rate limit or back-off, no free slot) and is due again. So are uploaded
imports still queued, or running without a heartbeat, after the margin (an import is
idempotent: running it again resumes it).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from commentsvc.extensions import db
from commentsvc.job_names import Job, send_mention_job_id, verify_mention_job_id
from commentsvc.jobs import enqueue
from commentsvc.models.base import utcnow
from commentsvc.services.mentions import overdue_checks
from commentsvc.services.outbound import overdue_sends
from commentsvc.services.uploads import enqueue_import, lost_uploads
from workers.feeds import enqueue_due_work

log = logging.getLogger(__name__)


def sweep() -> int:
    """Re-enqueue lost checks and due sends (call inside an app context); returns how many."""
    margin = timedelta(seconds=float(current_app.config["SWEEP_STALE_SECONDS"]))
    ids = overdue_checks(utcnow() - margin)
    send_ids = overdue_sends(utcnow() - margin)
    upload_ids = lost_uploads(margin)
    db.session.rollback()  # nothing to write; end the read before jobs start elsewhere
    for mention_id in ids:
        enqueue(
            Job.VERIFY_MENTION,
            mention_id,
            job_id=verify_mention_job_id(mention_id),
            is_rescue=True,
        )
    if ids:
        log.info("sweep: re-enqueued %d lost mention check(s)", len(ids))
    for send_id in send_ids:
        enqueue(Job.SEND_MENTION, send_id, job_id=send_mention_job_id(send_id), is_rescue=True)
    if send_ids:
        log.info("sweep: re-enqueued %d due or lost outbound send(s)", len(send_ids))
    for upload_id in upload_ids:
        enqueue_import(upload_id, is_rescue=True)
    if upload_ids:
        log.info("sweep: re-enqueued %d lost import(s)", len(upload_ids))
    enqueue_due_work()  # due feed checks and lost post reads (outbound mentions)
    return len(ids) + len(send_ids) + len(upload_ids)
