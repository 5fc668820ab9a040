"""``site update --feed/--no-feed``, ``site list``, ``site token`` and ``mentions send``."""

from __future__ import annotations

import pytest

from commentsvc.cli.mentions import send
from commentsvc.cli.site import list_sites, token, update
from commentsvc.extensions import db
from commentsvc.models import SiteFeed
from commentsvc.services.site_tokens import is_site_token
from commentsvc.services.sites import create_site, get_site
from tests.outbound_feeds.blogs import Page, post_page, rss


@pytest.fixture
def target(make_blog, service_url):
    """Another site's post that advertises this service's webmention endpoint."""
    blog = make_blog()
    create_site("y", [blog.url])
    blog.pages["/t"] = Page(
        post_page("T", "t", extra=f'<link rel="webmention" href="{service_url}/webmention/y">')
    )
    blog.pages["/plain"] = Page("<html><body>no endpoint</body></html>")
    return blog


@pytest.fixture
def blog(app, make_blog, target):
    blog = make_blog()
    blog.pages["/posts/one"] = Page(
        post_page("One", f'<a href="{target.url}/t">t</a> <a href="{target.url}/plain">p</a>')
    )
    blog.pages["/feed.xml"] = Page(rss(blog.url, ("/posts/one", "v1")), "application/rss+xml")
    create_site("x", [blog.url])
    db.session.commit()
    return blog


def invoke(app, command, *args: str):
    return app.test_cli_runner().invoke(command, list(args))


def test_feeds_are_added_listed_and_removed(app, blog) -> None:
    feed_url = f"{blog.url}/feed.xml"
    added = invoke(app, update, "x", "--feed", feed_url, "--feed", f"{blog.url}/index.json")
    assert added.exit_code == 0, added.output
    assert f"feeds={feed_url}" in invoke(app, list_sites).output.replace(
        f" {blog.url}/index.json", ""
    )
    removed = invoke(app, update, "x", "--no-feed", f"{blog.url}/index.json")
    assert removed.exit_code == 0
    assert [feed.url for feed in db.session.scalars(db.select(SiteFeed))] == [feed_url]


def test_a_feed_off_the_sites_origins_is_a_clear_error(app, blog) -> None:
    result = invoke(app, update, "x", "--feed", "https://elsewhere.example/feed.xml")
    assert result.exit_code != 0 and "origins" in result.output


def test_a_feed_interval_is_set_with_the_feed(app, blog) -> None:
    result = invoke(app, update, "x", "--feed", f"{blog.url}/feed.xml", "--feed-interval", "600")
    assert result.exit_code == 0
    assert db.session.scalar(db.select(SiteFeed.interval_seconds)) == 600
    assert invoke(app, update, "x", "--feed-interval", "600").exit_code == 2


def test_site_token_prints_a_new_token_once_and_rotates(app, blog) -> None:
    first = invoke(app, token, "x").stdout.strip()
    second = invoke(app, token, "x").stdout.strip()
    assert first.startswith("cst_") and first != second
    assert is_site_token(get_site("x"), second) and not is_site_token(get_site("x"), first)


def test_mentions_send_prints_a_line_per_link(app, blog, target, service_url) -> None:
    invoke(app, update, "x", "--feed", f"{blog.url}/feed.xml")
    result = invoke(app, send, "x")
    assert result.exit_code == 0, result.output
    lines = sorted(result.stdout.splitlines())
    plain, with_endpoint = (line.split("\t") for line in lines)
    assert plain[:3] == [f"{target.url}/plain", "-", "none"]
    assert plain[3].startswith("no-endpoint")
    assert with_endpoint[:3] == [f"{target.url}/t", f"{service_url}/webmention/y", "webmention"]
    assert with_endpoint[3].startswith("sent")
    again = invoke(app, send, "x")
    assert again.exit_code == 0 and again.stdout == ""  # nothing changed, nothing sent


def test_mentions_send_url_sends_to_every_link_of_that_post(app, blog, target) -> None:
    invoke(app, update, "x", "--feed", f"{blog.url}/feed.xml")
    invoke(app, send, "x")
    result = invoke(app, send, "x", "--url", f"{blog.url}/posts/one")
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "no site named"),
        (["x"], "has no feed"),
        (["x", "--url", "https://elsewhere.example/post"], "origins"),
    ],
)
def test_mentions_send_usage_errors_exit_non_zero(app, blog, args, message) -> None:
    result = invoke(app, send, *args)
    assert result.exit_code == 2 and message in result.stderr
