"""Enqueue background jobs by dotted path: on RQ when Redis is configured, in-process otherwise.

Callers record what the job must do in the database and commit *before* calling
:func:`enqueue`; a job takes ids, re-reads its rows and is idempotent, so a lost queue
loses no work (the sweep finds rows left pending).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from werkzeug.utils import import_string

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS: tuple[int, ...] = (10, 60, 300, 1800)
QUEUE_NAME = "commentsvc"
JOB_TIMEOUT_SECONDS = 120


def enqueue(
    job_path: str,
    *args: Any,
    job_id: str | None = None,
    retry_delays: Sequence[int] = DEFAULT_RETRY_DELAYS,
    is_rescue: bool = False,
) -> str | None:
    """Run ``job_path(*args)`` in the background, retrying with back-off on failure.

    Returns the id of the job that will do the work. With a ``job_id``, a job of that id
    still waiting or running absorbs the new request (duplicates collapse). ``is_rescue``
    (the sweep) replaces a job that claims to be running but whose worker is gone.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["REDIS_URL"]:
        return _enqueue_rq(app, job_path, args, job_id, retry_delays, is_rescue)
    return _enqueue_in_process(app, job_path, args, job_id, retry_delays)


def queue(app: Flask | None = None):
    """The RQ queue of this app (only when Redis is configured)."""
    from rq import Queue

    from commentsvc.redis_client import redis_connection

    return Queue(QUEUE_NAME, connection=redis_connection(app))


WAITING = frozenset({"queued", "scheduled", "deferred"})


def _existing_rq_job(rq_queue, job_id: str, is_rescue: bool):
    """The job to collapse into, or None after clearing a finished, failed or dead one."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    try:
        job = Job.fetch(job_id, connection=rq_queue.connection)
        status = job.get_status(refresh=False)
    except NoSuchJobError:
        return None
    if status in WAITING and (status != "queued" or not is_rescue):
        return job  # waiting in the queue, or held by the scheduler (retry back-off)
    if status == "queued" and rq_queue.connection.lpos(rq_queue.key, job.id) is not None:
        return job  # the sweep checks it really is in the queue, not lost half-dequeued
    if status == "started" and not is_rescue:
        return job
    job.delete()
    return None


def _enqueue_rq(app, job_path, args, job_id, retry_delays, is_rescue) -> str:
    from rq import Retry

    rq_queue = queue(app)
    if job_id:
        existing = _existing_rq_job(rq_queue, job_id, is_rescue)
        if existing is not None:
            return existing.id
    job = rq_queue.enqueue(
        job_path,
        *args,
        job_id=job_id,
        retry=Retry(max=len(retry_delays), interval=list(retry_delays)) if retry_delays else None,
        job_timeout=JOB_TIMEOUT_SECONDS,
        failure_ttl=7 * 24 * 3600,
        result_ttl=3600,
    )
    return job.id


_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()


def _executor(app: Flask) -> ThreadPoolExecutor:
    with _executors_lock:
        executor = _executors.get(id(app))
        if executor is None:
            workers = max(1, int(app.config["JOBS_IN_PROCESS_WORKERS"]))
            executor = ThreadPoolExecutor(workers, thread_name_prefix="commentsvc-job")
            _executors[id(app)] = executor
        return executor


_in_flight: dict[tuple[int, str], Future] = {}


def _enqueue_in_process(app, job_path, args, job_id, retry_delays) -> str | None:
    """The embedded default: the same job function, on a thread of this process."""
    if job_id:
        with _executors_lock:
            running = _in_flight.get((id(app), job_id))
        if running is not None and not running.done():
            return job_id
    if int(app.config["JOBS_IN_PROCESS_WORKERS"]) == 0:
        try:
            _run_once(app, job_path, args)
        except Exception:  # the failure is logged; the sweep retries later
            log.exception("job %s%r failed", job_path, args)
        return job_id
    scale = float(app.config.get("JOBS_RETRY_DELAY_SCALE", 1.0))
    delays = tuple(delay * scale for delay in retry_delays)
    future = _submit(app, job_path, args, delays)
    if job_id:
        with _executors_lock:
            _in_flight[(id(app), job_id)] = future
        future.add_done_callback(lambda done: _forget(id(app), job_id, done))
    return job_id


def _forget(app_id: int, job_id: str, future: Future) -> None:
    with _executors_lock:
        if _in_flight.get((app_id, job_id)) is future:
            del _in_flight[(app_id, job_id)]


def _run_once(app: Flask, job_path: str, args: tuple) -> Any:
    with app.app_context():
        return import_string(job_path)(*args)


def _submit(app: Flask, job_path: str, args: tuple, delays: Sequence[float]) -> Future:
    """Run the job on the pool; on failure, a timer (not a sleeping pool thread) retries it."""

    def attempt() -> Any:
        try:
            return _run_once(app, job_path, args)
        except Exception:
            if not delays:
                log.exception("job %s%r failed for good", job_path, args)
                raise
            log.warning("job %s%r failed; retry in %ss", job_path, args, delays[0], exc_info=True)
            timer = threading.Timer(delays[0], _submit, (app, job_path, args, delays[1:]))
            timer.daemon = True
            timer.start()
            raise

    return _executor(app).submit(attempt)


def start_in_process_sweeper(app: Flask) -> threading.Event:
    """The embedded default's sweep: a daemon thread re-enqueues lost mention checks.

    With Redis the workers sweep; without it the web process does (checks pending when it
    last stopped are found after a restart). Set the returned event to stop it.
    """
    stop = threading.Event()
    if app.config["REDIS_URL"] or int(app.config["JOBS_IN_PROCESS_WORKERS"]) == 0:
        return stop
    interval = float(app.config["SWEEP_INTERVAL_SECONDS"])

    def loop() -> None:
        while True:
            try:
                with app.app_context():
                    import_string("workers.sweep.sweep")()
            except Exception:
                log.exception("in-process sweep failed; it runs again next interval")
            if stop.wait(interval):
                return

    threading.Thread(target=loop, name="commentsvc-sweep", daemon=True).start()
    return stop
