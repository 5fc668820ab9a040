"""The WXR export: well-formed WXR 1.2 as WordPress's importer reads it, comments under their
posts with threading and statuses, mentions as pingbacks and trackbacks."""

from __future__ import annotations

import io

from defusedxml import ElementTree

from commentsvc.exports.wxr import export_wxr

WP = "{http://wordpress.org/export/1.2/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"


def parsed(site):
    text = "".join(export_wxr(site))
    return text, ElementTree.parse(io.BytesIO(text.encode("utf-8"))).getroot()


def comments_of(item) -> list[dict[str, str]]:
    return [
        {child.tag.removeprefix(WP): child.text or "" for child in comment}
        for comment in item.findall(f"{WP}comment")
    ]


def test_wxr_is_well_formed_with_a_channel_and_its_version(full_site) -> None:
    _, rss = parsed(full_site)

    assert rss.tag == "rss" and rss.get("version") == "2.0"
    channel = rss.find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert channel.findtext(f"{WP}base_site_url") == "https://blog.example.org"
    assert len(channel.findall("item")) == 2


def test_each_thread_is_a_published_post_holding_its_comments(full_site) -> None:
    _, rss = parsed(full_site)
    spring, about = rss.find("channel").findall("item")

    assert spring.findtext("title") == "Spring — a post with “quotes” & <angle brackets>"
    assert spring.findtext("link") == "https://blog.example.org/2021/spring"
    assert spring.findtext(f"{WP}post_type") == "post"
    assert spring.findtext(f"{WP}status") == "publish"
    assert spring.findtext(f"{WP}post_id").isdigit()
    assert about.findtext("title") == "https://blog.example.org/about"  # no title: its URL
    comments = comments_of(spring)
    plain = [c for c in comments if c["comment_type"] == ""]
    assert len(plain) == 7
    by_id = {c["comment_id"]: c for c in plain}
    first = next(c for c in plain if c["comment_content"].startswith("<p>First!"))
    assert first["comment_date_gmt"] == "2021-03-01 12:30:15"
    assert first["comment_author_email"] == "gus@example.net"
    assert first["comment_author_url"] == "https://gus.example.net"
    assert '<pre><code class="language-python">' in first["comment_content"]
    reply = next(
        c
        for c in plain
        if c["comment_parent"] == first["comment_id"] and c["comment_approved"] == "1"
    )
    chained = next(c for c in plain if c["comment_parent"] == reply["comment_id"])
    assert by_id[chained["comment_parent"]]["comment_author"] == "Rita Reader"
    approved = sorted(c["comment_approved"] for c in plain)
    assert approved == ["0", "1", "1", "1", "1", "spam", "trash"]


def test_mentions_are_pingbacks_and_trackbacks_as_wordpress_stores_them(full_site) -> None:
    _, rss = parsed(full_site)
    spring, about = rss.find("channel").findall("item")

    pings = [c for c in comments_of(spring) if c["comment_type"]]
    assert [p["comment_type"] for p in pings] == ["pingback", "pingback"]  # a webmention too
    webmention = pings[0]
    assert webmention["comment_author"] == "A reply elsewhere"
    assert webmention["comment_author_url"] == "https://elsewhere.example/reply"
    assert webmention["comment_content"] == "[…] I &lt;b&gt;agree&lt;/b&gt; with this post […]"
    comment_ids = {c["comment_id"] for c in comments_of(spring) if not c["comment_type"]}
    assert not comment_ids & {p["comment_id"] for p in pings}
    assert comments_of(about)[1:] == []  # the trackback is gone (410): WordPress gets none of it


def test_cdata_ends_and_control_characters_in_names_cannot_break_the_file(full_site) -> None:
    text, rss = parsed(full_site)

    about = rss.find("channel").findall("item")[1]
    (comment,) = comments_of(about)
    assert "]]&gt; with a CDATA end" in comment["comment_content"]  # the HTML, as readers saw it
    assert comment["comment_author"] == "Cyril"  # a vertical tab XML 1.0 cannot carry
    assert "\x0b" not in text
    spring = rss.find("channel").findall("item")[0]
    assert "Lou ]]> Reed" in [c["comment_author"] for c in comments_of(spring)]
    assert "<![CDATA[Lou ]]]]><![CDATA[> Reed]]>" in text
