"""Stopping the embedded default's job pool drops what still waits in it (the demo's Ctrl-C)."""

from __future__ import annotations

import threading

from flask import Flask

from commentsvc import create_app, jobs

STARTED = threading.Event()
RELEASE = threading.Event()
RAN: list[int] = []


def held_job(number: int) -> None:
    """Holds the pool's only thread until the test lets go."""
    STARTED.set()
    RELEASE.wait(10)
    RAN.append(number)


def quick_job(number: int) -> None:
    RAN.append(number)


def test_stopping_drops_the_waiting_jobs_and_lets_the_running_one_finish(tmp_path) -> None:
    app: Flask = create_app(
        {"SECRET_KEY": "s" * 40, "INSTANCE_PATH": str(tmp_path), "JOBS_IN_PROCESS_WORKERS": 1}
    )
    with app.app_context():
        jobs.enqueue(f"{__name__}.held_job", 1, retry_delays=())
        assert STARTED.wait(10)
        for number in (2, 3, 4):
            jobs.enqueue(f"{__name__}.quick_job", number, retry_delays=())
    executor = jobs._executors[id(app)]
    jobs.stop_in_process_jobs(app)
    RELEASE.set()
    executor.shutdown(wait=True)
    assert RAN == [1]
    assert id(app) not in jobs._executors
