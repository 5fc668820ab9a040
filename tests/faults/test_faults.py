"""Faults survived: the production stack under concurrent load while its parts are killed.

Two gunicorn web processes and two RQ workers on real PostgreSQL and Redis take comments,
webmentions and pingbacks (sources on a loopback page server) from several clients at once.
Meanwhile a web process is killed with SIGKILL while it holds a request it has not finished
(a comment whose body is still arriving), a work horse mid-job too, and a whole worker (a
supervisor starts another); PostgreSQL restarts and Redis is flushed twice while it holds
queued jobs. Afterwards every acknowledged comment is stored exactly once, every acknowledged
mention has ended verified or rejected with its reason exactly once, the request cut off was
not acknowledged, and the only server errors (5xx, or the pingback fault 0x0032) overlap the
restart.
"""

from __future__ import annotations

import itertools
import json
import queue
import socket
import threading
import time
import xmlrpc.client
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests
import sqlalchemy as sa
from redis import Redis
from rq import Queue
from werkzeug.wrappers import Request, Response

from commentsvc.extensions import db
from commentsvc.jobs import QUEUE_NAME
from commentsvc.mentions.pingback import UPSTREAM_ERROR
from commentsvc.models import Comment, Mention, Verification
from tests.faults.conftest import HOST, Stack, kill9, kill_tree, parent_of, pid_of_peer, pid_serving
from tests.workers.pages import link_page

pytestmark = [pytest.mark.faults, pytest.mark.redis]

CLIENTS = 6
MAX_REQUESTS = 900  # the load is bounded: at most this many, until the faults are over
# One request in eight is a mention (webmentions and pingbacks in turn): two workers verify a
# few per second, so the backlog the faults meet drains in seconds, not minutes.
MENTION_EVERY = 8
SLOW_SOURCE_SECONDS = 0.4  # every third source answers this late: a work horse is mid-job
RECOVERY_SECONDS = 30
FLUSH_WAIT_SECONDS = 10
# Atomically: the jobs waiting, running and scheduled for a retry; and FLUSHALL if there are any.
FLUSH_IF_JOBS = """
local held = redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2])
    + redis.call('ZCARD', KEYS[3])
if held > 0 then redis.call('FLUSHALL') end
return held
"""


@dataclass
class Sent:
    """One request: what it carried, when it ran, and what came back (None: no answer)."""

    kind: str
    key: str
    started: float
    ended: float = 0.0
    status: int | None = None
    fault: int | None = None  # a pingback's XML-RPC fault code
    is_acknowledged: bool = False

    @property
    def is_server_error(self) -> bool:
        return (self.status is not None and self.status >= 500) or self.fault == UPSTREAM_ERROR


