"""Classic microformats (hentry, entry-title, vcard, published): how WordPress themes have
marked posts up since 2009. A pingback from such a page shows its author, title and date."""

from __future__ import annotations

import xmlrpc.client
from datetime import UTC, datetime

import pytest

from workers.parse import read_document

TARGET = "https://blog.example.org/2026/hello"
SOURCE = "https://wp.example/2009/03/hello-world/"


def twentyten_page(target: str, *, photo: str = "/wp-content/avatars/admin.jpg") -> str:
    """A single post as a WordPress 2.9 / 3.0 theme (Twenty Ten, Sandbox) writes it."""
    return f"""<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"
  "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" dir="ltr" lang="en-US">
<head profile="http://gmpg.org/xfn/11">
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<title>Hosting comments myself | Ann&#039;s Weblog</title>
<link rel="pingback" href="https://wp.example/xmlrpc.php" />
</head>
<body class="single postid-42">
<div id="wrapper" class="hfeed">
  <div id="header"><div id="site-title"><a href="https://wp.example/" rel="home">Ann's Weblog</a>
  </div><div id="site-description">Just another WordPress weblog</div></div>
  <div id="access"><div class="menu"><ul><li><a href="https://wp.example/about/">About</a></li>
  </ul></div></div>
  <div id="main"><div id="container"><div id="content" role="main">
    <div id="nav-above" class="navigation"><div class="nav-previous">
      <a href="https://wp.example/2009/02/older/" rel="prev">&larr; Older post</a></div></div>
    <div id="post-42" class="post-42 post type-post hentry category-uncategorized">
      <h1 class="entry-title">Hosting comments myself</h1>
      <div class="entry-meta">
        <span class="meta-prep meta-prep-author">Posted on</span>
        <a href="{SOURCE}" title="5:04 pm" rel="bookmark"
          ><span class="entry-date">March 3, 2009</span></a>
        <abbr class="published" title="2009-03-03T17:04:00+00:00"></abbr>
        <span class="meta-sep">by</span>
        <span class="author vcard"
          ><img alt="" src="{photo}" class="avatar avatar-32 photo" height="32" width="32" />
          <a class="url fn n" href="https://wp.example/author/ann/"
            title="View all posts by Ann">Ann Example</a></span>
      </div>
      <div class="entry-content">
        <p>After reading <a href="{target}">Hello from the blog</a>, I moved my comments off
        the big platforms&#8230; and it went well.</p>
        <p>More thoughts next week.</p>
      </div>
      <div class="entry-utility">This entry was posted in
        <a href="https://wp.example/category/uncategorized/"
          title="View all posts in Uncategorized" rel="category tag">Uncategorized</a>.
        Bookmark the <a href="{SOURCE}" title="Permalink" rel="bookmark">permalink</a>.</div>
    </div>
    <div id="comments"><h3 id="comments-title">2 Responses to <em>Hosting comments myself</em></h3>
      <ol class="commentlist"><li class="comment even thread-even depth-1" id="li-comment-3">
        <div id="comment-3"><div class="comment-author vcard">
          <img alt="" src="https://wp.example/avatars/bob.jpg" class="avatar avatar-40 photo" />
          <cite class="fn"
            ><a href="https://bob.example/" rel="external nofollow" class="url">Bob</a></cite>
          <span class="says">says:</span></div>
        <div class="comment-body"><p>Nice.</p></div></div></li></ol>
    </div>
  </div></div></div>
  <div id="footer" role="contentinfo"
    ><a href="https://wordpress.org/" rel="generator">Proudly powered by WordPress.</a></div>
</div>
</body></html>"""


def test_a_twentyten_post_gives_its_author_title_date_and_text():
    reading = read_document(twentyten_page(TARGET).encode(), "text/html", None, SOURCE, TARGET)
    assert reading.has_link and reading.type == "mention"
    assert reading.title == "Hosting comments myself"
    assert reading.author.name == "Ann Example"
    assert reading.author.url == "https://wp.example/author/ann/"
    assert reading.author.photo == "https://wp.example/wp-content/avatars/admin.jpg"
    assert reading.published_at == datetime(2009, 3, 3, 17, 4, tzinfo=UTC)
    assert reading.excerpt == (
        "After reading Hello from the blog, I moved my comments off the big platforms… and it "
        "went well. More thoughts next week."
    )


def test_classic_updated_stands_in_for_a_missing_published_date():
    html = f"""<div class="hentry"><h2 class="entry-title">Edited</h2>
      <abbr class="updated" title="2010-05-06T07:08:09Z">May 6</abbr>
      <div class="entry-summary"><p>The short version.</p></div>
      <div class="entry-content"><p>See <a href="{TARGET}">this</a>.</p></div></div>"""
    reading = read_document(html.encode(), "text/html", None, SOURCE, TARGET)
    assert reading.published_at == datetime(2010, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert reading.excerpt == "The short version."  # entry-summary, as p-summary
    assert reading.title == "Edited"


def test_an_hentry_that_is_also_an_h_entry_is_read_by_its_mf2_classes():
    html = f"""<title>Page</title><div class="hentry h-entry"><h2 class="entry-title">Old name</h2>
      <div class="entry-content"><p>Old text.</p></div>
      <div class="e-content"><p>New text with <a href="{TARGET}">a link</a>.</p></div></div>"""
    reading = read_document(html.encode(), "text/html", None, SOURCE, TARGET)
    assert reading.excerpt == "New text with a link."
    assert reading.title == "Page"  # no p-name: mf2 ignores entry-title on an h-entry


@pytest.fixture
def proxy(app, serve, site):
    service = serve(app)
    server_proxy = xmlrpc.client.ServerProxy(f"{service.url}/pingback/blog")
    yield server_proxy
    server_proxy("close")()


def test_a_pingback_from_a_classic_wordpress_post_shows_author_title_and_date(proxy, pages, client):
    source = pages.html("/2009/03/hello-world/", twentyten_page(TARGET))
    pages.add("/wp-content/avatars/admin.jpg", status=404)
    proxy.pingback.ping(source, TARGET)
    thread = client.get("/api/sites/blog/thread", query_string={"url": TARGET}).get_json()
    [shown] = thread["mentions"]
    assert shown["kind"] == "pingback" and shown["type"] == "mention"
    assert shown["title"] == "Hosting comments myself"
    assert shown["author"]["name"] == "Ann Example"
    assert shown["author"]["url"] == "https://wp.example/author/ann/"
    assert shown["created"] == "2009-03-03T17:04:00Z"
    assert shown["excerpt"].startswith("After reading Hello from the blog, I moved")
