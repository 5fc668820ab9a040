"""The one decorator every job wears: an app context, a clean session, a fresh pool after fork.

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


def job(function: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        from commentsvc.extensions import db

        if has_app_context():
            _fresh_pool_after_fork()
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()
        with _worker_app().app_context():
            _fresh_pool_after_fork()
            try:
                return function(*args, **kwargs)
            finally:
                db.session.remove()

    return run