@dataclass
class Load:
    """Clients sending comments, webmentions and pingbacks until told to stop."""

    web_url: str
    pages: object
    stop: threading.Event = field(default_factory=threading.Event)
    sent: list[Sent] = field(default_factory=list)
    numbers: itertools.count = field(default_factory=itertools.count)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def page(self, number: int) -> str:
        return self.pages.url(f"/post/{number % 5}")

    def run(self) -> None:
        while not self.stop.is_set():
            number = next(self.numbers)
            if number >= MAX_REQUESTS:
                return
            if number % MENTION_EVERY != MENTION_EVERY - 1:
                kind = "comment"
            else:
                kind = ("webmention", "pingback")[number // MENTION_EVERY % 2]
            record = getattr(self, f"_{kind}")(number)
            with self.lock:
                self.sent.append(record)

    def _comment(self, number: int) -> Sent:
        sent = Sent("comment", f"fault-comment-{number}", time.monotonic())
        document = {"url": self.page(number), "body": sent.key, "name": "Load"}
        try:
            response = requests.post(
                f"{self.web_url}/api/sites/faults/comments", json=document, timeout=30
            )
            sent.status = response.status_code
            sent.is_acknowledged = response.status_code in (201, 202)
        except requests.RequestException:
            pass  # a killed web process: no answer, so nothing was promised
        sent.ended = time.monotonic()
        return sent

    def _webmention(self, number: int) -> Sent:
        sent = Sent("webmention", self.pages.url(f"/src/{number}"), time.monotonic())
        form = {"source": sent.key, "target": self.page(number)}
        try:
            response = requests.post(f"{self.web_url}/webmention/faults", data=form, timeout=30)
            sent.status = response.status_code
            sent.is_acknowledged = response.status_code in (201, 202)
        except requests.RequestException:
            pass
        sent.ended = time.monotonic()
        return sent

    def _pingback(self, number: int) -> Sent:
        sent = Sent("pingback", self.pages.url(f"/src/{number}"), time.monotonic())
        proxy = xmlrpc.client.ServerProxy(f"{self.web_url}/pingback/faults")
        try:
            proxy.pingback.ping(sent.key, self.page(number))
            sent.status, sent.is_acknowledged = 200, True
        except xmlrpc.client.Fault as fault:
            # Refused in XML-RPC's own terms: 0x0032 is the service's own failure (while the
            # database is down), a server error like a 5xx.
            sent.status, sent.fault = 200, fault.faultCode
        except xmlrpc.client.ProtocolError as error:
            sent.status = error.errcode
        except OSError:
            pass
        sent.ended = time.monotonic()
        return sent


def is_linking(source: str) -> bool:
    """Every seventh source does not link to its target: it must end rejected, with why."""
    return int(source.rsplit("/", 1)[1]) % 7 != 0


def serve_sources(pages, fetchers: queue.Queue, armed: threading.Event) -> None:
    """Sources ``/src/N``; the slow ones report the process fetching them while armed."""

    def source(request: Request) -> Response:
        number = int(request.path.rsplit("/", 1)[1])
        if number % 3 == 0:
            if armed.is_set():
                pid = pid_of_peer(int(request.environ["REMOTE_PORT"]))
                if pid is not None:
                    fetchers.put(pid)
            time.sleep(SLOW_SOURCE_SECONDS)
        target = pages.url(f"/post/{number % 5}")
        body = link_page(target) if is_linking(request.url) else "<p>No link here.</p>"
        return Response(body, content_type="text/html")

    for number in range(MAX_REQUESTS):
        pages.handle(f"/src/{number}", source)
    for number in range(5):
        pages.html(f"/post/{number}", f"<title>Post {number}</title><p>Post {number}</p>")


def horse_mid_job(fetchers: queue.Queue, armed: threading.Event, worker_pids: set[int]) -> int:
    """The pid of a work horse fetching a slow source right now (a child of a worker)."""
    while True:
        while not fetchers.empty():
            fetchers.get_nowait()
        armed.set()
        pid = fetchers.get(timeout=30)
        armed.clear()
        if parent_of(pid) in worker_pids:
            return pid


def cut_off_mid_request(stack: Stack, page: str) -> Sent:
    """Sends a comment's headers and half its body, finds the gunicorn process whose handler
    holds that request (it is reading the rest of the body), and SIGKILLs it."""
    port = urlsplit(stack.web_url).port
    sent = Sent("comment", "fault-comment-cut-off", time.monotonic())
    body = json.dumps({"url": page, "body": sent.key, "name": "Load"}).encode()
    head = (
        f"POST /api/sites/faults/comments HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection((HOST, port), timeout=10) as connection:
        connection.sendall(head.encode() + body[: len(body) // 2])
        client_port = connection.getsockname()[1]
        deadline = time.monotonic() + 10
        while (pid := pid_serving(port, client_port)) is None:
            assert time.monotonic() < deadline, "no gunicorn process took the request"
            time.sleep(0.01)
        assert pid in stack.web_processes(), f"{pid} is not a gunicorn worker"
        kill9(pid)
        try:
            connection.sendall(body[len(body) // 2 :])
            answer = connection.recv(4096)
        except OSError:  # reset by the kernel on the dead process's behalf
            answer = b""
    sent.ended = time.monotonic()
    if answer:
        sent.status = int(answer.split(b" ", 2)[1])
        sent.is_acknowledged = sent.status in (201, 202)
    return sent


def flush_holding_jobs(redis: Redis) -> int:
    """FLUSHALL once Redis holds queued, running or scheduled jobs (so the flush loses work);
    how many it held."""
    rq_queue = Queue(QUEUE_NAME, connection=redis)
    keys = [rq_queue.key, rq_queue.started_job_registry.key, rq_queue.scheduled_job_registry.key]
    deadline = time.monotonic() + FLUSH_WAIT_SECONDS
    while not (held := int(redis.eval(FLUSH_IF_JOBS, len(keys), *keys))):
        assert time.monotonic() < deadline, "Redis held no jobs to lose: the flush proves nothing"
        time.sleep(0.02)
    return held


def wait_until_checked(sources: set[str]) -> None:
    """Returns once no acknowledged mention waits for its check; fails after RECOVERY_SECONDS."""
    deadline = time.monotonic() + RECOVERY_SECONDS
    while True:
        pending = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Mention)
            .where(Mention.source.in_(sources), Mention.is_check_pending.is_(True))
        )
        db.session.rollback()
        if not pending:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"{pending} mention check(s) still pending {RECOVERY_SECONDS} s after")
        time.sleep(0.2)


def test_acknowledged_comments_and_mentions_survive_killed_processes_a_database_restart_and_flushed_redis(  # noqa: E501
    app, stack, pages, redis_url, fault_postgres
) -> None:
    fetchers: queue.Queue[int] = queue.Queue()
    armed = threading.Event()
    serve_sources(pages, fetchers, armed)
    load = Load(stack.web_url, pages)
    clients = [threading.Thread(target=load.run) for _ in range(CLIENTS)]
    for client in clients:
        client.start()
    redis = Redis.from_url(redis_url)
    flushed: list[int] = []
    try:
        time.sleep(1.0)
        cut_off = cut_off_mid_request(stack, load.page(0))
        horse = horse_mid_job(fetchers, armed, {w.pid for w in stack.workers})
        kill9(horse)
        flushed.append(flush_holding_jobs(redis))
        horse = horse_mid_job(fetchers, armed, {w.pid for w in stack.workers})
        kill_tree(parent_of(horse))  # the worker, its scheduler and its horse
        stack.start_worker()  # as the supervisor (compose's restart policy) does
        time.sleep(0.5)
        restart_started = time.monotonic()
        fault_postgres.restart()
        restart_ended = time.monotonic()
        time.sleep(1.0)
        flushed.append(flush_holding_jobs(redis))
        time.sleep(1.0)
    finally:
        load.stop.set()
        for client in clients:
            client.join(60)

    sent = [*load.sent, cut_off]
    mentions_sent = {s.key for s in sent if s.kind != "comment" and s.is_acknowledged}
    load_ended = time.monotonic()
    wait_until_checked(mentions_sent)
    recovered_in = time.monotonic() - load_ended

    markers = Counter(
        db.session.scalars(
            sa.select(Comment.body_markdown).where(Comment.body_markdown.like("fault-comment-%"))
        )
    )
    rows = db.session.execute(
        sa.select(Mention.source, Mention.verification, Mention.rejection_reason)
    ).all()
    by_source: dict[str, list] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)

    comments = [s for s in sent if s.kind == "comment"]
    acked_comments = [s for s in comments if s.is_acknowledged]
    acked_mentions = [s for s in sent if s.kind != "comment" and s.is_acknowledged]
    lost_comments = [s.key for s in acked_comments if markers[s.key] == 0]
    lost_mentions = [s.key for s in acked_mentions if s.key not in by_source]
    duplicated = [key for key, count in markers.items() if count > 1] + [
        source for source, found in by_source.items() if len(found) > 1
    ]
    unchecked = [
        s.key
        for s in acked_mentions
        if s.key in by_source and not _ended_as_expected(s.key, by_source[s.key][0])
    ]
    server_errors = [s for s in sent if s.is_server_error]
    other_faults = [(s.key, s.fault) for s in sent if s.fault not in (None, UPSTREAM_ERROR)]
    unanswered = [s for s in sent if s.status is None]
    outside_restart = [
        (s.kind, s.status, round(s.started - restart_ended, 2))
        for s in server_errors
        if not (s.started <= restart_ended and s.ended >= restart_started)
    ]
    print(
        f"\nfaults: sent {len(sent)} (comments {len(comments)}, mentions "
        f"{len(sent) - len(comments)}); acknowledged {len(acked_comments)} comments, "
        f"{len(acked_mentions)} mentions; stored {sum(markers.values())} comments, "
        f"{len(by_source)} mentions; lost {len(lost_comments) + len(lost_mentions)}; "
        f"duplicated {len(duplicated)}; unanswered {len(unanswered)}; "
        f"5xx {len(server_errors)} (of which pingback faults 0x0032: "
        f"{sum(s.fault == UPSTREAM_ERROR for s in server_errors)}; outside the restart window: "
        f"{len(outside_restart)}); jobs in Redis at each flush {flushed}; restart took "
        f"{restart_ended - restart_started:.1f} s; every check ended "
        f"{recovered_in:.1f} s after the load"
    )
    assert cut_off.status is None and not cut_off.is_acknowledged, "the killed process answered"
    assert markers[cut_off.key] == 0, "a request cut off mid-body was stored"
    assert acked_comments and acked_mentions, stack.logs()
    assert lost_comments == [] and lost_mentions == [], stack.logs()
    assert duplicated == []
    assert unchecked == [], stack.logs()
    assert outside_restart == [], stack.logs()
    assert other_faults == [], "pingbacks refused for a reason other than a server error"


def _ended_as_expected(source: str, row) -> bool:
    """A linking source ends verified; one without the link ends rejected with its reason."""
    if is_linking(source):
        return row.verification == Verification.VERIFIED
    return row.verification == Verification.REJECTED and bool(row.rejection_reason)
