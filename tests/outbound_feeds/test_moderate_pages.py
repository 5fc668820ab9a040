"""The operators' pages for feeds and sent mentions: shown and edited per site, CSRF on every
form, another site's operator gets 404."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.models import AuditEntry, SiteFeed
from commentsvc.services.accounts import create_account
from commentsvc.services.feeds import add_feed
from commentsvc.services.outbound import sends_for_post, stopped_hosts
from commentsvc.services.sites import create_site, get_site
from tests.outbound_feeds.blogs import Page, post_page, rss
from workers.feeds import check_feed

PASSWORD = "correct horse battery"


@pytest.fixture
def blog(app, make_blog):
    target = make_blog()
    target.pages["/t"] = Page("<html><body>no endpoint</body></html>")
    blog = make_blog()
    blog.pages["/posts/one"] = Page(post_page("One", f'<a href="{target.url}/t">t</a>'))
    blog.pages["/feed.xml"] = Page(rss(blog.url, ("/posts/one", "v1")), "application/rss+xml")
    site = create_site("x", [blog.url])
    create_site("shop", ["https://shop.example.org"])
    feed = add_feed(None, site, f"{blog.url}/feed.xml")
    db.session.commit()
    check_feed(feed.id)
    blog.target = target
    return blog


@pytest.fixture
def operator(blog):
    account = create_account("ops@x.example", "Olga Ops", PASSWORD, operator_of=["x"])
    db.session.commit()
    return account


@pytest.fixture
def stranger(blog):
    account = create_account("ops@shop.example", "Sam Shop", PASSWORD, operator_of=["shop"])
    db.session.commit()
    return account


def test_the_sites_page_shows_feeds_and_links_to_their_page(sign_in, operator, blog) -> None:
    html = sign_in(operator).get("/moderate/sites").get_data(as_text=True)
    assert f"{blog.url}/feed.xml" in html and "/moderate/sites/x/outbound" in html


def test_the_outbound_page_lists_each_posts_sends_and_outcomes(sign_in, operator, blog) -> None:
    response = sign_in(operator).get("/moderate/sites/x/outbound")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"{blog.url}/posts/one" in html and f"{blog.target.url}/t" in html
    assert "no-endpoint" in html and "HTTP 200" in html


def test_an_operator_adds_and_removes_a_feed(sign_in, operator, blog) -> None:
    browser = sign_in(operator)
    added = browser.post(
        "/moderate/sites/x/feeds", {"url": f"{blog.url}/index.json", "interval_minutes": "15"}
    )
    assert added.status_code == 302
    feed = db.session.scalar(db.select(SiteFeed).where(SiteFeed.url.endswith("index.json")))
    assert feed.interval_seconds == 900
    removed = browser.post("/moderate/sites/x/feeds/remove", {"url": f"{blog.url}/index.json"})
    assert removed.status_code == 302
    assert db.session.scalar(db.select(db.func.count(SiteFeed.id))) == 1
    actions = db.session.scalars(db.select(AuditEntry.action)).all()
    assert actions == ["feed-add", "feed-remove"]


def test_bad_feed_forms_are_clear_400s(sign_in, operator, blog) -> None:
    browser = sign_in(operator)
    off_site = browser.post("/moderate/sites/x/feeds", {"url": "https://elsewhere.example/f"})
    assert off_site.status_code == 400 and "origins" in off_site.get_data(as_text=True)
    bad_interval = browser.post(
        "/moderate/sites/x/feeds", {"url": f"{blog.url}/f", "interval_minutes": "²"}
    )
    assert bad_interval.status_code == 400


def test_resend_queues_the_send_again_and_it_runs(sign_in, operator, blog) -> None:
    [send] = sends_for_post(get_site("x"), f"{blog.url}/posts/one")
    before = len(blog.target.requests_for("/t"))
    response = sign_in(operator).post(f"/moderate/sites/x/sends/{send.id}/resend")
    assert response.status_code == 302
    assert len(blog.target.requests_for("/t")) == before + 1


def test_stop_and_resume_a_host(sign_in, operator, blog) -> None:
    browser = sign_in(operator)
    assert browser.post("/moderate/sites/x/hosts/stop", {"host": "spam.example"}).status_code == 302
    assert stopped_hosts(get_site("x")) == ["spam.example"]
    assert "spam.example" in browser.get("/moderate/sites/x/outbound").get_data(as_text=True)
    assert (
        browser.post("/moderate/sites/x/hosts/resume", {"host": "spam.example"}).status_code == 302
    )
    assert stopped_hosts(get_site("x")) == []


def test_a_pass_asked_for_on_the_page_reads_the_feeds(sign_in, operator, blog) -> None:
    reads = len(blog.requests_for("/feed.xml"))
    assert sign_in(operator).post("/moderate/sites/x/outbound/pass").status_code == 302
    assert len(blog.requests_for("/feed.xml")) == reads + 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/moderate/sites/x/outbound"),
        ("post", "/moderate/sites/x/feeds"),
        ("post", "/moderate/sites/x/feeds/remove"),
        ("post", "/moderate/sites/x/outbound/pass"),
        ("post", "/moderate/sites/x/sends/1/resend"),
        ("post", "/moderate/sites/x/hosts/stop"),
        ("post", "/moderate/sites/x/hosts/resume"),
    ],
)
def test_another_sites_operator_gets_404(sign_in, stranger, blog, method, path) -> None:
    browser = sign_in(stranger)
    response = browser.get(path) if method == "get" else browser.post(path, {"url": "x"})
    assert response.status_code == 404


def test_forms_without_the_csrf_token_are_refused(sign_in, operator, blog) -> None:
    response = sign_in(operator).post(
        "/moderate/sites/x/hosts/stop", {"host": "spam.example"}, csrf=False
    )
    assert response.status_code == 400
    assert stopped_hosts(get_site("x")) == []


def test_a_huge_send_id_is_404_not_500(sign_in, operator, blog) -> None:
    response = sign_in(operator).post(f"/moderate/sites/x/sends/{2**40}/resend")
    assert response.status_code == 404
