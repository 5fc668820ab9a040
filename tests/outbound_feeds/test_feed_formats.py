"""Feeds as sites publish them: RSS 2.0 (Hugo, WordPress), Atom (Jekyll), JSON Feed 1.1
(Eleventy, micro.blog) and an h-feed page (IndieWeb themes)."""

from __future__ import annotations

import pytest

from workers.feed_formats import FeedFormatError, parse_feed

BASE = "https://blog.example.org/feed"

RSS = b"""<?xml version="1.0" encoding="utf-8" standalone="yes"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
  <channel>
    <title>Hugo blog</title><link>https://blog.example.org/</link>
    <atom:link href="https://blog.example.org/index.xml" rel="self" type="application/rss+xml"/>
    <item>
      <title>Second</title><link>https://blog.example.org/posts/second/</link>
      <pubDate>Tue, 02 Jan 2024 10:00:00 +0000</pubDate>
      <guid>https://blog.example.org/posts/second/</guid>
      <content:encoded><![CDATA[<p>See <a href="https://other.example/x">x</a></p>]]></content:encoded>
    </item>
    <item>
      <title>Only a guid</title>
      <guid isPermaLink="true">https://blog.example.org/posts/first/</guid>
      <description>&lt;p&gt;Hello&lt;/p&gt;</description>
    </item>
    <item><title>Opaque guid, no link</title><guid isPermaLink="false">tag:1</guid></item>
  </channel>
</rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://blog.example.org/">
  <title>Jekyll blog</title>
  <link href="https://blog.example.org/feed.xml" rel="self" type="application/atom+xml"/>
  <updated>2024-01-02T10:00:00+00:00</updated>
  <entry>
    <title>Relative</title>
    <link href="https://blog.example.org/comments/1" rel="replies"/>
    <link href="/2024/01/02/relative.html" rel="alternate" type="text/html"/>
    <updated>2024-01-02T10:00:00+00:00</updated>
    <content type="html">&lt;p&gt;Body&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>No rel</title><link href="2024/01/01/no-rel.html"/>
    <updated>2024-01-01T10:00:00+00:00</updated><summary>Short</summary>
  </entry>
</feed>"""

JSON_FEED = b"""{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Eleventy blog",
  "home_page_url": "https://blog.example.org/",
  "feed_url": "https://blog.example.org/feed.json",
  "items": [
    {"id": "https://blog.example.org/notes/1/", "url": "https://blog.example.org/notes/1/",
     "content_html": "<p>Note</p>", "date_published": "2024-01-02T10:00:00Z"},
    {"id": "https://blog.example.org/notes/2/", "content_text": "Only an id"},
    {"id": "7", "url": "/notes/3/", "content_text": "Relative url"},
    "not an item"
  ]
}"""

H_FEED = b"""<!doctype html><html><body>
<nav><a href="/about">About</a></nav>
<main class="h-feed"><h1 class="p-name">Notes</h1>
  <article class="h-entry"><a class="u-url" href="/notes/b">
    <time class="dt-published" datetime="2024-01-02">2 Jan</time></a>
    <div class="e-content">Second <a href="https://other.example/">link</a></div></article>
  <article class="h-entry"><a class="u-url p-name" href="https://blog.example.org/notes/a">A</a>
    <div class="e-content">First</div></article>
</main></body></html>"""


def urls(body: bytes, content_type: str) -> list[str]:
    return [entry.url for entry in parse_feed(body, content_type, BASE).entries]


def test_rss_lists_links_then_permalink_guids_and_skips_opaque_guids() -> None:
    assert urls(RSS, "application/rss+xml") == [
        "https://blog.example.org/posts/second/",
        "https://blog.example.org/posts/first/",
    ]


def test_rss_served_as_text_xml_is_read() -> None:
    assert len(urls(RSS, "text/xml")) == 2


def test_atom_takes_the_alternate_link_resolved_against_xml_base() -> None:
    assert urls(ATOM, "application/atom+xml") == [
        "https://blog.example.org/2024/01/02/relative.html",
        "https://blog.example.org/2024/01/01/no-rel.html",
    ]


def test_json_feed_takes_url_else_id_resolved_against_home_page() -> None:
    assert urls(JSON_FEED, "application/feed+json") == [
        "https://blog.example.org/notes/1/",
        "https://blog.example.org/notes/2/",
        "https://blog.example.org/notes/3/",
    ]


def test_h_feed_page_lists_its_entries_in_document_order() -> None:
    assert urls(H_FEED, "text/html") == [
        "https://blog.example.org/notes/b",
        "https://blog.example.org/notes/a",
    ]


def test_page_of_bare_h_entries_is_a_feed_too() -> None:
    page = (
        b'<html><body><div class="h-entry"><a class="u-url" href="/n/1">1</a></div></body></html>'
    )
    assert urls(page, "text/html") == ["https://blog.example.org/n/1"]


def test_a_changed_item_changes_its_fingerprint_and_only_its_own() -> None:
    before = parse_feed(RSS, "application/rss+xml", BASE).entries
    after = parse_feed(RSS.replace(b"See <a", b"Now see <a"), "application/rss+xml", BASE).entries
    assert before[0].fingerprint != after[0].fingerprint
    assert before[1].fingerprint == after[1].fingerprint


def test_xml_entities_are_refused_never_expanded() -> None:
    bomb = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<rss version="2.0"><channel><item><link>https://blog.example.org/&b;</link></item></channel></rss>"""
    with pytest.raises(FeedFormatError, match="entities"):
        parse_feed(bomb, "application/rss+xml", BASE)


def test_external_entities_are_refused() -> None:
    xxe = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><link>&x;</link></item></channel></rss>"""
    with pytest.raises(FeedFormatError):
        parse_feed(xxe, "application/rss+xml", BASE)


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html><body><p>No feed here</p></body></html>", "text/html", "h-feed"),
        (b'{"version": "1.0", "items": []}', "application/json", "JSON Feed"),
        (b"<opml version='2.0'><body/></opml>", "application/xml", "not RSS or Atom"),
        (b"\x00\x01 not xml", "application/xml", "valid XML"),
    ],
)
def test_documents_that_are_not_feeds_say_what_they_are(
    body: bytes, content_type: str, message: str
) -> None:
    with pytest.raises(FeedFormatError, match=message):
        parse_feed(body, content_type, BASE)
