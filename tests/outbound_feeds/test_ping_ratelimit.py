"""The ping endpoint is rate-limited per site and caller."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.services.feeds import add_feed
from commentsvc.services.site_tokens import rotate_token
from commentsvc.services.sites import create_site
from tests.outbound_feeds.blogs import Page, rss


@pytest.fixture
def app_config(app_config):
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_OUTBOUND_PING": "2 per minute"}


def test_pings_beyond_the_limit_are_429_problem_json(client, app, make_blog) -> None:
    blog = make_blog()
    blog.pages["/feed.xml"] = Page(rss(blog.url), "application/rss+xml")
    site = create_site("x", [blog.url])
    add_feed(None, site, f"{blog.url}/feed.xml")
    token = rotate_token(site)
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    answers = [client.post("/api/sites/x/outbound/ping", headers=headers) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [202, 202, 429]
    assert answers[2].mimetype == "application/problem+json"
