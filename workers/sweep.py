"""Find mention checks that were asked for and never finished, and queue them again.

Redis is not the source of truth: a check lost with a flushed Redis, or held by a worker
that died mid-job, stays pending in the database. Every ``SWEEP_INTERVAL_SECONDS`` one
worker (a Redis lock picks it) re-enqueues those pending longer than ``SWEEP_STALE_SECONDS``;
a job still waiting in the queue absorbs the request, a dead one is replaced.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from commentsvc.extensions import db
from commentsvc.jobs import enqueue
from commentsvc.mentions.receive import VERIFY_JOB, verify_job_id
from commentsvc.models.base import utcnow
from commentsvc.services.mentions import pending_checks

log = logging.getLogger(__name__)


def sweep() -> int:
    """Re-enqueue stale pending checks (call inside an app context); returns how many."""
    older_than = utcnow() - timedelta(seconds=float(current_app.config["SWEEP_STALE_SECONDS"]))
    ids = pending_checks(older_than)
    db.session.rollback()  # nothing to write; end the read before jobs start elsewhere
    for mention_id in ids:
        enqueue(VERIFY_JOB, mention_id, job_id=verify_job_id(mention_id), is_rescue=True)
    if ids:
        log.info("sweep: re-enqueued %d pending mention check(s)", len(ids))
    return len(ids)
