"""Public reads replayed in front of Flask (commentsvc.response_cache): the same answer as the
app's own, never a stale one after this process's writes, never one with credentials."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from commentsvc import create_app
from commentsvc.extensions import db
from commentsvc.models import Comment, Thread
from commentsvc.services.sites import update_site
from commentsvc.services.thread_cache import cache
from tests.api.conftest import PAGE

ORIGIN = "https://blog.example.org"
PER_REQUEST = {"X-Request-ID", "X-Accel-Expires", "Date"}


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Answers are replayed only while the revisions they were built from are remembered:
    a minute, so a slow runner's reads still fall within it (one test shortens it)."""
    return {**app_config, "THREAD_STATE_SECONDS": 60.0}


def read(client, url: str = PAGE, headers: dict[str, str] | None = None):
    return client.get("/api/sites/blog/thread", query_string={"url": url}, headers=headers or {})


def replays() -> int:
    """Reads answered from a stored answer (counted only once it is found still valid)."""
    return cache().responses._hits


def stored() -> int:
    return len(cache().responses._items)


def same_but_per_request(first, second) -> None:
    assert second.data == first.data
    kept = {name: value for name, value in first.headers if name not in PER_REQUEST}
    assert {name: value for name, value in second.headers if name not in PER_REQUEST} == kept
    assert second.headers["X-Request-ID"] != first.headers["X-Request-ID"]
    assert second.headers["X-Accel-Expires"].startswith("@")


def test_a_repeated_read_is_replayed_with_its_own_request_id(client, post):
    assert post("First").status_code == 201
    first = read(client, headers={"Origin": ORIGIN, "Accept-Encoding": "gzip"})
    before = replays()
    second = read(client, headers={"Origin": ORIGIN, "Accept-Encoding": "gzip"})
    assert replays() == before + 1
    same_but_per_request(first, second)
    assert second.headers["Access-Control-Allow-Origin"] == ORIGIN
    traced = read(
        client, headers={"Origin": ORIGIN, "Accept-Encoding": "gzip", "X-Request-ID": "trace-7"}
    )
    assert traced.headers["X-Request-ID"] == "trace-7"
    assert replays() == before + 2


def test_this_process_writes_show_at_once(client, post):
    assert post("First").status_code == 201
    read(client)
    assert read(client).json["thread"]["count"] == 1
    assert post("Second").status_code == 201
    bodies = [comment["html"] for comment in read(client).json["comments"]]
    assert any("Second" in body for body in bodies)
    counts = client.get("/api/sites/blog/counts", query_string={"url": PAGE})
    assert counts.json == {PAGE: 2}
    assert post("Third").status_code == 201
    counts = client.get("/api/sites/blog/counts", query_string={"url": PAGE})
    assert counts.json == {PAGE: 3}


def test_a_write_to_another_page_keeps_this_pages_replay(client, post):
    assert post("First").status_code == 201
    read(client)
    before = replays()
    assert post("Elsewhere", url="https://blog.example.org/posts/other").status_code == 201
    read(client)
    assert replays() == before + 1


def test_a_stale_answer_is_neither_replayed_nor_counted_as_a_hit(client, post):
    assert post("First").status_code == 201
    read(client)
    before = replays()
    assert post("Second").status_code == 201
    assert read(client).json["thread"]["count"] == 2
    assert replays() == before
    read(client)
    assert replays() == before + 1


def test_a_read_with_other_parameters_is_answered_but_not_kept(client, post):
    assert post("First").status_code == 201
    for number in range(5):
        params = {"url": PAGE, "junk": str(number)}
        assert client.get("/api/sites/blog/thread", query_string=params).status_code == 200
    many = [f"https://blog.example.org/posts/a-rather-long-page-name-{n}" for n in range(80)]
    for _ in range(2):  # a long query: counts of 80 pages
        counts = client.get("/api/sites/blog/counts", query_string={"url": many})
        assert counts.status_code == 200
    assert stored() == 0
    read(client)
    read(client, headers={"X-Forwarded-Host": "evil.example", "Host": "other.example"})
    assert stored() == 1  # the answer does not depend on the host


