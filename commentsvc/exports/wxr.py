"""A WordPress eXtended RSS (WXR 1.2) file of a site's comments, for WordPress's importer.

One ``<item>`` (a published post) per thread, holding its comments and its verified mentions as
``<wp:comment>``s: comments with an empty ``comment_type``, mentions as ``pingback`` or
``trackback`` (WordPress has no webmention type in core: a webmention goes as a pingback).
Comment ids are the rows' ids; a mention's is shifted past every comment id of the site so that
the two never collide within the file. Bodies are the sanitised HTML readers see, in CDATA.

Written as text, as WordPress writes it, a post at a time: nothing here holds the whole site.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

import sqlalchemy as sa

from commentsvc.chars import xml_text
from commentsvc.exports import rows
from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, MentionKind, Site, Thread, Verification

WXR_VERSION = "1.2"
NAMESPACES = (
    ("xmlns:excerpt", "http://wordpress.org/export/1.2/excerpt/"),
    ("xmlns:content", "http://purl.org/rss/1.0/modules/content/"),
    ("xmlns:wfw", "http://wellformedweb.org/CommentAPI/"),
    ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
    ("xmlns:wp", "http://wordpress.org/export/1.2/"),
)
# What WordPress's comment_approved holds for each status.
APPROVED = {
    CommentStatus.VISIBLE: "1",
    CommentStatus.PENDING: "0",
    CommentStatus.SPAM: "spam",
    CommentStatus.DELETED: "trash",
}


def _text(value: str | None) -> str:
    return escape(xml_text(value or ""))


def _cdata(value: str | None) -> str:
    """CDATA that survives any content: ``]]>`` is split across two sections, as WordPress does."""
    cleaned = xml_text(value or "").replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{cleaned}]]>"


def _wp_date(moment: datetime | None) -> str:
    moment = rows.utc(moment)
    return "0000-00-00 00:00:00" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S")


def _rfc822(moment: datetime | None) -> str:
    moment = rows.utc(moment)
    return "" if moment is None else moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def export_wxr(site: Site) -> Iterator[str]:
    """The site's WXR file, as chunks of text to write in order (UTF-8)."""
    home = site.origins[0] if site.origins else ""
    mention_offset = _max_comment_id(site)
    attributes = "".join(f"\n\t{name}={quoteattr(uri)}" for name, uri in NAMESPACES)
    yield '<?xml version="1.0" encoding="UTF-8" ?>\n'
    yield f'<rss version="2.0"{attributes}\n>\n<channel>\n'
    yield f"\t<title>{_text(site.name)}</title>\n\t<link>{_text(home)}</link>\n"
    yield "\t<description></description>\n\t<language>en</language>\n"
    yield f"\t<wp:wxr_version>{WXR_VERSION}</wp:wxr_version>\n"
    yield f"\t<wp:base_site_url>{_text(home)}</wp:base_site_url>\n"
    yield f"\t<wp:base_blog_url>{_text(home)}</wp:base_blog_url>\n"
    yield "\t<generator>commentsvc</generator>\n"
    for thread in rows.threads(site):
        yield from _item(thread, mention_offset)
    yield "</channel>\n</rss>\n"


def _max_comment_id(site: Site) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(Comment.id), 0))
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id == site.id)
    )


def _slug(url: str) -> str:
    path = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[^a-z0-9-]+", "-", path.lower()).strip("-")


