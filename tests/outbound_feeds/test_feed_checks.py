"""Watching a feed: conditional GETs, reads of new and changed posts, the sends they queue,
back-off on errors, and the sweep that schedules it all. Real loopback servers throughout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import OutboundPost, SiteFeed
from commentsvc.models.base import utcnow
from commentsvc.services.feeds import add_feed
from commentsvc.services.outbound import sends_for_post
from commentsvc.services.sites import create_site, update_site
from tests.outbound_feeds.blogs import Page, post_page, rss
from workers.feeds import check_feed
from workers.sweep import sweep

ETAG = '"v1"'
LAST_MODIFIED = "Tue, 02 Jan 2024 10:00:00 GMT"


@pytest.fixture
def target(make_blog):
    """Another site's pages (no endpoint advertised: the sends end as no-endpoint)."""
    blog = make_blog()
    for path in ("/a", "/b", "/c"):
        blog.pages[path] = Page("<html><body>a page</body></html>")
    return blog


@pytest.fixture
def blog(make_blog, target):
    blog = make_blog()
    blog.pages["/posts/one"] = Page(
        post_page("One", f'<a href="{target.url}/a">A</a> <a href="{target.url}/b">B</a>')
    )
    blog.pages["/feed.xml"] = Page(
        rss(blog.url, ("/posts/one", "v1")),
        "application/rss+xml",
        etag=ETAG,
        last_modified=LAST_MODIFIED,
    )
    return blog


class Watched:
    """The feed under test, read afresh each time: jobs end their session (detaching rows)."""

    def __init__(self, feed_id: int) -> None:
        self.id = feed_id

    def __getattr__(self, name: str):
        return getattr(db.session.get(SiteFeed, self.id), name)


@pytest.fixture
def feed(app, blog) -> Watched:
    site = create_site("x", [blog.url])
    created = add_feed(None, site, f"{blog.url}/feed.xml")
    db.session.commit()
    return Watched(created.id)


def post_url(blog) -> str:
    return f"{blog.url}/posts/one"


def sent(feed: Watched, url: str) -> list[tuple[str, str]]:
    return [(send.target_url, send.reason.value) for send in sends_for_post(feed.site, url)]


def due_now(feed: Watched) -> None:
    db.session.get(SiteFeed, feed.id).next_check_at = utcnow()
    db.session.commit()


def test_a_new_post_sends_to_the_links_of_its_content_only(feed, blog, target) -> None:
    assert check_feed(feed.id) == 1
    assert sent(feed, post_url(blog)) == [(f"{target.url}/a", "new"), (f"{target.url}/b", "new")]
    post = db.session.scalar(db.select(OutboundPost))
    assert post.links == [f"{target.url}/a", f"{target.url}/b"] and not post.is_scan_due
    assert feed.etag == ETAG and feed.last_modified == LAST_MODIFIED


def test_the_second_check_is_conditional_and_a_304_does_nothing(feed, blog) -> None:
    check_feed(feed.id)
    post_reads = len(blog.requests_for("/posts/one"))
    due_now(feed)
    check_feed(feed.id)
    conditional = blog.requests_for("/feed.xml")[-1]
    assert conditional["If-None-Match"] == ETAG
    assert conditional["If-Modified-Since"] == LAST_MODIFIED
    assert "application/rss+xml" in conditional["Accept"]
    assert feed.last_status == 304
    assert len(blog.requests_for("/posts/one")) == post_reads
    assert len(sends_for_post(feed.site, post_url(blog))) == 2
    assert feed.next_check_at > utcnow() + timedelta(seconds=feed.interval_seconds - 60)


def test_a_check_before_its_time_fetches_nothing(feed, blog) -> None:
    check_feed(feed.id)
    assert check_feed(feed.id) == 0
    assert len(blog.requests_for("/feed.xml")) == 1


def test_a_changed_post_sends_to_its_links_and_to_the_links_it_lost(feed, blog, target) -> None:
    check_feed(feed.id)
    blog.pages["/posts/one"] = Page(
        post_page("One", f'<a href="{target.url}/b">B</a> <a href="{target.url}/c">C</a>')
    )
    blog.pages["/feed.xml"] = Page(rss(blog.url, ("/posts/one", "v2")), "application/rss+xml")
    due_now(feed)
    check_feed(feed.id)
    assert sent(feed, post_url(blog))[2:] == [
        (f"{target.url}/b", "changed"),
        (f"{target.url}/c", "changed"),
        (f"{target.url}/a", "removed-link"),
    ]


