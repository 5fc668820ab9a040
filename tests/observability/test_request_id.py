"""The request id: from a sane ``X-Request-ID`` or new, returned, in every problem body, in the
JSON log lines of the request and in the jobs it enqueued."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from rq.job import Job as RQJob

from commentsvc.extensions import db
from commentsvc.job_names import verify_mention_job_id
from commentsvc.jobs import queue
from commentsvc.models import Mention
from tests.workers.pages import link_page

TARGET = "https://blog.example.org/2026/hello"


def test_a_sane_incoming_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "edge-7f3a.42:b"})
    assert response.headers["X-Request-ID"] == "edge-7f3a.42:b"


@pytest.mark.parametrize(
    "incoming", ["x" * 129, "has space", 'quote"d', "new\\nline", "ünïcode", ""]
)
def test_an_unsafe_incoming_request_id_is_replaced_by_a_new_one(client, incoming):
    response = client.get("/healthz", headers={"X-Request-ID": incoming})
    returned = response.headers["X-Request-ID"]
    assert returned != incoming
    assert len(returned) == 32 and int(returned, 16) >= 0


def test_every_response_gets_a_fresh_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    assert first != client.get("/healthz").headers["X-Request-ID"]


def test_a_problem_body_carries_the_request_id_of_its_response(client, site):
    response = client.post(
        "/api/sites/blog/comments", json={"url": "https://elsewhere.example/", "body": "hi"}
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]
    given = client.get("/api/sites/nope/thread?url=x", headers={"X-Request-ID": "trace-1"})
    assert given.get_json()["request_id"] == "trace-1"


def test_json_log_lines_of_a_request_parse_and_carry_its_request_id(app_config, site, json_logging):
    from commentsvc import create_app

    logged = create_app({**app_config, "LOG_FORMAT": "json"}).test_client()
    response = logged.post(
        "/api/sites/blog/comments?email=secret%40example.org",
        json={"url": "https://elsewhere.example/", "body": "hi"},
        headers={"X-Request-ID": "req-json-1"},
    )
    assert response.status_code == 400
    lines = json_logging()
    ours = [line for line in lines if line["request_id"] == "req-json-1"]
    assert len(ours) >= 2, lines  # the client error and the request line
    access = next(line for line in ours if line["logger"] == "commentsvc.access")
    assert access["method"] == "POST"
    assert access["route"] == "/api/sites/<site_name>/comments"
    assert access["status"] == 400
    assert 0 <= access["duration"] < 10
    assert {"time", "level", "logger", "message"} <= access.keys()
    assert all("secret@example.org" not in json.dumps(line) for line in lines)


@pytest.fixture
def app_config(app_config, redis_url):
    return {**app_config, "REDIS_URL": redis_url}


def test_a_job_enqueued_by_a_request_carries_its_request_id_in_rq_meta(app, client, site, pages):
    source = pages.html("/links-here", link_page(TARGET))
    response = client.post(
        "/webmention/blog",
        data={"source": source, "target": TARGET},
        headers={"X-Request-ID": "mention-req-9"},
    )
    assert response.status_code == 201
    mention_id = db.session.scalars(sa.select(Mention.id)).one()
    job = RQJob.fetch(verify_mention_job_id(mention_id), connection=queue(app).connection)
    assert job.meta["request_id"] == "mention-req-9"
