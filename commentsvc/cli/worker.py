"""``commentsvc worker``: an RQ worker with the app's configuration, plus the periodic sweep.

Run as many as the load needs, on any machines that reach the same Redis and database.
Each forks a work horse per job (a crash takes down the job, never the worker), runs RQ's
scheduler for retries with back-off, and, between jobs, sweeps for checks lost with Redis
or with a dead worker (one worker per interval, by a Redis lock).
"""

from __future__ import annotations

import logging
import pkgutil
from importlib import import_module

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from commentsvc.logs import configure_logging

log = logging.getLogger(__name__)
SWEEP_LOCK = "commentsvc:sweep-lock"


def _worker_class(is_forking: bool):
    from rq import SimpleWorker, Worker

    class SweepingWorker(Worker if is_forking else SimpleWorker):  # type: ignore[misc]
        """RQ's worker whose maintenance step also runs the mention sweep."""

        app: Flask

        def run_maintenance_tasks(self) -> None:
            super().run_maintenance_tasks()
            ttl = max(1, int(self.maintenance_interval) - 1)
            if not self.connection.set(SWEEP_LOCK, self.name, nx=True, ex=ttl):
                return
            try:
                from workers.sweep import sweep

                with self.app.app_context():
                    sweep()
            except Exception:
                log.exception("sweep failed; it runs again next interval")

    return SweepingWorker


def _preload_jobs() -> None:
    """Import every job module once here rather than again in every forked work horse."""
    import workers

    for module in pkgutil.iter_modules(workers.__path__):
        import_module(f"workers.{module.name}")


@click.command()
@click.option("--burst", is_flag=True, help="Exit when the queue is empty (batch runs).")
@click.option(
    "--fork/--no-fork",
    default=True,
    show_default=True,
    help="A fresh work horse per job (isolation) or jobs in the worker itself (throughput).",
)
@click.option(
    "--sweep-interval", type=float, help="Seconds between sweeps (SWEEP_INTERVAL_SECONDS)."
)
@with_appcontext
def worker(burst: bool, fork: bool, sweep_interval: float | None) -> None:
    """Run a background worker (needs COMMENTSVC_REDIS_URL)."""
    from redis import Redis

    from commentsvc.jobs import QUEUE_NAME
    from workers.runtime import use_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    url = app.config["REDIS_URL"]
    if not url:
        raise click.ClickException(
            "COMMENTSVC_REDIS_URL is not set. Without Redis the jobs run inside the web "
            "process (the embedded default) and no worker is needed."
        )
    configure_logging()
    interval = max(1, int(sweep_interval or app.config["SWEEP_INTERVAL_SECONDS"]))
    use_app(app)
    _preload_jobs()
    worker_class = _worker_class(fork)
    worker_class.app = app
    rq_worker = worker_class(
        [QUEUE_NAME],
        connection=Redis.from_url(url),
        maintenance_interval=interval,
        worker_ttl=max(16, min(420, interval + 15)),  # dequeue waits ttl-15 s between sweeps
    )
    rq_worker.work(
        with_scheduler=True,
        burst=burst,
        logging_level=logging.getLevelName(logging.getLogger().level),
    )
