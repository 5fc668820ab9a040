"""Atom feeds carry verified, visible mentions with the comments, as WordPress's comment feeds
carry pingbacks: each entry linking to the item's permalink, in date order, valid Atom."""

from __future__ import annotations

from datetime import datetime

import feedparser
from defusedxml import ElementTree

from commentsvc.models import CommentStatus, MentionKind, MentionType, Verification

ATOM = "{http://www.w3.org/2005/Atom}"


def _parsed(response) -> feedparser.FeedParserDict:
    """The feed as a feed reader sees it; a malformed document fails the test."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def _check_required_elements(response) -> None:
    """RFC 4287 4.1.2: every entry has exactly one id, title and updated, an author (the feed
    has none) and, having no remote content, a rel=alternate link."""
    root = ElementTree.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.find(f"{ATOM}author/{ATOM}name").text
        links = entry.findall(f"{ATOM}link")  # no rel: "alternate" (RFC 4287 4.2.7.2)
        assert [link.get("rel", "alternate") for link in links] == ["alternate"]
        datetime.fromisoformat(entry.find(f"{ATOM}updated").text)


def test_site_feed_lists_mentions_with_comments_newest_first(
    client, add_comment, add_mention, page_url
) -> None:
    first = add_comment("First comment", minutes=0)
    mention = add_mention(minutes=5)
    last = add_comment("Last comment", minutes=10)

    response = client.get("/feeds/blog.atom")
    feed = _parsed(response)
    _check_required_elements(response)

    assert [entry.link for entry in feed.entries] == [
        f"{page_url}#comment-{last.id}",
        f"{page_url}#mention-{mention.id}",
        f"{page_url}#comment-{first.id}",
    ]
    entry = feed.entries[1]
    assert entry.title == "Pingback from A reply elsewhere"
    assert entry.author_detail.name == "Elsie Elsewhere"
    assert entry.author_detail.href == "https://elsewhere.example/"
    assert entry.content[0].value == "[…] I agree with the post […]"
    assert entry.content[0].type == "text/plain"
    assert entry.published == "2024-05-01T12:05:00+00:00"
    assert entry.id == f"{page_url}#mention-{mention.id}"


def test_feeds_leave_out_mentions_that_are_held_spam_or_unverified(
    client, add_mention, page_url
) -> None:
    shown = add_mention("https://a.example/shown")
    add_mention("https://b.example/held", status=CommentStatus.PENDING)
    add_mention("https://c.example/spam", status=CommentStatus.SPAM)
    add_mention("https://d.example/queued", verification=Verification.QUEUED)
    add_mention("https://e.example/gone", verification=Verification.GONE)

    for response in (
        client.get("/feeds/blog.atom"),
        client.get("/feeds/blog/thread.atom", query_string={"url": page_url}),
    ):
        feed = _parsed(response)
        assert [entry.id for entry in feed.entries] == [f"{page_url}#mention-{shown.id}"]


def test_thread_feed_lists_the_mentions_of_its_page_only(
    client, add_comment, add_mention, page_url
) -> None:
    here = add_mention("https://a.example/here", minutes=1)
    add_mention("https://a.example/elsewhere", url="https://blog.example.org/other", minutes=2)
    comment = add_comment("On the page", minutes=3)

    response = client.get("/feeds/blog/thread.atom", query_string={"url": page_url})
    feed = _parsed(response)
    _check_required_elements(response)
    assert [entry.id for entry in feed.entries] == [
        f"{page_url}#comment-{comment.id}",
        f"{page_url}#mention-{here.id}",
    ]
    assert feed.feed.title == "Comments on Hello world"


def test_thread_feed_finds_the_page_by_another_spelling_of_its_address(
    client, add_mention, page_url
) -> None:
    mention = add_mention()
    response = client.get(
        "/feeds/blog/thread.atom", query_string={"url": page_url.rstrip("/") + "?utm_source=x"}
    )
    assert [entry.id for entry in _parsed(response).entries] == [f"{page_url}#mention-{mention.id}"]


def test_webmention_entries_say_what_the_response_is(client, add_mention) -> None:
    add_mention(
        "https://a.example/like", kind=MentionKind.WEBMENTION, type=MentionType.LIKE, minutes=3
    )
    add_mention(
        "https://a.example/reply", kind=MentionKind.WEBMENTION, type=MentionType.REPLY, minutes=2
    )
    add_mention("https://a.example/tb", kind=MentionKind.TRACKBACK, title=None, minutes=1)

    titles = [entry.title for entry in _parsed(client.get("/feeds/blog.atom")).entries]
    assert titles == [
        "Like from A reply elsewhere",
        "Reply from A reply elsewhere",
        "Trackback from https://a.example/tb",
    ]


def test_mention_without_author_is_named_and_linked_by_its_source(client, add_mention) -> None:
    add_mention("https://quiet.example/post", author_name=None, author_url="javascript:alert(1)")
    add_mention("ftp://odd.example/post", author_name=None, author_url=None, minutes=1)

    response = client.get("/feeds/blog.atom")
    odd, quiet = _parsed(response).entries
    _check_required_elements(response)
    assert quiet.author_detail.name == "quiet.example"
    assert quiet.author_detail.href == "https://quiet.example/post"
    assert odd.author_detail.name == "odd.example"
    assert "href" not in odd.author_detail


def test_hostile_mention_text_stays_text_in_a_valid_feed(client, add_mention) -> None:
    add_mention(
        "https://evil.example/x",
        title="Bad\x01 <b>title</b>\x1b",
        excerpt="<script>alert(1)</script> & \x0bmore",
        author_name="Mallory\x08 <i>M</i>",
    )

    response = client.get("/feeds/blog.atom")
    (entry,) = _parsed(response).entries
    assert entry.title == "Pingback from Bad <b>title</b>"
    assert entry.content[0].value == "<script>alert(1)</script> & more"
    assert entry.content[0].type == "text/plain"
    assert entry.author_detail.name == "Mallory <i>M</i>"


def test_entry_ids_are_the_same_on_every_read(client, add_comment, add_mention) -> None:
    add_comment(minutes=1)
    add_mention(minutes=2)
    add_mention("https://b.example/two", minutes=2)

    first = [entry.id for entry in _parsed(client.get("/feeds/blog.atom")).entries]
    second = [entry.id for entry in _parsed(client.get("/feeds/blog.atom")).entries]
    assert first == second and len(set(first)) == 3


def test_site_feed_keeps_its_length_across_comments_and_mentions(
    client, add_comment, add_mention
) -> None:
    for minute in range(30):
        add_comment(f"Comment {minute}", minutes=2 * minute)
        add_mention(f"https://a.example/{minute}", minutes=2 * minute + 1)

    entries = _parsed(client.get("/feeds/blog.atom")).entries
    assert len(entries) == 50
    assert entries[0].title == "Pingback from A reply elsewhere"  # minute 59, the newest
    assert entries[-1].content[0].value == "<p>Comment 5</p>"  # 50 newest of 60: minutes 10 to 59
