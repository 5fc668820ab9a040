"""Counters that jobs add to, readable by any web process: in Redis when the app has it.

RQ workers are separate processes, often on other machines or in other containers than the
web processes that answer ``/metrics``, and work horses live for one job. So with Redis a
job's tally is a ``HINCRBY`` on a hash in the Redis every process shares (one round trip
per job, next to the job's own dozens) and a scrape reads the hashes back. Without Redis the
jobs run inside the web process and add to the local counters of :mod:`commentsvc.metrics`.
A flushed Redis restarts these counters from zero, which Prometheus' ``rate()`` and
``increase()`` treat as a counter reset.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

from flask import Flask, current_app
from prometheus_client.core import CounterMetricFamily

from commentsvc.metrics import TALLIES, TALLY_SPECS

log = logging.getLogger(__name__)
KEY_PREFIX = "commentsvc:metrics:"


def count(name: str, *labels: str) -> None:
    """Add one to tally ``name`` (a key of :data:`commentsvc.metrics.TALLIES`).

    Never raises: a lost count must not fail the job that did the work."""
    counter = TALLIES[name]
    url = current_app.config["REDIS_URL"]
    if not url:
        counter.labels(*labels).inc()
        return
    from commentsvc.redis_client import redis_connection

    try:
        redis_connection().hincrby(KEY_PREFIX + name, json.dumps(labels), 1)
    except Exception:
        log.warning("metrics: could not count %s%r in Redis", name, labels, exc_info=True)


class RedisTallies:
    """A scrape-time collector: the tallies as Redis holds them, as Prometheus counters."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def describe(self) -> list:
        return []  # read at scrape time only; nothing to check at registration

    def collect(self) -> Iterator[CounterMetricFamily]:
        from commentsvc.redis_client import redis_connection

        try:
            connection = redis_connection(self._app)
            with connection.pipeline(transaction=False) as pipe:
                for name in TALLY_SPECS:
                    pipe.hgetall(KEY_PREFIX + name)
                stored = pipe.execute()
        except Exception as error:
            # The scrape still answers (the web metrics, and commentsvc_redis_up 0 from the
            # queue depths, which log the traceback): one line here, and no tally families,
            # since a missing series is honest where a zero would claim a reset.
            log.warning("metrics: Redis could not be read for the job tallies: %r", error)
            return
        for spec, fields in zip(TALLY_SPECS.values(), stored, strict=True):
            family = CounterMetricFamily(spec.name, spec.documentation, labels=spec.labels)
            for field, value in sorted(fields.items()):
                family.add_metric(json.loads(field), float(value))
            yield family
