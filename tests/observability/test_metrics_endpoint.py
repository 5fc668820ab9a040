"""``GET /metrics``: who may read it, and what the web process records."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.observability.scraping import METRICS_TOKEN, parse_samples

THREAD_RULE = "/api/sites/<site_name>/thread"


@pytest.fixture
def app_config(app_config: dict[str, object]) -> dict[str, object]:
    """Replays count as hits only while the revisions they were built from are remembered:
    a minute, so a slow runner's reads still fall within it."""
    return {**app_config, "THREAD_STATE_SECONDS": 60.0}


def test_metrics_is_a_404_problem_when_neither_token_nor_networks_are_configured(app, client):
    app.config.update(METRICS_TOKEN=None, METRICS_ALLOW_NETWORKS=[])
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", f"Basic {METRICS_TOKEN}", "Bearer "]
)
def test_metrics_refuses_a_scraper_without_the_token_with_a_403_problem(client, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert "Bearer" in response.get_json()["detail"]


def test_metrics_answers_the_bearer_token_in_prometheus_text_format(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    assert response.headers["Cache-Control"] == "no-store"
    assert "# TYPE commentsvc_http_requests_total counter" in response.get_data(as_text=True)


@pytest.fixture
def behind_proxy(app_config):
    return {
        **app_config,
        "METRICS_TOKEN": None,
        "METRICS_ALLOW_NETWORKS": "10.0.0.0/8, 192.168.7.0/24",
        "PROXY_COUNT": 1,
    }


@pytest.mark.parametrize(
    ("forwarded_for", "status"),
    [("10.1.2.3", 200), ("192.168.7.20", 200), ("192.0.2.1", 403), ("127.0.0.1", 403)],
)
def test_metrics_opens_to_allowed_networks_by_the_address_seen_after_proxyfix(
    behind_proxy, app_config, forwarded_for, status
):
    from commentsvc import create_app

    app = create_app(behind_proxy)
    response = app.test_client().get("/metrics", headers={"X-Forwarded-For": forwarded_for})
    assert response.status_code == status


def test_requests_are_counted_by_url_rule_and_status_never_by_raw_path(
    client, site, scrape, sample
):
    before = scrape()
    for page in ("/a?token=secret-value", "/b", "/c"):
        url = quote(f"https://blog.example.org{page}", safe="")
        assert client.get(f"/api/sites/blog/thread?url={url}").status_code == 200
    assert client.get("/api/sites/nosuch/thread?url=https%3A%2F%2Fx.example%2F").status_code == 404
    assert client.get("/no/such/path/at/all").status_code == 404
    after = scrape()

    def delta(**labels: str) -> float:
        name = "commentsvc_http_requests_total"
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert delta(route=THREAD_RULE, method="GET", status="200") == 3
    assert delta(route=THREAD_RULE, method="GET", status="404") == 1
    assert delta(route="<unmatched>", method="GET", status="404") == 1
    routes = {dict(labels).get("route") or "" for _name, labels in after}
    assert not any("blog.example.org" in route or "/no/such" in route for route in routes)
    count = "commentsvc_http_request_duration_seconds_count"
    assert sample(after, count, route=THREAD_RULE) - sample(before, count, route=THREAD_RULE) == 4


def test_thread_reads_count_cache_hits_and_misses(client, site, scrape, sample):
    url = quote("https://blog.example.org/cached", safe="")
    client.get(f"/api/sites/blog/thread?url={url}")
    before = scrape()
    for _ in range(3):
        assert client.get(f"/api/sites/blog/thread?url={url}").status_code == 200
    replayed = scrape()
    client.set_cookie("theme", "dark")  # a reader with a cookie is never replayed an answer
    for _ in range(3):
        response = client.get(f"/api/sites/blog/thread?url={url}")
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-store"
    after = scrape()
    name = "commentsvc_thread_cache_lookups_total"

    def hits(cache: str, start: list, end: list) -> float:
        return sample(end, name, cache=cache, result="hit") - sample(
            start, name, cache=cache, result="hit"
        )

    assert hits("responses", before, replayed) == 3
    assert hits("states", replayed, after) == 3
    assert sample(after, name, cache="pages", result="hit") >= sample(
        before, name, cache="pages", result="hit"
    )


def test_database_pool_use_is_reported(client, site, scrape, sample):
    client.get("/api/sites/blog/thread?url=https%3A%2F%2Fblog.example.org%2F")
    samples = scrape()
    assert sample(samples, "commentsvc_db_pool_size") >= 1
    assert sample(samples, "commentsvc_db_pool_checked_out") >= 0
    assert sample(samples, "commentsvc_db_pool_overflow") >= 0


def test_made_up_methods_are_counted_as_other_never_as_a_series_of_their_own(
    client, scrape, sample
):
    before = scrape()
    for method in ("BREW", "PROPFIND", "X" * 40):
        assert client.open("/healthz", method=method).status_code == 405
    assert client.open("/healthz", method="DELETE").status_code == 405
    after = scrape()
    name = "commentsvc_http_requests_total"
    methods = {dict(labels).get("method") for sample_name, labels in after if sample_name == name}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    other = sample(after, name, route="<unmatched>", method="other", status="405")
    assert other - sample(before, name, route="<unmatched>", method="other", status="405") == 3
    deleted = sample(after, name, route="<unmatched>", method="DELETE", status="405")
    assert deleted - sample(before, name, route="<unmatched>", method="DELETE", status="405") == 1


def test_metrics_answer_with_the_web_metrics_and_redis_down_when_redis_is_unreachable(
    unreachable_redis_config, caplog
):
    from commentsvc import create_app

    app = create_app(unreachable_redis_config)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    samples = parse_samples(response.get_data(as_text=True))
    assert samples[("commentsvc_redis_up", frozenset())] == 0
    requests = [
        value
        for (name, labels), value in samples.items()
        if name == "commentsvc_http_requests_total" and dict(labels)["route"] == "/healthz"
    ]
    assert requests and sum(requests) >= 1
    assert not any(name.startswith("commentsvc_jobs") for name, _labels in samples)
    tallies = [r for r in caplog.records if "job tallies" in r.getMessage()]
    assert len(tallies) == 1 and tallies[0].levelname == "WARNING"
