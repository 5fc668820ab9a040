"""gunicorn settings for the live-thread streams: ``gunicorn -c deploy/gunicorn-events.conf.py``.

The same app as the web processes (deploy/gunicorn.conf.py, whose settings this file starts
from: proxy headers, logging, metrics), run for a different load: Server-Sent Events streams
(``/api/sites/<site>/thread/events``, docs/live.md), which nginx routes here and nowhere else.
A stream holds a connection for minutes and does almost nothing: after one short database read
it waits on this process's Redis subscription. A gthread worker gives each stream a thread that
sleeps on a queue; docs/live.md has the measurements that chose it over gevent (bench/live.py).
The web processes keep their few threads for requests that work.

The image copies this file next to gunicorn.conf.py (/etc/commentsvc/). Environment:
``EVENTS_BIND`` (default 0.0.0.0:8001), ``EVENTS_WORKERS`` (processes, default 1: each holds one
Redis subscription and fans out in memory), ``EVENTS_THREADS`` (threads per process,
default 1200; it holds that many open streams less a few, unless
``COMMENTSVC_LIVE_MAX_STREAMS`` says otherwise), and the web processes'
``FORWARDED_ALLOW_IPS``, ``PROMETHEUS_MULTIPROC_DIR``, ``COMMENTSVC_LOG_FORMAT``.
"""

from __future__ import annotations

import os
import runpy
from pathlib import Path

_base = runpy.run_path(str(Path(__file__).with_name("gunicorn.conf.py")))
globals().update({name: value for name, value in _base.items() if not name.startswith("__")})

bind = os.environ.get("EVENTS_BIND", "0.0.0.0:8001").split(",")
workers = int(os.environ.get("EVENTS_WORKERS", "1"))
worker_class = "gthread"
# One thread per open stream. The app holds at most COMMENTSVC_LIVE_MAX_STREAMS streams (503
# with Retry-After past that), a few fewer than the threads: the threads left answer health
# checks and the 503s at once, never queued behind streams. worker_connections caps the
# connections a gthread worker accepts: the streams, and room for those short requests.
threads = int(os.environ.get("EVENTS_THREADS", "1200"))
reserved_threads = max(2, min(16, threads // 8))
os.environ.setdefault("COMMENTSVC_LIVE_MAX_STREAMS", str(threads - reserved_threads))
worker_connections = threads + 64
# A stream ends when its reader leaves; a graceful restart gives them a moment, then readers
# reconnect to the new process with Last-Event-ID and miss nothing.
graceful_timeout = 5