def test_an_origin_the_site_drops_loses_its_replayed_cors_header_at_once(app, client, site, post):
    extra = "https://extra.example.org"
    update_site(site, origins=[ORIGIN, extra])
    db.session.commit()
    assert post("First").status_code == 201
    for _ in range(2):
        assert (
            read(client, headers={"Origin": extra}).headers["Access-Control-Allow-Origin"] == extra
        )
    update_site(site, origins=[ORIGIN])
    db.session.commit()
    assert "Access-Control-Allow-Origin" not in read(client, headers={"Origin": extra}).headers


def test_each_origin_and_coding_gets_its_own_answer(client, post):
    assert post("First").status_code == 201
    for _ in range(2):
        own = read(client, headers={"Origin": ORIGIN})
        other = read(client, headers={"Origin": "https://evil.example"})
        none = read(client)
        zipped = read(client, headers={"Accept-Encoding": "gzip, br"})
        assert own.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "Access-Control-Allow-Origin" not in other.headers
        assert "Access-Control-Allow-Origin" not in none.headers
        assert zipped.headers["ETag"] == none.headers["ETag"][:-1] + '-gz"'  # one per coding
    assert stored() == 4


def test_a_replayed_read_answers_if_none_match_with_304(client, post):
    assert post("First").status_code == 201
    etag = read(client).headers["ETag"]
    before = replays()
    again = read(client, headers={"If-None-Match": etag})
    assert replays() == before + 1
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert "Content-Encoding" not in again.headers
    assert read(client, headers={"If-None-Match": '"other"'}).status_code == 200


@pytest.mark.parametrize("credential", ["cookie", "authorization"])
def test_a_reader_with_credentials_is_never_replayed_nor_stored(client, post, credential):
    assert post("First").status_code == 201
    if credential == "cookie":
        client.set_cookie("theme", "dark")
        headers = {}
    else:
        headers = {"Authorization": "Bearer not-a-token"}
    for _ in range(3):
        response = read(client, headers=headers)
        assert response.headers["Cache-Control"] == "private, no-store"
    assert replays() == 0
    assert stored() == 0


def test_errors_are_never_stored(client, site):
    for _ in range(2):
        assert client.get("/api/sites/blog/thread").status_code == 400
        assert client.get("/api/sites/nope/thread", query_string={"url": PAGE}).status_code == 404
        assert read(client, "https://elsewhere.example/").status_code == 400
    assert stored() == 0


def test_another_process_write_shows_once_the_remembered_revisions_expire(app, client, post):
    """A write this process did not make (another gunicorn worker, an RQ worker) is not
    announced here: it shows when the remembered revisions expire, as without the cache."""
    assert post("Original").status_code == 201
    app.config["THREAD_STATE_SECONDS"] = 0.3
    cache().state_seconds = 0.3
    cache().states.clear()
    read(client)
    with db.engine.begin() as connection:  # Core, outside the ORM session: no commit hooks
        connection.execute(sa.update(Comment).values(body_html="<p>Changed elsewhere</p>"))
        connection.execute(sa.update(Thread).values(revision=Thread.revision + 1))
    assert "Original" in read(client).json["comments"][0]["html"]
    time.sleep(0.35)
    assert "Changed elsewhere" in read(client).json["comments"][0]["html"]


def test_nothing_is_replayed_without_remembered_revisions(app_config, site):
    """``THREAD_STATE_SECONDS = 0`` (behind the shipped nginx cache): every read is the app's."""
    app = create_app({**app_config, "THREAD_STATE_SECONDS": 0})
    client = app.test_client()
    for _ in range(3):
        assert read(client).status_code == 200
    with app.app_context():
        assert stored() == 0
