"""The parser: what counts as a link, and what a linking page says about itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from workers.discovery import discover_endpoints
from workers.parse import read_document

TARGET = "https://blog.example.org/2026/post"
SOURCE = "https://other.example/notes/1"


def read(html: str, content_type: str = "text/html", url: str = SOURCE, target: str = TARGET):
    return read_document(html.encode(), content_type, "utf-8", url, target)


def test_a_link_in_an_anchor_counts():
    reading = read(f'<title>Notes</title><p>See <a href="{TARGET}">this</a>.</p>')
    assert reading.has_link and reading.title == "Notes"


def test_links_compare_normalised_fragment_and_tracking_ignored():
    html = '<a href="HTTPS://Blog.Example.org:443/2026/post?utm_source=x#comments">x</a>'
    assert read(html).has_link


def test_relative_links_resolve_against_the_page_and_base_href():
    assert read('<a href="/2026/post">x</a>', url="https://blog.example.org/other").has_link
    assert read('<base href="https://blog.example.org/2026/"><a href="post">x</a>').has_link
    assert not read('<a href="/2026/post">x</a>').has_link  # relative to other.example


def test_media_sources_count_as_links():
    assert read(f'<img src="{TARGET}" alt="photo">').has_link
    assert read(f'<video src="{TARGET}"></video>').has_link
    assert read(f'<audio><source src="{TARGET}"></audio>').has_link


def test_the_url_in_comments_scripts_text_or_other_attributes_is_not_a_link():
    html = f"""<!-- <a href="{TARGET}">x</a> -->
    <script>var u = '<a href="{TARGET}">x</a>';</script>
    <p data-href="{TARGET}" title="{TARGET}">{TARGET}</p>
    <link rel="alternate" href="{TARGET}"><form action="{TARGET}"></form>"""
    assert not read(html).has_link


def test_excerpt_is_the_text_around_the_link_wordpress_style():
    before = "word " * 40
    html = f'<p>{before}I liked <a href="{TARGET}">her post</a> a lot. {"more " * 40}</p>'
    excerpt = read(html).excerpt
    assert excerpt.startswith("[…] ") and excerpt.endswith(" […]")
    assert "I liked her post a lot." in excerpt
    assert len(excerpt) < 260


def test_title_falls_back_to_the_entry_name_then_the_url():
    named = f'<div class="h-entry"><h1 class="p-name">Entry name</h1><a href="{TARGET}">x</a></div>'
    assert read(named).title == "Entry name"
    assert read(f'<a href="{TARGET}">x</a>').title == SOURCE


def test_markup_in_the_title_and_excerpt_stays_text():
    html = "<title>&lt;script&gt;alert(1)&lt;/script&gt;</title>"
    html += f'<p><b>bold</b> <a href="{TARGET}">x</a></p>'
    reading = read(html)
    assert reading.title == "<script>alert(1)</script>"  # text, escaped wherever it is shown
    assert "<b>" not in reading.excerpt


def test_text_that_would_break_a_feed_or_read_reversed_is_dropped():
    html = "<title>Bad\ufffe \u202egnp.exe\u202c title\uffff</title>"
    html += f'<p>ex\ufeffcerpt <a href="{TARGET}">x</a></p>'
    reading = read(html)
    assert reading.title == "Bad gnp.exe title"
    assert "\ufeff" not in reading.excerpt and "excerpt" in reading.excerpt


def test_h_entry_reply_with_author_card_and_published_time():
    html = f"""<article class="h-entry">
      <a class="u-in-reply-to" href="{TARGET}">in reply to</a>
      <span class="p-author h-card"><a class="u-url p-name" href="https://ann.example/">Ann</a>
        <img class="u-photo" src="/me.jpg" alt=""></span>
      <time class="dt-published" datetime="2026-11-20T10:30:00+01:00">20 Nov</time>
      <p class="e-content">Great point.</p></article>"""
    reading = read(html, url="https://ann.example/reply/1")
    assert reading.type == "reply"
    assert reading.author.name == "Ann"
    assert reading.author.url == "https://ann.example/"
    assert reading.author.photo == "https://ann.example/me.jpg"
    assert reading.published_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "published", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "tomorrow"]
)
def test_published_time_out_of_range_or_garbage_is_left_out(published):
    html = f"""<article class="h-entry"><a class="u-in-reply-to" href="{TARGET}">re</a>
      <time class="dt-published" datetime="{published}">then</time></article>"""
    reading = read(html)
    assert reading.has_link and reading.type == "reply"
    assert reading.published_at is None


def test_like_and_repost_types():
    like = f'<div class="h-entry"><a class="u-like-of" href="{TARGET}">liked</a></div>'
    repost = f'<div class="h-entry"><a class="u-repost-of" href="{TARGET}">shared</a></div>'
    assert read(like).type == "like"
    assert read(repost).type == "repost"
    assert read(f'<div class="h-entry"><a href="{TARGET}">x</a></div>').type == "mention"


def test_author_links_and_photos_must_be_http():
    html = f"""<div class="h-entry"><a href="{TARGET}">x</a>
      <div class="p-author h-card"><a class="p-name u-url" href="javascript:alert(1)">Eve</a>
      <img class="u-photo" src="data:image/png;base64,AAAA"></div></div>"""
    author = read(html).author
    assert author.name == "Eve"
    assert author.url is None and author.photo is None


def test_meta_status_410_marks_the_source_gone():
    assert read('<meta http-equiv="Status" content="410 Gone">').is_gone


def test_plain_text_source_links_by_the_url_string():
    reading = read(f"I wrote about {TARGET}. Go read it.", content_type="text/plain")
    assert reading.has_link and TARGET in reading.excerpt
    assert not read("nothing here", content_type="text/plain").has_link


def test_json_source_links_by_a_property_value():
    document = json.dumps({"name": "Status", "links": [{"href": TARGET}]})
    assert read(document, content_type="application/json").has_link
    assert not read(json.dumps({"text": "no"}), content_type="application/json").has_link
    assert not read("{not json", content_type="application/json").has_link


def test_discovery_takes_no_endpoint_with_control_characters():
    """They would reach operators' terminals (mentions send, site check) as escape codes."""
    escape = "/wm\x1b]0;PWNED\x07\x1b[31mRED"
    found = discover_endpoints(
        b"", None, "https://x.example/p", [f'<{escape}>; rel="webmention"'], escape
    )
    assert (found.webmention, found.pingback) == (None, None)
    wrapped = discover_endpoints(b'<link rel="pingback" href="/xml\nrpc">', None,
                                 "https://x.example/p", [], None)  # fmt: skip
    assert wrapped.pingback == "https://x.example/xmlrpc"  # as browsers read a wrapped href


def test_discovery_finds_endpoints_in_headers_and_html():
    body = b'<link rel="pingback" href="/xmlrpc"><a rel="webmention nofollow" href="/wm">x</a>'
    found = discover_endpoints(body, None, "https://x.example/p", [], None)
    assert found.pingback == "https://x.example/xmlrpc"
    assert found.webmention == "https://x.example/wm"
    headers = discover_endpoints(
        b"", None, "https://x.example/p", ['<https://svc/webmention/x>; rel="webmention"'], "/pb"
    )
    assert headers.webmention == "https://svc/webmention/x"
    assert headers.pingback == "https://x.example/pb"
