"""The one decorator every job wears: an app context, a clean session, a fresh pool after fork.

Every attempt is counted by kind and outcome (:mod:`workers.metrics`), and its log lines carry
the id of the request that enqueued it (RQ's job meta, or the in-process runner's).

The RQ worker (``commentsvc worker``) builds the app once (:func:`use_app`) and forks a work
horse per job; the horse must not share the parent's database connections, so the pool is
dropped (not closed: the parent still owns those sockets) the first time a job runs in a new
process. The embedded default calls the same function on a thread inside an app context.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask, has_app_context

P = ParamSpec("P")
R = TypeVar("R")

_app: Flask | None = None
_pool_pid: int | None = None


def use_app(app: Flask) -> None:
    """Run jobs of this process (and of the processes it forks) with ``app``."""
    global _app, _pool_pid
    _app = app
    _pool_pid = os.getpid()


def _worker_app() -> Flask:
    if _app is None:
        from commentsvc import create_app

        app = create_app()
        use_app(app)
        return app
    return _app


def _fresh_pool_after_fork() -> None:
    """Connections inherited across fork() are shared with the parent: never reuse them."""
    global _pool_pid
    from commentsvc.extensions import db

    pid = os.getpid()
    if _pool_pid is None:
        _pool_pid = pid
    elif _pool_pid != pid:
        db.engine.dispose(close=False)
        _pool_pid = pid


def _rq_request_id() -> str | None:
    """The id of the request that enqueued the RQ job running here, if any."""
    from rq import get_current_job

    current = get_current_job()
    return (current.meta or {}).get("request_id") if current is not None else None


def _run_counted(kind: str, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    from commentsvc.extensions import db
    from commentsvc.request_ids import enter_job, leave_job
    from workers.metrics import FAILED, SUCCEEDED, count_job

    _fresh_pool_after_fork()
    request_id = _rq_request_id()
    token = enter_job(request_id) if request_id else None  # in-process: the runner set it
    try:
        result = function(*args, **kwargs)
    except Exception:
        count_job(kind, FAILED)
        raise
    finally:
        db.session.remove()
        if token is not None:
            leave_job(token)
    count_job(kind, SUCCEEDED)
    return result


def job(function: Callable[P, R]) -> Callable[P, R]:
    kind = f"{function.__module__}.{function.__qualname__}"  # its path in job_names

    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            return _run_counted(kind, function, *args, **kwargs)
        with _worker_app().app_context():
            return _run_counted(kind, function, *args, **kwargs)

    return run
