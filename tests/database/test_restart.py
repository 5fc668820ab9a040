"""PostgreSQL restarts and outages under a running app: no 500s; reads run again, writes get 503.

Each test drives the app against a server of its own (see conftest.py) and stops, restarts or
cuts sessions of that real server.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from commentsvc.extensions import db
from commentsvc.models import Comment
from commentsvc.services.sites import create_site

PAGE = "https://blog.example.org/posts/restart"


@pytest.fixture
def site(app):
    created = create_site("blog", ["https://blog.example.org"])
    db.session.commit()
    return created


def post(client, body: str):
    payload = {"url": PAGE, "body": body, "name": "Ann"}
    return client.post("/api/sites/blog/comments", json=payload)


def read(client):
    return client.get("/api/sites/blog/thread", query_string={"url": PAGE})


def fill_pool(connections: int = 3) -> None:
    """Leave several idle connections in the pool, as a busy server has: all die in a restart."""
    held = [db.engine.connect() for _ in range(connections)]
    for connection in held:
        connection.execute(sa.text("SELECT 1"))
        connection.close()


def test_after_a_quiet_restart_the_pool_lends_no_dead_connection(
    app, client, site, own_postgres
) -> None:
    """Idle pooled connections all die in a restart; each is tested before it is lent."""
    assert post(client, "before").status_code == 201
    fill_pool()
    own_postgres.restart()
    assert [post(client, f"after {n}").status_code for n in range(4)] == [201] * 4
    response = read(client)
    assert response.status_code == 200 and response.json["thread"]["count"] == 5


def test_a_fast_restart_under_steady_traffic_gives_no_500_and_recovers_at_once(
    app, site, own_postgres
) -> None:
    """Posts and reads keep coming while the server restarts: each is served or told to come
    back (503), and every one sent after the restart is served, none on a dead connection."""
    assert post(app.test_client(), "before").status_code == 201
    fill_pool()
    restarted = threading.Event()
    statuses: dict[str, list[tuple[bool, int]]] = {"post": [], "read": []}
    raised: list[BaseException] = []  # the test client re-raises what would be an HTML 500

    def keep_sending(kind: str) -> None:
        client = app.test_client()
        sent_after = 0
        while sent_after < 5:
            after = restarted.is_set()
            try:
                response = post(client, "steady") if kind == "post" else read(client)
            except Exception as error:
                raised.append(error)
                return
            statuses[kind].append((after, response.status_code))
            sent_after += after

    senders = [threading.Thread(target=keep_sending, args=(kind,)) for kind in statuses]
    for sender in senders:
        sender.start()
    time.sleep(0.3)
    own_postgres.restart()
    restarted.set()
    for sender in senders:
        sender.join(30)
    assert raised == []
    for kind, sent in statuses.items():
        during = {status for after, status in sent if not after}
        assert during <= {201 if kind == "post" else 200, 503}, (kind, sent)
        assert [status for after, status in sent if after] == [201 if kind == "post" else 200] * 5
    response = read(app.test_client())
    assert response.status_code == 200
    served = sum(status == 201 for _, status in statuses["post"])
    assert response.json["thread"]["count"] >= 1 + served


def test_while_the_server_is_down_posts_get_503_with_retry_after(
    app, client, site, own_postgres
) -> None:
    assert post(client, "before").status_code == 201
    own_postgres.stop()
    try:
        posted = post(client, "during")
        reading = read(client)
    finally:
        own_postgres.start()
    for response in (posted, reading):
        assert response.status_code == 503, response.data
        assert response.content_type == "application/problem+json"
        assert int(response.headers["Retry-After"]) > 0
    assert post(client, "after").status_code == 201
    assert [c["html"] for c in read(client).json["comments"]] == ["<p>before</p>", "<p>after</p>"]


def test_a_read_whose_connection_breaks_is_run_again_once(app, client, site, cut_session) -> None:
    assert post(client, "kept").status_code == 201
    fired = cut_session("SELECT")
    response = read(client)
    assert len(fired) == 1
    assert response.status_code == 200, response.data
    assert [c["html"] for c in response.json["comments"]] == ["<p>kept</p>"]


def test_a_post_whose_connection_breaks_is_503_and_writes_nothing(
    app, client, site, cut_session
) -> None:
    assert post(client, "first").status_code == 201
    fired = cut_session("WITH")  # the comment's INSERT and its thread's count: one statement
    response = post(client, "lost")
    assert len(fired) == 1
    assert response.status_code == 503, response.data
    assert response.content_type == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1
    assert post(client, "again").status_code == 201


def test_a_read_that_already_committed_is_not_run_twice(app, client, site, cut_session) -> None:
    runs: list[int] = []

    def commit_then_read() -> dict[str, int]:
        runs.append(1)
        create_site(f"made-{len(runs)}", ["https://other.example"])
        db.session.commit()
        return {"sites": db.session.scalar(sa.text("SELECT count(*) FROM sites"))}

    app.add_url_rule("/test/commit-then-read", view_func=commit_then_read)
    fired = cut_session("SELECT count")
    response = client.get("/test/commit-then-read")
    assert len(fired) == 1 and runs == [1]
    assert response.status_code == 503


def test_a_connection_lost_after_the_last_query_still_answers_the_request(
    app, client, site, own_postgres, serve
) -> None:
    """The server restarts between a read's last query and the end of the request: closing
    the session rolls back on a dead connection, which must not turn the answer into a 500."""
    admin = sa.create_engine(own_postgres.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    armed: list[bool] = []

    def end_the_session(response):
        if armed:
            pid = db.session.connection().connection.dbapi_connection.info.backend_pid
            with admin.connect() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        return response

    app.after_request(end_the_session)
    assert post(client, "kept").status_code == 201
    live = serve(app)  # a request context of its own per request, as in production
    armed.append(True)
    response = requests.get(f"{live.url}/api/sites/blog/thread", params={"url": PAGE}, timeout=10)
    armed.clear()
    admin.dispose()
    assert response.status_code == 200, response.text
    assert [c["html"] for c in response.json()["comments"]] == ["<p>kept</p>"]
    again = requests.get(f"{live.url}/api/sites/blog/thread", params={"url": PAGE}, timeout=10)
    assert again.status_code == 200
