"""``GET /metrics``: the Prometheus text exposition, summed over every web process.

Closed unless the scraper sends ``COMMENTSVC_METRICS_TOKEN`` as a bearer token or connects
from ``COMMENTSVC_METRICS_ALLOW_NETWORKS`` (the address as the app sees it, after ProxyFix).
With neither set the endpoint does not exist (404); otherwise a scraper without the token and
outside the networks gets 403.

What Redis holds (queue depths, the failed-job registry, the workers' tallies) is read at
scrape time, so it is the same whichever process answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, request
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from commentsvc.clientip import client_ip
from commentsvc.errors import Forbidden, NotFound
from commentsvc.job_tallies import RedisTallies
from commentsvc.metrics import IS_MULTIPROCESS, LOCAL_TALLIES
from commentsvc.services.thread_cache import CACHE_KEY as THREAD_CACHE_KEY

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _is_allowed_address(networks: list) -> bool:
    try:
        address = ipaddress.ip_address(client_ip())
    except ValueError:
        return False
    return any(address in network for network in networks)


def authorise_scrape() -> None:
    """Raise unless this request may read the metrics."""
    token = current_app.config["METRICS_TOKEN"]
    networks = current_app.config["METRICS_ALLOW_NETWORKS"]
    if not token and not networks:
        raise NotFound("The requested URL was not found on the server.")
    sent = _bearer_token()
    if token and sent and hmac.compare_digest(sent.encode(), token.encode()):
        return
    if networks and _is_allowed_address(networks):
        return
    raise Forbidden(
        "Metrics are for the operator's scraper: send the metrics token as "
        "`Authorization: Bearer <token>`, or scrape from an allowed network."
    )


class QueueDepths:
    """RQ's queues as Redis holds them at scrape time: waiting, scheduled and failed jobs."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from rq import Queue

        from commentsvc.jobs import QUEUE_NAME, queue
        from commentsvc.redis_client import redis_connection

        connection = redis_connection(self._app)
        up = GaugeMetricFamily("commentsvc_redis_up", "1 when the scrape could read Redis.")
        waiting = GaugeMetricFamily(
            "commentsvc_queue_jobs", "Jobs waiting in the queue.", labels=["queue"]
        )
        scheduled = GaugeMetricFamily(
            "commentsvc_queue_scheduled_jobs",
            "Jobs waiting for a retry after back-off.",
            labels=["queue"],
        )
        failed = GaugeMetricFamily(
            "commentsvc_queue_failed_jobs",
            "Jobs in the failed-job registry (out of retries or killed).",
            labels=["queue"],
        )
        try:
            queues = {q.name: q for q in Queue.all(connection=connection)}
            queues.setdefault(QUEUE_NAME, queue(self._app))
            for name, rq_queue in sorted(queues.items()):
                waiting.add_metric([name], rq_queue.count)
                scheduled.add_metric([name], rq_queue.scheduled_job_registry.count)
                failed.add_metric([name], rq_queue.failed_job_registry.count)
        except Exception:
            log.warning("metrics: Redis could not be read for queue depths", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, waiting, scheduled, failed)


def _scrape(app: Flask) -> bytes:
    """Every process's metrics (one directory of files under gunicorn, this process's memory
    in the embedded default), then what Redis holds."""
    thread_cache = app.extensions.get(THREAD_CACHE_KEY)
    if thread_cache is not None:
        thread_cache.flush_counts()  # this process's lookups since its last batch
    parts: list[bytes] = []
    if IS_MULTIPROCESS:
        merged = CollectorRegistry()
        MultiProcessCollector(merged)  # the tallies too, if jobs ran in web processes
        parts.append(generate_latest(merged))
    else:
        parts.append(generate_latest(REGISTRY))
        if not app.config["REDIS_URL"]:
            parts.append(generate_latest(LOCAL_TALLIES))
    if app.config["REDIS_URL"]:
        shared = CollectorRegistry(auto_describe=False)
        shared.register(QueueDepths(app))
        shared.register(RedisTallies(app))
        parts.append(generate_latest(shared))
    return b"".join(parts)


@bp.get("/metrics")
def metrics() -> Response:
    authorise_scrape()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    response = Response(_scrape(app), mimetype=None, content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response.headers["Cache-Control"] = "no-store"
    return response
