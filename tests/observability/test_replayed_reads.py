"""A read answered in front of Flask (commentsvc.response_cache) is logged and counted like
any other."""

from __future__ import annotations

import json

from commentsvc import create_app
from tests.api.conftest import PAGE
from tests.observability.scraping import parse_samples


def read(client, url: str = PAGE, headers: dict[str, str] | None = None):
    return client.get("/api/sites/blog/thread", query_string={"url": url}, headers=headers or {})


def test_a_replayed_read_is_logged_and_counted(app_config, site, json_logging):
    app = create_app({**app_config, "LOG_FORMAT": "json", "METRICS_TOKEN": "m" * 32})
    client = app.test_client()
    for number in range(3):
        response = read(client, headers={"X-Request-ID": f"replay-{number}"})
        assert response.status_code == 200
    lines = [line for line in json_logging() if line["logger"] == "commentsvc.access"]
    replayed = next(line for line in lines if line["request_id"] == "replay-2")
    assert replayed["method"] == "GET"
    assert replayed["route"] == "/api/sites/<site_name>/thread"
    assert replayed["status"] == 200
    assert json.dumps(replayed)
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {'m' * 32}"})
    samples = parse_samples(scraped.get_data(as_text=True))
    key = (
        "commentsvc_http_requests_total",
        frozenset(
            {("route", "/api/sites/<site_name>/thread"), ("method", "GET"), ("status", "200")}
        ),
    )
    assert samples[key] >= 3
