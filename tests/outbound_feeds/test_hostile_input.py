"""What a hostile or broken site serves, and reads that race: a bad link costs only itself,
a document the parsers choke on is a failure that backs off, two reads of one post send
once, links past the cap are never taken for lost. Real loopback servers throughout."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask

from commentsvc.extensions import db
from commentsvc.models import OutboundPost, Site, SiteFeed
from commentsvc.models.base import utcnow
from commentsvc.services.feeds import add_feed
from commentsvc.services.outbound import sends_for_post
from commentsvc.services.sites import create_site
from tests.outbound_feeds.blogs import Page, StaticBlog, post_page, rss
from workers.feeds import check_feed
from workers.post_links import scan_post

BAD = "http://["


@pytest.fixture
def target(make_blog) -> StaticBlog:
    """Another site's pages (no endpoint: the sends end as no-endpoint)."""
    blog = make_blog()
    for path in ("/a", "/b", "/c", "/x"):
        blog.pages[path] = Page("<html><body>a page</body></html>")
    return blog


@pytest.fixture
def blog(app, make_blog, target) -> StaticBlog:
    blog = make_blog()
    blog.pages["/posts/one"] = Page(post_page("One", f'<a href="{target.url}/a">A</a>'))
    create_site("x", [blog.url])
    db.session.commit()
    return blog


def watch(blog: StaticBlog, path: str, body: str, content_type: str) -> int:
    """The feed at ``path`` serving ``body``, watched by site x; its id."""
    blog.pages[path] = Page(body, content_type)
    feed = add_feed(None, db.session.scalar(db.select(Site)), f"{blog.url}{path}")
    db.session.commit()
    return feed.id


def feed_row(feed_id: int) -> SiteFeed:
    return db.session.get(SiteFeed, feed_id, populate_existing=True)


def the_post() -> OutboundPost:
    return db.session.scalar(db.select(OutboundPost).execution_options(populate_existing=True))


def sent(blog: StaticBlog, path: str = "/posts/one") -> list[tuple[str, str]]:
    site = db.session.scalar(db.select(Site))
    return [(s.target_url, s.reason.value) for s in sends_for_post(site, f"{blog.url}{path}")]


def due_now(feed_id: int) -> None:
    feed_row(feed_id).next_check_at = utcnow()
    db.session.commit()


# ---------------------------------------------------------------- malformed URLs in a feed


def _feeds(url: str) -> dict[str, tuple[str, str]]:
    good = f"{url}/posts/one"
    return {
        "json": (
            '{"version": "https://jsonfeed.org/version/1.1", "items": ['
            f'{{"url": "{BAD}"}}, {{"url": "{good}"}}]}}',
            "application/feed+json",
        ),
        "rss": (
            rss(url, ("/posts/one", "v1")).replace(
                "<channel>", f"<channel><item><link>{BAD}</link></item>"
            ),
            "application/rss+xml",
        ),
        "atom-xml-base": (
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f'<entry xml:base="{BAD}"><link href="/posts/two"/></entry>'
            f'<entry><link href="{good}"/></entry></feed>',
            "application/atom+xml",
        ),
        "h-entry-u-url": (
            '<!doctype html><html><body><div class="h-feed">'
            f'<div class="h-entry"><a class="u-url" href="{BAD}">bad</a></div>'
            f'<div class="h-entry"><a class="u-url" href="{good}">good</a></div>'
            "</div></body></html>",
            "text/html",
        ),
    }


@pytest.mark.parametrize("shape", ["json", "rss", "atom-xml-base", "h-entry-u-url"])
def test_an_entry_with_a_malformed_link_is_skipped_and_the_feed_still_read(
    blog, target, shape: str
) -> None:
    body, content_type = _feeds(blog.url)[shape]
    feed_id = watch(blog, "/feed", body, content_type)
    assert check_feed(feed_id) == 1
    feed = feed_row(feed_id)
    assert feed.failures == 0 and feed.last_status == 200
    assert sent(blog) == [(f"{target.url}/a", "new")]


