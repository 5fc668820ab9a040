"""Hostile and broken files: a clear message, a non-zero exit, no traceback, nothing stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Comment, Thread

WXR_HEAD = '<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
COMMENT = (
    "<link>https://blog.example.org/p/</link><wp:post_id>1</wp:post_id><wp:comment>"
    "<wp:comment_id>1</wp:comment_id><wp:comment_date_gmt>2020-01-01 00:00:00"
    "</wp:comment_date_gmt><wp:comment_content>{body}</wp:comment_content>"
    "<wp:comment_approved>1</wp:comment_approved></wp:comment>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    + ']><rss version="2.0"><channel><title>&lol9;</title></channel></rss>'
).replace("&lol0;", "&lol;")
XXE = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    + WXR_HEAD
    + COMMENT.format(body="&xxe;")
    + "</item></channel></rss>"
)
TRUNCATED = WXR_HEAD + COMMENT.format(body="cut") + "<wp:comment><wp:comment_id>2"
HOSTILE = {
    "billion-laughs": (LAUGHS.encode(), "declares a document type"),
    "xxe": (XXE.encode(), "declares a document type"),
    "truncated": (TRUNCATED.encode(), "not well-formed XML"),
    "wrong-encoding": (
        ('<?xml version="1.0" encoding="UTF-8"?>' + WXR_HEAD + COMMENT.format(body="Grüße")).encode(
            "latin-1"
        ),
        "not well-formed XML",
    ),
    "unknown-encoding": (
        ('<?xml version="1.0" encoding="klingon"?>' + WXR_HEAD).encode(),
        "not well-formed XML",
    ),
    "not-wxr": (b"<html><body>hello</body></html>", "not a WordPress export"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_wxr_is_refused_clearly(name, cli, make_site, tmp_path) -> None:
    make_site("https://blog.example.org")
    content, message = HOSTILE[name]
    path = tmp_path / f"{name}.xml"
    path.write_bytes(content)
    result = cli("wordpress", str(path), "--site", "old")
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Thread)) == 0


def test_malformed_real_disqus_file_is_refused(cli, make_site, samples) -> None:
    make_site("https://radio-t.com")
    result = cli("disqus", str(samples / "remark42-disqus-malformed.xml"), "--site", "old")
    assert result.exit_code == 1
    assert "not well-formed XML" in result.output


def test_a_script_in_a_body_is_dropped_and_the_text_kept(cli, make_site, tmp_path) -> None:
    make_site("https://blog.example.org")
    body = "<![CDATA[Hi <script>alert(1)</script><b onclick=x>there</b> <i>you</i>]]>"
    path = tmp_path / "script.xml"
    path.write_text(WXR_HEAD + COMMENT.format(body=body) + "</item></channel></rss>")
    result = cli("wordpress", str(path), "--site", "old")
    assert result.exit_code == 0, result.output
    html = db.session.scalars(sa.select(Comment.body_html)).one()
    assert html == "<p>Hi there you</p>"


def test_unknown_site_and_bad_url_map_are_usage_errors(cli, make_site, samples) -> None:
    make_site("https://blog.example.org")
    sample = str(samples / "isso-wordpress.xml")
    assert "no site named 'nope'" in cli("wordpress", sample, "--site", "nope").output
    result = cli("wordpress", sample, "--site", "old", "--url-map", "nonsense")
    assert result.exit_code == 2
    assert "OLD=NEW" in result.output
