"""An expected, transient failure of an in-process job is logged in one line; a bug, with its
traceback."""

from __future__ import annotations

import logging
import threading

import pytest
from flask import Flask

from commentsvc import create_app, jobs

DONE = threading.Event()
FAILED_ONCE: set[str] = set()


def flaky_job(kind: str) -> None:
    """Fails its first run with ``kind`` of failure, then succeeds."""
    if kind not in FAILED_ONCE:
        FAILED_ONCE.add(kind)
        raise jobs.RetryLater("the endpoint is down") if kind == "transient" else KeyError(kind)
    DONE.set()


@pytest.mark.parametrize(("kind", "has_traceback"), [("transient", False), ("bug", True)])
def test_a_retried_failure_has_a_traceback_only_when_it_is_a_bug(
    tmp_path, caplog, kind, has_traceback
) -> None:
    app: Flask = create_app({"SECRET_KEY": "s" * 40, "INSTANCE_PATH": str(tmp_path)})
    DONE.clear()
    with caplog.at_level(logging.WARNING, logger="commentsvc.jobs"), app.app_context():
        jobs.enqueue(f"{__name__}.flaky_job", kind, retry_delays=(0.01,))
        assert DONE.wait(10)
    jobs.stop_in_process_jobs(app)
    [record] = [r for r in caplog.records if "retry in" in r.getMessage()]
    assert bool(record.exc_info) is has_traceback