def test_a_feed_nested_too_deeply_is_a_failure_that_backs_off(blog) -> None:
    deep = "<div>" * 5000 + "</div>" * 5000
    feed_id = watch(
        blog,
        "/feed",
        f'<!doctype html><html><body><div class="h-feed">{deep}</div></body></html>',
        "text/html",
    )
    check_feed(feed_id)
    feed = feed_row(feed_id)
    assert feed.failures == 1 and "nested too deeply" in feed.last_error
    assert feed.next_check_at > utcnow() + timedelta(seconds=feed.interval_seconds)


def test_a_page_nested_deeper_than_any_template_never_reaches_the_microformats_parser(
    blog, monkeypatch
) -> None:
    """mf2py's time grows with the square of the nesting: 16,000 spans took it 9 s."""

    def never(*args, **kwargs):
        raise AssertionError("mf2py was given the page")

    monkeypatch.setattr("workers.feed_formats.mf2py.parse", never)
    spans = "<span>" * 300
    feed_id = watch(blog, "/feed", f'<html><body><div class="h-feed">{spans}</div></body></html>',
                    "text/html")  # fmt: skip
    check_feed(feed_id)
    assert "nested too deeply" in feed_row(feed_id).last_error


def test_an_unexpected_error_in_a_check_is_recorded_and_backed_off(blog, monkeypatch) -> None:
    feed_id = watch(blog, "/feed", rss(blog.url, ("/posts/one", "v1")), "application/rss+xml")

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("workers.feeds.parse_feed", broken)
    check_feed(feed_id)
    feed = feed_row(feed_id)
    assert feed.failures == 1 and "RuntimeError" in feed.last_error
    assert feed.next_check_at > utcnow() + timedelta(seconds=feed.interval_seconds)
    assert check_feed(feed_id) == 0  # not due again at the next sweep
    assert len(blog.requests_for("/feed")) == 1


def test_over_long_validators_are_dropped_and_the_next_check_is_unconditional(blog) -> None:
    feed_id = watch(blog, "/feed", rss(blog.url, ("/posts/one", "v1")), "application/rss+xml")
    blog.pages["/feed"].etag = '"' + "e" * 600 + '"'
    blog.pages["/feed"].last_modified = "Tue, 02 Jan 2024 10:00:00 GMT" + " " * 200 + "x"
    assert check_feed(feed_id) == 1
    feed = feed_row(feed_id)
    assert feed.failures == 0 and feed.etag is None and feed.last_modified is None
    due_now(feed_id)
    check_feed(feed_id)
    again = blog.requests_for("/feed")[-1]
    assert "If-None-Match" not in again and "If-Modified-Since" not in again
    assert feed_row(feed_id).last_status == 200


# ---------------------------------------------------------------- hostile posts


def new_post(blog: StaticBlog) -> int:
    post = OutboundPost(
        site_id=db.session.scalar(db.select(Site.id)), url=f"{blog.url}/posts/one", links=[]
    )
    db.session.add(post)
    db.session.commit()
    return post.id


def test_a_malformed_base_is_ignored_and_links_resolve_against_the_page(blog, target) -> None:
    blog.pages["/posts/one"] = Page(
        post_page(
            "One",
            f'<a href="/own">me</a> <a href="{target.url}/a">A</a>',
            extra=f'<base href="{BAD}">',
        )
    )
    post_id = new_post(blog)
    assert scan_post(post_id) == 1
    assert the_post().last_error is None
    assert sent(blog) == [(f"{target.url}/a", "new")]


def test_a_malformed_u_url_or_link_in_a_post_is_skipped(blog, target) -> None:
    blog.pages["/posts/one"] = Page(
        '<html><body><div class="h-entry">'
        f'<a class="u-url" href="{BAD}">permalink</a>'
        f'<div class="e-content"><a href="{BAD}">bad</a> <a href="{target.url}/a">A</a></div>'
        "</div></body></html>"
    )
    post_id = new_post(blog)
    assert scan_post(post_id) == 1
    assert the_post().last_error is None
    assert sent(blog) == [(f"{target.url}/a", "new")]


