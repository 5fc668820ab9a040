"""Enqueue background jobs by dotted path: on RQ when Redis is configured, in-process otherwise.

Callers record what the job must do in the database and commit *before* calling
:func:`enqueue`; a job takes ids, re-reads its rows and is idempotent, so a lost queue
loses no work (the sweep finds rows left pending). The paths are named in
:mod:`commentsvc.job_names`.

Either way the job runs off the request thread: the embedded default hands it to a thread
pool of this process, so a slow remote page never holds a web worker. Only
``JOBS_IN_PROCESS_WORKERS = 0`` (tests and one-off scripts) runs a job inline, in the caller.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app
from werkzeug.utils import import_string

from commentsvc.job_names import Job
from commentsvc.request_ids import current_request_id, enter_job, leave_job

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """A job's expected, transient failure (the other end is down or slow): the queue retries
    it, and the log says so in one line, without a traceback that points at no bug."""


# After the first attempt fails: 10 s, 1 min, 5 min, 30 min (then the job has failed for good).
DEFAULT_RETRY_DELAYS: tuple[int, ...] = (10, 60, 300, 1800)
QUEUE_NAME = "commentsvc"
JOB_TIMEOUT_SECONDS = 120


def retry_schedule(config: Mapping[str, Any]) -> tuple[float, ...]:
    """The back-off between attempts, in seconds, as this app runs it.

    ``JOBS_RETRY_DELAY_SCALE`` (1 unless a test shortens the schedule) scales it for RQ and
    the in-process runner alike; jobs read it too, to record when their next attempt is due
    (the sweep leaves a job waiting for its retry alone).
    """
    scale = float(config.get("JOBS_RETRY_DELAY_SCALE", 1.0))
    return tuple(delay * scale for delay in DEFAULT_RETRY_DELAYS)


def enqueue(
    job_path: str,
    *args: Any,
    job_id: str | None = None,
    retry_delays: Sequence[float] | None = None,
    is_rescue: bool = False,
    timeout: float | None = None,
) -> str | None:
    """Run ``job_path(*args)`` in the background, retrying with back-off on failure.

    Returns the id of the job that will do the work. With a ``job_id``, a job of that id
    still waiting, running or waiting for its retry absorbs the new request (duplicates
    collapse). ``is_rescue`` (the sweep) replaces a job that claims to be running but whose
    worker is gone. ``retry_delays`` defaults to the app's :func:`retry_schedule`.
    ``timeout`` (seconds) replaces RQ's :data:`JOB_TIMEOUT_SECONDS` for a job known to be long
    (an import); the in-process runner sets no limit.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    delays = tuple(retry_schedule(app.config) if retry_delays is None else retry_delays)
    if app.config["REDIS_URL"]:
        return _enqueue_rq(app, str(job_path), args, job_id, delays, is_rescue, timeout)
    return _enqueue_in_process(app, str(job_path), args, job_id, delays)


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


def _enqueue_rq(app, job_path, args, job_id, retry_delays, is_rescue, timeout) -> str:
    rq_queue = queue(app)
    if job_id:
        existing = _existing_rq_job(rq_queue, job_id, is_rescue)
        if existing is not None:
            return existing.id
    request_id = current_request_id()
    job = rq_queue.enqueue(
        job_path,
        *args,
        job_id=job_id,
        meta={"request_id": request_id} if request_id else None,  # the worker logs it
        retry=_rq_retry(retry_delays),
        job_timeout=timeout or JOB_TIMEOUT_SECONDS,
        failure_ttl=7 * 24 * 3600,
        result_ttl=3600,
    )
    return job.id


def _rq_retry(delays: Sequence[float]):
    """RQ's scheduler counts whole seconds: a shortened (test) schedule rounds up to 1 s."""
    from rq import Retry

    if not delays:
        return None
    return Retry(max=len(delays), interval=[max(1, math.ceil(delay)) for delay in delays])


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


def stop_in_process_jobs(app: Flask) -> None:
    """On the way out: drop ``app``'s jobs still waiting in its pool and take no more. At
    exit the interpreter waits for its pools, and a pool finishes its whole queue first (a
    demo stopped with Ctrl-C then kept on fetching and sending); what was dropped is found
    again by the sweep after the next start, or is a retry a later one makes anyway."""
    with _executors_lock:
        executor = _executors.pop(id(app), None)
    if executor is not None:
        executor.shutdown(wait=False, cancel_futures=True)


# Jobs of this process by id, from the first attempt until the last: running, or waiting on
# a timer for a retry. A request for the same id meanwhile (a re-sent webmention, the sweep)
# collapses into it, so the back-off is never cut short by a second chain of attempts.
_in_flight: dict[tuple[int, str], Future] = {}


def _enqueue_in_process(app, job_path, args, job_id, retry_delays) -> str | None:
    """The embedded default: the same job function, on a thread of this process."""
    call = (job_path, args, current_request_id())  # the pool thread logs the request's id
    chain: Future = Future()
    if job_id:
        key = (id(app), job_id)
        with _executors_lock:
            running = _in_flight.get(key)
            if running is not None and not running.done():
                return job_id
            _in_flight[key] = chain
        chain.add_done_callback(lambda done: _forget(key, done))
    if int(app.config["JOBS_IN_PROCESS_WORKERS"]) == 0:
        _run_inline(app, call, chain)
        return job_id
    _attempt(app, call, tuple(retry_delays), chain)
    return job_id


def _forget(key: tuple[int, str], chain: Future) -> None:
    with _executors_lock:
        if _in_flight.get(key) is chain:
            del _in_flight[key]


# What the in-process runner calls: (job path, arguments, id of the request that enqueued it).
Call = tuple[str, tuple, str | None]


def _run_once(app: Flask, call: Call) -> Any:
    job_path, args, request_id = call
    token = enter_job(request_id)
    try:
        with app.app_context():
            return import_string(job_path)(*args)
    finally:
        leave_job(token)


def _run_inline(app: Flask, call: Call, chain: Future) -> None:
    """``JOBS_IN_PROCESS_WORKERS = 0``: once, in the caller; the sweep retries a failure."""
    job_path, args, _ = call
    try:
        chain.set_result(_run_once(app, call))
    except Exception as error:
        log.exception("job %s%r failed", job_path, args)
        chain.set_exception(error)


def _attempt(app: Flask, call: Call, delays: tuple[float, ...], chain: Future) -> None:
    """Run one attempt on the pool; on failure a timer (not a sleeping pool thread) schedules
    the next, and ``chain`` stays pending until the job succeeds or runs out of retries."""

    job_path, args, _ = call

    def run() -> None:
        try:
            result = _run_once(app, call)
        except Exception as error:
            if not delays:
                log.exception("job %s%r failed for good", job_path, args)
                chain.set_exception(error)
                return
            log.warning(
                "job %s%r failed (%s); retry in %ss", job_path, args, error, delays[0],
                exc_info=not isinstance(error, RetryLater),
            )  # fmt: skip
            timer = threading.Timer(delays[0], _attempt, (app, call, delays[1:], chain))
            timer.daemon = True
            timer.start()
            return
        chain.set_result(result)

    _executor(app).submit(run)


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
                    import_string(Job.SWEEP)()
            except Exception:
                log.exception("in-process sweep failed; it runs again next interval")
            if stop.wait(interval):
                return

    threading.Thread(target=loop, name="commentsvc-sweep", daemon=True).start()
    return stop
