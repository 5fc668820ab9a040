"""gunicorn settings for commentsvc in production: ``gunicorn -c deploy/gunicorn.conf.py``.

The image copies this file to /etc/commentsvc/gunicorn.conf.py and runs it; deploy/compose.yaml
and the README's production section use the same file. gunicorn is never exposed on its own:
nginx (deploy/nginx/commentsvc.conf.template) sits in front and absorbs slow clients. gthread
hands each connection to a thread as soon as its first byte arrives and then reads the request
headers with a blocking read and no deadline, so a client that sends a header byte every few
seconds holds a thread for as long as it likes; nginx reads whole requests itself (with
client_header_timeout and client_body_timeout) and passes gunicorn only complete ones.
tests/deploy/test_slow_clients.py shows both halves.

Settings an operator changes come from the environment: ``WEB_CONCURRENCY`` (worker
processes; 2 with Redis, 1 without: see ``workers``), ``GUNICORN_THREADS`` (threads per
process), ``GUNICORN_BIND``, ``FORWARDED_ALLOW_IPS`` (the proxy's addresses),
``PROMETHEUS_MULTIPROC_DIR`` (where the workers' metrics meet; a fresh temporary folder when
unset) and ``COMMENTSVC_LOG_FORMAT``.
Command-line flags override this file.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import tempfile
from pathlib import Path

from gunicorn.glogging import Logger

from commentsvc.config import is_redis_configured

wsgi_app = "commentsvc.wsgi:app"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").split(",")

# Processes for CPU (the thread read renders JSON), threads for the waits inside a request
# (database, Redis). A thread is held only while the app works: nginx buffers both the request
# and the response, so a slow reader or sender never holds one. Without Redis (the embedded
# default) the rate limits, the job queue and the live bus are held in the process, so it runs
# one: a second process would double every limit and miss the other's live events (and
# SQLite takes one writer at a time anyway; one process also posts 25-40 % faster there).
workers = int(os.environ.get("WEB_CONCURRENCY") or (2 if is_redis_configured() else 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))

# timeout: the arbiter restarts a worker whose main loop stops reporting (gthread reports from
# its accept loop, so a slow request alone never trips it). keepalive outlasts nginx's upstream
# keepalive_timeout (4 s), so nginx, not gunicorn, closes idle pooled connections: no request
# is ever sent on a connection gunicorn is closing.
timeout = 30
graceful_timeout = 20
keepalive = 5
limit_request_line = 8190

# The heartbeat file on tmpfs: a container's overlay filesystem can stall the heartbeat's
# writes long enough for the arbiter to kill a healthy worker.
worker_tmp_dir = "/dev/shm" if Path("/dev/shm").is_dir() else None  # noqa: S108 - tmpfs

# Only the proxy may say who the client is. gunicorn applies forwarded_allow_ips to
# X-Forwarded-Proto alone; pre_request (below) extends it to every forwarding header, so a
# client that reaches gunicorn directly cannot choose the address rate limits key on
# (the app trusts X-Forwarded-For through ProxyFix when COMMENTSVC_PROXY_COUNT is set).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
FORWARDING_HEADERS = frozenset(
    {"FORWARDED", "X-FORWARDED-FOR", "X-FORWARDED-PROTO", "X-FORWARDED-HOST", "X-FORWARDED-PORT"}
    | {"X-FORWARDED-PREFIX", "X-REAL-IP"}
)


def _is_trusted_proxy(peer: object, allowed: list[str]) -> bool:
    if not isinstance(peer, tuple):  # a Unix socket: only what can open the file reaches it
        return True
    if "*" in allowed:
        return True
    address = ipaddress.ip_address(peer[0])
    return any(address in ipaddress.ip_network(entry, strict=False) for entry in allowed)


def pre_request(worker, req) -> None:
    """Drop forwarding headers a peer outside ``forwarded_allow_ips`` sent."""
    if not _is_trusted_proxy(req.peer_addr, worker.cfg.forwarded_allow_ips):
        req.headers = [(name, value) for name, value in req.headers
                       if name not in FORWARDING_HEADERS]  # fmt: skip


# No control socket (gunicornc): every gunicorn on a host would share its one default path,
# the web and events processes among them, each taking it from the other.
control_socket_disable = True

# The access log: method, path, status, size, duration. No query string (OAuth callbacks carry
# codes in it), no referrer, no client address (the service keeps only keyed hashes of those),
# and long token-like path segments (/auth/verify/<token>, /unsubscribe/<token>) masked.
accesslog = "-"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
TOKEN_SEGMENT = re.compile(r"(?<=/)[A-Za-z0-9_.~=-]{24,}")


class RedactingLogger(Logger):
    """gunicorn's logger with token-like path segments masked in access lines."""

    def atoms(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = TOKEN_SEGMENT.sub("[token]", atoms["U"])
        return atoms


logger_class = RedactingLogger


# Metrics (docs/observability.md): prometheus-client's multiprocess mode. Each worker writes
# its metrics to files of its own in one folder and a scrape of any worker sums them all. The
# folder must be named before a worker imports prometheus_client, so here, in the master.
METRICS_DIR_PREFIX = "commentsvc-metrics-"
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix=METRICS_DIR_PREFIX)


def _metrics_dir() -> Path:
    return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_starting(server) -> None:  # type: ignore[no-untyped-def]
    """Empty the metrics folder: a previous run's files would add to this run's counters."""
    folder = _metrics_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def post_worker_init(worker) -> None:  # type: ignore[no-untyped-def]
    """The app's own log lines (text, or JSON with COMMENTSVC_LOG_FORMAT=json) on stderr."""
    from commentsvc.logs import configure_logging

    configure_logging()


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """A dead worker's gauges (connections it held) leave the sums; its counters stay."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_metrics_dir()))


def on_exit(server) -> None:  # type: ignore[no-untyped-def]
    """Remove the folder if this file made it (an operator's own folder is left in place)."""
    folder = _metrics_dir()
    if folder.parent == Path(tempfile.gettempdir()) and folder.name.startswith(METRICS_DIR_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)


# COMMENTSVC_LOG_FORMAT=json: every line JSON. The app writes one line per request (with its
# request id, route, status and duration), so gunicorn's access log is off; gunicorn's own
# lines go through the same formatter.
if os.environ.get("COMMENTSVC_LOG_FORMAT", "").strip().lower() == "json":
    accesslog = None
    logconfig_dict = {
        "root": {"level": "INFO", "handlers": ["console"]},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "stream": "ext://sys.stderr",
            }
        },
        "formatters": {"json": {"()": "commentsvc.logs.JsonFormatter"}},
    }