def test_an_unexpected_error_in_a_read_counts_as_a_failure_and_waits(blog, monkeypatch) -> None:
    post_id = new_post(blog)

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("workers.post_links.read_post", broken)
    assert scan_post(post_id) == 0
    post = the_post()
    assert post.scan_failures == 1 and "RuntimeError" in post.last_error
    assert post.is_scan_due and post.scan_requested_at > utcnow()
    assert scan_post(post_id) == 0  # a duplicate job does not cut the wait short
    assert len(blog.requests_for("/posts/one")) == 1


# ---------------------------------------------------------------- two reads at once


def test_two_reads_of_one_post_at_once_send_once_per_link(app: Flask, blog, target) -> None:
    blog.pages["/posts/one"] = Page(
        post_page("One", f'<a href="{target.url}/a">A</a> <a href="{target.url}/b">B</a>')
    )
    post_id = new_post(blog)
    both_fetching = threading.Barrier(2, timeout=1)

    def wait_for_the_other(path: str) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):  # only one read came
            both_fetching.wait()  # without a claim both reads get here before either commits

    blog.before = wait_for_the_other
    errors: list[BaseException] = []

    def read() -> None:
        try:
            with app.app_context():
                scan_post(post_id)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert Counter(target for target, _ in sent(blog)) == {
        f"{target.url}/a": 1,
        f"{target.url}/b": 1,
    }
    assert len(blog.requests_for("/posts/one")) == 1
    assert not the_post().is_scan_due


def test_a_read_asked_for_while_one_runs_stays_due(app: Flask, blog) -> None:
    post_id = new_post(blog)
    asked = threading.Event()

    def ask_again(path: str) -> None:
        with app.app_context():  # a feed check records a new read meanwhile
            post = db.session.get(OutboundPost, post_id)
            post.scan_requested_at = utcnow()
            db.session.commit()
            db.session.remove()
        asked.set()

    blog.before = ask_again
    scan_post(post_id)
    assert asked.is_set()
    post = the_post()
    assert post.is_scan_due and post.scan_claimed_at is None and post.content_hash


# ---------------------------------------------------------------- the cap


def test_links_past_the_cap_are_not_taken_for_lost(app: Flask, blog, target) -> None:
    app.config["OUTBOUND_MAX_LINKS_PER_POST"] = 2
    links = "".join(f'<a href="{target.url}/{name}">{name}</a> ' for name in "abc")
    blog.pages["/posts/one"] = Page(post_page("One", links))
    post_id = new_post(blog)
    scan_post(post_id)
    assert sent(blog) == [(f"{target.url}/a", "new"), (f"{target.url}/b", "new")]
    assert the_post().dropped_links == 1
    # A link near the top pushes b and c further down; neither is lost.
    links = f'<a href="{target.url}/x">x</a> ' + links
    blog.pages["/posts/one"] = Page(post_page("One", links))
    db.session.get(OutboundPost, post_id).is_scan_due = True
    db.session.commit()
    scan_post(post_id)
    assert [reason for _, reason in sent(blog)].count("removed-link") == 0
    # A lower cap is no removal either.
    app.config["OUTBOUND_MAX_LINKS_PER_POST"] = 1
    blog.pages["/posts/one"] = Page(post_page("One", "Edited. " + links))
    db.session.get(OutboundPost, post_id).is_scan_due = True
    db.session.commit()
    scan_post(post_id)
    assert [reason for _, reason in sent(blog)].count("removed-link") == 0
    # Really dropping a link still tells it.
    blog.pages["/posts/one"] = Page(post_page("One", links.replace(f"{target.url}/a", "/own")))
    db.session.get(OutboundPost, post_id).is_scan_due = True
    db.session.commit()
    scan_post(post_id)
    assert (f"{target.url}/a", "removed-link") in sent(blog)
