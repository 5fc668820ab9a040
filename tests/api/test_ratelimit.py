"""Posting is rate limited per IP and per account, in memory or in a real Redis."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.services.sites import create_site
from tests.api.conftest import PAGE
from tests.conftest import make_app


@pytest.fixture(params=["memory", "redis"])
def limited_app(request, app_config):
    app_config["RATELIMIT_ENABLED"] = True
    app_config["RATELIMIT_POST"] = "3 per minute"
    if request.param == "redis":
        app_config["REDIS_URL"] = request.getfixturevalue("redis_url")
    application = make_app(app_config)
    with application.app_context():
        create_site("blog", ["https://blog.example.org"])
        db.session.commit()
    return application


def test_fourth_post_in_a_minute_gets_429_problem(limited_app) -> None:
    client = limited_app.test_client()
    statuses = [
        client.post(
            "/api/sites/blog/comments", json={"url": PAGE, "body": f"n{i}", "name": "A"}
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    refused = client.post("/api/sites/blog/comments", json={"url": PAGE, "body": "x"})
    assert refused.content_type == "application/problem+json"
    assert refused.json["code"] == "rate-limited" and "Retry-After" in refused.headers


def test_refusal_says_when_the_minute_is_over_and_answers_carry_no_limit_headers(
    limited_app,
) -> None:
    client = limited_app.test_client()
    posts = [
        client.post("/api/sites/blog/comments", json={"url": PAGE, "body": f"n{i}", "name": "A"})
        for i in range(4)
    ]
    assert [p.status_code for p in posts] == [201, 201, 201, 429]
    assert not any(name.startswith("X-RateLimit") for p in posts for name, _ in p.headers.items())
    assert "Retry-After" not in posts[0].headers
    assert 1 <= int(posts[-1].headers["Retry-After"]) <= 60


def test_reads_are_not_limited(limited_app) -> None:
    client = limited_app.test_client()
    for _ in range(10):
        response = client.get("/api/sites/blog/thread", query_string={"url": PAGE})
        assert response.status_code == 200


def test_rate_limits_can_be_switched_off(app_config) -> None:
    app_config["RATELIMIT_ENABLED"] = "false"
    application = make_app(app_config)
    assert application.config["RATELIMIT_ENABLED"] is False


def test_edits_are_limited_like_posts(limited_app) -> None:
    client = limited_app.test_client()
    posted = client.post("/api/sites/blog/comments", json={"url": PAGE, "body": "x", "name": "A"})
    headers = {"X-Edit-Token": posted.json["edit_token"]}
    statuses = [
        client.patch(
            f"/api/comments/{posted.json['id']}", json={"body": f"v{i}"}, headers=headers
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_an_ipv6_client_picking_a_fresh_address_per_post_is_still_one_client(
    limited_app,
) -> None:
    """A /64 is one client: an IPv6 host may use any address in it."""
    client = limited_app.test_client()
    statuses = [
        client.post(
            "/api/sites/blog/comments",
            json={"url": PAGE, "body": f"n{i}", "name": "A"},
            environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{i + 1:x}"},
        ).status_code
        for i in range(4)
    ]
    assert statuses == [201, 201, 201, 429]
    other = client.post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "elsewhere", "name": "B"},
        environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"},
    )
    assert other.status_code == 201
