"""End to end: site X's feed lists a post linking to a post of site Y (both sites of this
service, which is served for real); a pass sends a webmention that arrives on Y verified; a
removed link and a deleted post (410) propagate. All jobs run, inline, on loopback."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.models import Mention, SiteFeed, Verification
from commentsvc.models.base import utcnow
from commentsvc.services.feeds import add_feed
from commentsvc.services.outbound import sends_for_post
from commentsvc.services.sites import create_site, get_site
from tests.outbound_feeds.blogs import Page, post_page, rss
from workers.feeds import check_feed


@pytest.fixture
def sites(app, make_blog, service_url):
    """Blog X (watched) links to blog Y's post, which advertises this service's endpoint."""
    x, y = make_blog(), make_blog()
    create_site("y", [y.url])
    y.pages["/posts/target"] = Page(
        post_page(
            "Target",
            "<p>Y's post.</p>",
            extra=f'<link rel="webmention" href="{service_url}/webmention/y">',
        )
    )
    x.pages["/posts/hello"] = Page(
        post_page("Hello", f'<p>I read <a href="{y.url}/posts/target">Y\'s post</a>.</p>')
    )
    x.pages["/feed.xml"] = Page(rss(x.url, ("/posts/hello", "v1")), "application/rss+xml")
    feed = add_feed(None, create_site("x", [x.url]), f"{x.url}/feed.xml")
    db.session.commit()
    return x, y, feed.id


def run_pass(feed_id: int) -> None:
    db.session.get(SiteFeed, feed_id).next_check_at = utcnow()
    db.session.commit()
    check_feed(feed_id)


def mention_on_y(x, y) -> Mention:
    return db.session.scalar(
        db.select(Mention)
        .where(Mention.source == f"{x.url}/posts/hello")
        .execution_options(populate_existing=True)
    )


def test_a_new_post_mention_arrives_verified_and_a_removed_link_retracts_it(sites) -> None:
    x, y, feed_id = sites
    check_feed(feed_id)
    mention = mention_on_y(x, y)
    assert mention is not None and mention.verification == Verification.VERIFIED
    assert mention.site.name == "y" and mention.target == f"{y.url}/posts/target"
    [send] = sends_for_post(get_site("x"), f"{x.url}/posts/hello")
    assert (send.state.value, send.protocol.value, send.http_status) == ("sent", "webmention", 201)
    assert "/webmention/y/status/" in send.status_url

    x.pages["/posts/hello"] = Page(post_page("Hello", "<p>I changed my mind.</p>"))
    x.pages["/feed.xml"] = Page(rss(x.url, ("/posts/hello", "v2")), "application/rss+xml")
    run_pass(feed_id)
    sends = sends_for_post(get_site("x"), f"{x.url}/posts/hello")
    assert [s.reason.value for s in sends] == ["new", "removed-link"]
    assert sends[1].state.value == "sent"
    assert mention_on_y(x, y).verification == Verification.GONE


def test_a_deleted_post_answering_410_retracts_its_mentions(sites) -> None:
    x, y, feed_id = sites
    check_feed(feed_id)
    assert mention_on_y(x, y).verification == Verification.VERIFIED
    x.pages["/feed.xml"] = Page(rss(x.url), "application/rss+xml")
    x.pages["/posts/hello"] = Page("<html><body>Gone</body></html>", status=410)
    run_pass(feed_id)
    sends = sends_for_post(get_site("x"), f"{x.url}/posts/hello")
    assert [(s.reason.value, s.state.value) for s in sends] == [("new", "sent"), ("gone", "sent")]
    assert mention_on_y(x, y).verification == Verification.GONE
