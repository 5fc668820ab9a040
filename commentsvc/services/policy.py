"""Whether a new comment shows at once or waits for an operator, and why."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.markup import count_links
from commentsvc.models import Account, Comment, CommentStatus, ModerationMode, Site, Thread
from commentsvc.services.drafts import CommentDraft


@dataclass(frozen=True)
class Assessment:
    status: CommentStatus
    held_reason: str | None = None


VISIBLE = Assessment(CommentStatus.VISIBLE)


def _has_approved_comment(site: Site, account: Account | None, draft: CommentDraft) -> bool:
    """First-time rule: someone with an approved comment on this site (by account or email)."""
    query = (
        sa.select(Comment.id)
        .join(Thread)
        .where(Thread.site_id == site.id, Comment.status == CommentStatus.VISIBLE)
    )
    if account is not None:
        query = query.where(Comment.account_id == account.id)
    elif draft.author_email:
        query = query.where(sa.func.lower(Comment.author_email) == draft.author_email.lower())
    else:
        return False
    return db.session.scalar(query.limit(1)) is not None


def _blocklisted(site: Site, draft: CommentDraft) -> str | None:
    text = " ".join(
        filter(None, (draft.body_markdown, draft.author_name, draft.author_website))
    ).lower()
    for entry in site.blocklist or []:
        word = entry.strip().lower()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text):
            return word
    return None


def assess(site: Site, draft: CommentDraft, account: Account | None) -> Assessment:
    """The status a new comment gets under the site's policy (spam checks come first)."""
    if draft.honeypot:
        return Assessment(CommentStatus.SPAM, "honeypot field filled")
    word = _blocklisted(site, draft)
    if word:
        return Assessment(CommentStatus.PENDING, f"blocklist: {word}")
    if site.link_limit and count_links(draft.body_html) > site.link_limit:
        return Assessment(CommentStatus.PENDING, f"more than {site.link_limit} links")
    if site.moderation == ModerationMode.ALL:
        return Assessment(CommentStatus.PENDING, "site moderates every comment")
    if site.moderation == ModerationMode.FIRST_TIME and not _has_approved_comment(
        site, account, draft
    ):
        return Assessment(CommentStatus.PENDING, "first-time commenter")
    return VISIBLE
