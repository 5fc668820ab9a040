"""What a reader sees in Chromium of a thread imported from WordPress: its threading, the
paragraphs and links the old blog showed, its pingback listed, and no raw or escaped tags."""

from __future__ import annotations

import io

import pytest

from commentsvc.cli.demo import DEMO_SITE
from commentsvc.imports.run import run_import
from commentsvc.services.sites import get_site
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser

COMMENTS = [  # (id, parent, approved, type, author, author URL, content), as WordPress keeps them
    (11, 0, "1", "", "Ann", "https://ann.example.net/",
     'I tried <a href="https://example.org/guide">the guide</a> last spring.\n\n'
     "It worked on the second try.\nThanks!"),
    (12, 11, "1", "", "Ben", "", "Which version?\n\nI ran <code>make install</code> on 2.1."),
    (13, 12, "1", "", "Ann", "", 'Version 3: <script>alert("x")</script><em>much</em> better.'),
    (14, 0, "0", "", "Spammy", "", "Held on the old blog, never shown."),
    (15, 0, "1", "pingback", "Cleo&#039;s notes", "https://cleo.example/notes/guide",
     "[&#8230;] the setup I copied from the old post [&#8230;]"),
]  # fmt: skip


def wxr(link: str) -> bytes:
    comments = "".join(
        f"<wp:comment><wp:comment_id>{cid}</wp:comment_id>"
        f"<wp:comment_author><![CDATA[{author}]]></wp:comment_author>"
        f"<wp:comment_author_url>{url}</wp:comment_author_url>"
        f"<wp:comment_date_gmt>2016-04-0{cid - 10} 09:30:00</wp:comment_date_gmt>"
        f"<wp:comment_content><![CDATA[{content}]]></wp:comment_content>"
        f"<wp:comment_approved>{approved}</wp:comment_approved>"
        f"<wp:comment_type>{kind}</wp:comment_type>"
        f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        for cid, parent, approved, kind, author, url, content in COMMENTS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
        'xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
        f"<item><title>Hello world</title><link>{link}</link><wp:post_id>1</wp:post_id>"
        f"{comments}</item></channel></rss>\n"
    ).encode()


def test_reader_sees_an_imported_wordpress_thread_as_the_old_blog_showed_it(
    page, demo: Demo
) -> None:
    old_link = "http://old-blog.example.com/2016/04/hello-world/"
    url_map = [("http://old-blog.example.com/2016/04/hello-world/", demo.page())]
    summary = run_import("wordpress", io.BytesIO(wxr(old_link)), get_site(DEMO_SITE), url_map)
    assert summary.imported == {"threads": 1, "comments": 4, "mentions": 1}

    page.goto(demo.page())

    shadow(page, ".cs-ms .cs-mn").get_by_role("link", name="Cleo's notes").wait_for()
    heading = shadow(page, ".cs-count").inner_text()
    assert heading == "4 responses to “Hello world”"  # 3 comments, 1 pingback
    top = shadow(page, ":not(.cs-ms) > .cs-list > .cs-c")  # comments, not the mentions' list
    assert top.count() == 1  # the held comment stays held
    first = top.first
    paragraphs = first.locator(".cs-b").first.locator("p")
    assert paragraphs.all_inner_texts() == [
        "I tried the guide last spring.",
        "It worked on the second try.\nThanks!",
    ]
    link = first.locator(".cs-b").first.get_by_role("link", name="the guide")
    assert link.get_attribute("href") == "https://example.org/guide"
    reply = first.locator(".cs-r .cs-c").first
    assert reply.locator(".cs-n").first.inner_text() == "Ben"
    assert reply.locator(".cs-b code").first.inner_text() == "make install"
    answer = reply.locator(".cs-r .cs-c").first
    assert answer.locator(".cs-b em").inner_text() == "much"
    mention = shadow(page, ".cs-ms .cs-mn")
    assert "the setup I copied from the old post" in mention.inner_text()
    widget_text = shadow(page, ".cs").first.inner_text()
    for leftover in ("<p>", "&lt;", "<a ", "</", "<script", "alert(", "&#8230;", "&#039;"):
        assert leftover not in widget_text
    assert "Held on the old blog" not in widget_text
    assert page.console_errors == []
