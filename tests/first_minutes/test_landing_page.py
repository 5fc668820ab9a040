"""`GET /` answers a page about the service; the demo's stand-in providers exist only in the
demo: a configured service answers their routes with 404."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.conftest import make_app


def test_root_answers_a_page_that_says_what_the_service_is(client) -> None:
    answer = client.get("/")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    assert "self-hosted comment service" in html
    assert 'href="/moderate/"' in html and 'href="/api/openapi.json"' in html
    assert "http://comments.test/embed.js" in html  # the tag to paste, with this address
    assert "sample blog" not in html  # not the demo
    assert "script-src" not in answer.headers["Content-Security-Policy"]  # no script at all


def test_root_links_to_the_demo_blog_in_the_demo(app_config) -> None:
    app: Flask = make_app({**app_config, "DEMO_BLOG_URL": "http://127.0.0.1:8001/"})
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'href="http://127.0.0.1:8001/"' in html and "sample blog" in html


def test_other_unknown_paths_still_answer_problem_json(client) -> None:
    answer = client.get("/no-such-page")
    assert answer.status_code == 404 and answer.mimetype == "application/problem+json"


@pytest.mark.parametrize(
    "path",
    [
        "/demo-provider/twitter/authorize?response_type=code&client_id=commentsvc-demo",
        "/demo-provider/facebook/token",
        "/demo-provider/twitter/2/users/me",
        "/demo-provider/facebook/me",
    ],
)
def test_a_configured_service_has_no_stand_in_provider_routes(client, path: str) -> None:
    assert client.get(path).status_code == 404
    assert client.post(path).status_code == 404