def _item(thread: sa.Row, mention_offset: int) -> Iterator[str]:
    created = thread.created_at
    yield "\t<item>\n"
    yield f"\t\t<title>{_text(thread.title or thread.url)}</title>\n"
    yield f"\t\t<link>{_text(thread.url)}</link>\n"
    yield f"\t\t<pubDate>{_rfc822(created)}</pubDate>\n"
    yield "\t\t<dc:creator><![CDATA[]]></dc:creator>\n"
    yield f'\t\t<guid isPermaLink="true">{_text(thread.url)}</guid>\n'
    yield "\t\t<description></description>\n"
    yield "\t\t<content:encoded><![CDATA[]]></content:encoded>\n"
    yield "\t\t<excerpt:encoded><![CDATA[]]></excerpt:encoded>\n"
    yield f"\t\t<wp:post_id>{thread.id}</wp:post_id>\n"
    yield f"\t\t<wp:post_date>{_wp_date(created)}</wp:post_date>\n"
    yield f"\t\t<wp:post_date_gmt>{_wp_date(created)}</wp:post_date_gmt>\n"
    yield "\t\t<wp:comment_status>open</wp:comment_status>\n"
    yield "\t\t<wp:ping_status>open</wp:ping_status>\n"
    yield f"\t\t<wp:post_name>{_text(_slug(thread.url))}</wp:post_name>\n"
    yield "\t\t<wp:status>publish</wp:status>\n"
    yield "\t\t<wp:post_parent>0</wp:post_parent>\n"
    yield "\t\t<wp:menu_order>0</wp:menu_order>\n"
    yield "\t\t<wp:post_type>post</wp:post_type>\n"
    yield "\t\t<wp:post_password></wp:post_password>\n"
    yield "\t\t<wp:is_sticky>0</wp:is_sticky>\n"
    for comment in rows.comments(thread.id):
        yield _comment(comment)
    for mention in rows.mentions(thread.id):
        if mention.verification == Verification.VERIFIED:
            yield _mention(mention, mention_offset)
    yield "\t</item>\n"


def _wp_comment(
    *,
    comment_id: int,
    author: str | None,
    email: str | None,
    url: str | None,
    created: datetime | None,
    content: str,
    approved: str,
    comment_type: str,
    parent: int,
) -> str:
    date = _wp_date(created)
    return (
        "\t\t<wp:comment>\n"
        f"\t\t\t<wp:comment_id>{comment_id}</wp:comment_id>\n"
        f"\t\t\t<wp:comment_author>{_cdata(author)}</wp:comment_author>\n"
        f"\t\t\t<wp:comment_author_email>{_cdata(email)}</wp:comment_author_email>\n"
        f"\t\t\t<wp:comment_author_url>{_text(url)}</wp:comment_author_url>\n"
        "\t\t\t<wp:comment_author_IP></wp:comment_author_IP>\n"
        f"\t\t\t<wp:comment_date>{date}</wp:comment_date>\n"
        f"\t\t\t<wp:comment_date_gmt>{date}</wp:comment_date_gmt>\n"
        f"\t\t\t<wp:comment_content>{_cdata(content)}</wp:comment_content>\n"
        f"\t\t\t<wp:comment_approved>{approved}</wp:comment_approved>\n"
        f"\t\t\t<wp:comment_type>{comment_type}</wp:comment_type>\n"
        f"\t\t\t<wp:comment_parent>{parent}</wp:comment_parent>\n"
        "\t\t\t<wp:comment_user_id>0</wp:comment_user_id>\n"
        "\t\t</wp:comment>\n"
    )


def _comment(row: sa.Row) -> str:
    return _wp_comment(
        comment_id=row.id,
        author=row.author_name,
        email=row.author_email,
        url=row.author_website,
        created=row.created_at,
        content=row.body_html,
        approved=APPROVED[row.status],
        comment_type="",
        parent=row.parent_id or 0,
    )


def _mention(row: sa.Row, offset: int) -> str:
    """As WordPress stores a ping: the source's title as author, its URL as the author's
    website, and the excerpt as plain text in "[…] excerpt […]"."""
    excerpt = html.escape(row.excerpt or "", quote=False)
    return _wp_comment(
        comment_id=offset + row.id,
        author=row.title or row.author_name or row.source,
        email=None,
        url=row.source,
        created=row.created_at,
        content=f"[\u2026] {excerpt} [\u2026]" if excerpt else "",
        approved=APPROVED[row.status],
        comment_type="trackback" if row.kind == MentionKind.TRACKBACK else "pingback",
        parent=0,
    )
