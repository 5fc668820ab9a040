"""``POST /api/sites/<site>/outbound/ping``: a build asks for a pass with the site's token;
reader tokens and site tokens are never taken for one another."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.services.accounts import create_account
from commentsvc.services.feeds import add_feed
from commentsvc.services.site_tokens import rotate_token
from commentsvc.services.sites import create_site
from commentsvc.tokens import issue_token
from tests.outbound_feeds.blogs import Page, post_page, rss


@pytest.fixture
def blog(make_blog):
    blog = make_blog()
    blog.pages["/posts/one"] = Page(post_page("One", "<p>No links.</p>"))
    blog.pages["/feed.xml"] = Page(rss(blog.url, ("/posts/one", "v1")), "application/rss+xml")
    return blog


@pytest.fixture
def token(app, blog) -> str:
    site = create_site("x", [blog.url])
    add_feed(None, site, f"{blog.url}/feed.xml")
    issued = rotate_token(site)
    db.session.commit()
    return issued


def ping(client, token: str | None, site: str = "x"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(f"/api/sites/{site}/outbound/ping", headers=headers)


def test_the_sites_token_asks_for_a_pass_that_runs_as_jobs(client, token, blog) -> None:
    response = ping(client, token)
    assert response.status_code == 202
    assert response.json == {"site": "x", "feeds": 1, "status": "accepted"}
    assert len(blog.requests_for("/feed.xml")) == 1
    assert len(blog.requests_for("/posts/one")) == 1


def test_without_a_token_the_answer_is_401_problem_json(client, token) -> None:
    response = ping(client, None)
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert "site token" in response.json["detail"]


def test_a_wrong_or_rotated_token_is_403(client, token) -> None:
    assert ping(client, "cst_not-the-token").status_code == 403
    from commentsvc.services.sites import get_site

    rotate_token(get_site("x"))
    db.session.commit()
    response = ping(client, token)
    assert response.status_code == 403 and response.mimetype == "application/problem+json"


def test_a_readers_sign_in_token_is_not_a_site_token(client, token, blog) -> None:
    reader = create_account("reader@example.net", "Rita", "correct horse battery")
    db.session.commit()
    reader_token, _ = issue_token(reader, "x", blog.url)
    response = ping(client, reader_token)
    assert response.status_code == 403
    assert blog.requests_for("/feed.xml") == []


def test_a_site_token_is_not_a_readers_sign_in_token(client, token) -> None:
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json == {"authenticated": False}


def test_another_sites_token_is_403_and_an_unknown_site_404(client, token, make_blog) -> None:
    other = create_site("other", [make_blog().url])
    other_token = rotate_token(other)
    add_feed(None, other, f"{other.origins[0]}/feed.xml")
    db.session.commit()
    assert ping(client, other_token).status_code == 403
    assert ping(client, token, site="nosuch").status_code == 404


def test_a_site_without_feeds_is_told_how_to_add_one(client, app, make_blog) -> None:
    site = create_site("bare", [make_blog().url])
    bare_token = rotate_token(site)
    db.session.commit()
    response = ping(client, bare_token, site="bare")
    assert response.status_code == 409
    assert "--feed" in response.json["detail"]


def test_the_endpoint_is_described_in_openapi(client) -> None:
    path = client.get("/api/openapi.json").json["paths"]["/api/sites/{site_name}/outbound/ping"]
    assert path["post"]["security"] == [{"siteToken": []}]