def test_an_unchanged_page_sends_nothing_even_when_its_feed_item_changed(feed, blog) -> None:
    check_feed(feed.id)
    blog.pages["/feed.xml"] = Page(
        rss(blog.url, ("/posts/one", "new summary")), "application/rss+xml"
    )
    due_now(feed)
    check_feed(feed.id)
    assert len(blog.requests_for("/posts/one")) == 2
    assert len(sends_for_post(feed.site, post_url(blog))) == 2


def test_a_post_gone_from_the_feed_with_a_410_sends_to_all_its_old_links(
    feed, blog, target
) -> None:
    check_feed(feed.id)
    blog.pages["/feed.xml"] = Page(rss(blog.url), "application/rss+xml")
    blog.pages["/posts/one"] = Page("Gone", status=410)
    due_now(feed)
    check_feed(feed.id)
    assert sent(feed, post_url(blog))[2:] == [
        (f"{target.url}/a", "gone"),
        (f"{target.url}/b", "gone"),
    ]
    post = db.session.scalar(db.select(OutboundPost))
    assert post.is_gone and not post.is_listed


def test_a_post_merely_dropped_from_the_feed_sends_nothing(feed, blog) -> None:
    check_feed(feed.id)
    blog.pages["/feed.xml"] = Page(rss(blog.url), "application/rss+xml")
    due_now(feed)
    check_feed(feed.id)
    assert len(sends_for_post(feed.site, post_url(blog))) == 2
    assert not db.session.scalar(db.select(OutboundPost)).is_gone


def test_a_failing_feed_backs_off_doubling_and_recovers(feed, blog) -> None:
    blog.pages["/feed.xml"] = Page("down", status=503)
    check_feed(feed.id)
    first_wait = feed.next_check_at - utcnow()
    assert feed.failures == 1 and "503" in feed.last_error
    due_now(feed)
    check_feed(feed.id)
    assert feed.failures == 2
    assert feed.next_check_at - utcnow() > first_wait + timedelta(seconds=feed.interval_seconds)
    blog.pages["/feed.xml"] = Page(rss(blog.url), "application/rss+xml")
    due_now(feed)
    check_feed(feed.id)
    assert feed.failures == 0 and feed.last_error is None


def test_a_document_that_is_no_feed_is_recorded_as_the_error(feed, blog) -> None:
    blog.pages["/feed.xml"] = Page("<html><body>Hello</body></html>")
    check_feed(feed.id)
    assert feed.failures == 1 and "h-feed" in feed.last_error


def test_feeds_are_only_read_from_the_sites_own_origins(feed, blog, target) -> None:
    with pytest.raises(InvalidInput, match="origins"):
        add_feed(None, feed.site, f"{target.url}/feed.xml")
    update_site(db.session.get(SiteFeed, feed.id).site, origins=["https://moved.example.org"])
    db.session.commit()
    check_feed(feed.id)
    assert blog.requests_for("/feed.xml") == []
    assert "origins" in feed.last_error


def test_posts_listed_off_the_sites_origins_are_never_read(feed, blog, target) -> None:
    blog.pages["/feed.xml"] = Page(
        rss(blog.url, ("/posts/one", "v1")).replace(
            "</channel>", f"<item><link>{target.url}/a</link></item></channel>"
        ),
        "application/rss+xml",
    )
    check_feed(feed.id)
    assert [post.url for post in db.session.scalars(db.select(OutboundPost))] == [post_url(blog)]
    assert len(target.requests_for("/a")) == 1  # the send's discovery, not a post read


def test_links_beyond_the_cap_are_reported_and_not_sent(app, feed, blog, target) -> None:
    app.config["OUTBOUND_MAX_LINKS_PER_POST"] = 1
    check_feed(feed.id)
    post = db.session.scalar(db.select(OutboundPost))
    assert post.dropped_links == 1
    assert sent(feed, post_url(blog)) == [(f"{target.url}/a", "new")]


def test_the_sweep_checks_due_feeds_and_rereads_posts_whose_job_was_lost(feed, blog) -> None:
    sweep()
    assert len(blog.requests_for("/feed.xml")) == 1
    post = db.session.scalar(db.select(OutboundPost))
    post.is_scan_due = True
    post.is_scan_forced = True
    post.scan_requested_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    sweep()
    assert len(blog.requests_for("/feed.xml")) == 1  # not due yet
    assert len(blog.requests_for("/posts/one")) == 2
    assert not db.session.scalar(db.select(OutboundPost)).is_scan_due


def test_fetch_takes_only_the_conditional_headers_from_its_caller() -> None:
    from workers.fetch import fetch

    with pytest.raises(ValueError, match="extra headers"):
        fetch("http://127.0.0.1:1/", headers={"Host": "internal.example"})
