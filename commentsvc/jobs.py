"""Enqueue background jobs by dotted path: on RQ when Redis is configured, in-process otherwise.

Callers record what the job must do in the database and commit *before* calling
:func:`enqueue`; a job takes ids, re-reads its rows and is idempotent, so a lost queue
loses no work (the sweep finds rows left pending).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app
from werkzeug.utils import import_string

log = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS: tuple[int, ...] = (10, 60, 300, 1800)
QUEUE_NAME = "commentsvc"


@dataclass(frozen=True)
class JobHandle:
    """Lets a caller wait briefly for a result (the pingback endpoint does)."""

    job_id: str | None
    _future: Future | None = None
    _rq_job: Any = None

    def wait(self, timeout: float) -> Any:
        """The job's return value, or raise :class:`TimeoutError` if it is not done in time."""
        if self._future is not None:
            try:
                return self._future.result(timeout=timeout)
            except FutureTimeout as error:
                raise TimeoutError from error
        if self._rq_job is not None:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                status = self._rq_job.get_status(refresh=True)
                if status == "finished":
                    return self._rq_job.return_value()
                if status in {"failed", "stopped", "canceled"}:
                    raise RuntimeError(f"job {self.job_id} {status}")
                time.sleep(0.05)
            raise TimeoutError
        return None


def enqueue(
    job_path: str,
    *args: Any,
    job_id: str | None = None,
    retry_delays: Sequence[int] = DEFAULT_RETRY_DELAYS,
) -> JobHandle:
    """Run ``job_path(*args)`` in the background, retrying with back-off on failure."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config["REDIS_URL"]:
        return _enqueue_rq(app, job_path, args, job_id, retry_delays)
    return _enqueue_in_process(app, job_path, args, job_id, retry_delays)


def queue(app: Flask | None = None):
    """The RQ queue of this app (only when Redis is configured)."""
    from rq import Queue

    from commentsvc.redis_client import redis_connection

    return Queue(QUEUE_NAME, connection=redis_connection(app))


def _enqueue_rq(app, job_path, args, job_id, retry_delays) -> JobHandle:
    from rq import Retry

    job = queue(app).enqueue(
        job_path,
        *args,
        job_id=job_id,
        retry=Retry(max=len(retry_delays), interval=list(retry_delays)) if retry_delays else None,
        failure_ttl=7 * 24 * 3600,
        result_ttl=3600,
    )
    return JobHandle(job_id=job.id, _rq_job=job)


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


def _enqueue_in_process(app, job_path, args, job_id, retry_delays) -> JobHandle:
    """The embedded default: the same job function, on a thread of this process."""
    if int(app.config["JOBS_IN_PROCESS_WORKERS"]) == 0:
        future: Future = Future()
        try:
            future.set_result(_run_with_retries(app, job_path, args, ()))
        except Exception as error:  # the failure is logged; the sweep retries later
            future.set_exception(error)
        return JobHandle(job_id=job_id, _future=future)
    scale = float(app.config.get("JOBS_RETRY_DELAY_SCALE", 1.0))
    delays = tuple(delay * scale for delay in retry_delays)
    future = _executor(app).submit(_run_with_retries, app, job_path, args, delays)
    return JobHandle(job_id=job_id, _future=future)


def _run_with_retries(app: Flask, job_path: str, args: tuple, delays: Sequence[float]) -> Any:
    function = import_string(job_path)
    for attempt, delay in enumerate((*delays, None)):
        try:
            with app.app_context():
                return function(*args)
        except Exception:
            if delay is None:
                log.exception(
                    "job %s%r failed for good after %d tries", job_path, args, attempt + 1
                )
                raise
            log.warning("job %s%r failed; retry in %ss", job_path, args, delay, exc_info=True)
            time.sleep(delay)
    return None
