"""Site policy: whether a new comment shows at once or waits for an operator, and why; and the
operators' changes to that policy.

The spam defences here need no outside service (honeypot, minimum fill-in time, link limit,
blocklist of words and domains); Akismet is consulted only when an API key is configured.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from commentsvc.extensions import db
from commentsvc.markup import count_links
from commentsvc.models import Account, Comment, CommentStatus, ModerationMode, Site, Thread
from commentsvc.services import akismet
from commentsvc.services.bans import ensure_not_banned
from commentsvc.services.drafts import CommentDraft
from commentsvc.services.moderation import ensure_operates, record_audit
from commentsvc.services.sites import update_site

_HREF = re.compile(r'href="([^"]*)"')


@dataclass(frozen=True)
class Assessment:
    status: CommentStatus
    held_reason: str | None = None


VISIBLE = Assessment(CommentStatus.VISIBLE)


def _has_approved_comment(site: Site, account: Account | None, draft: CommentDraft) -> bool:
    """First-time rule: someone with an approved comment on this site (by account or email).

    A signed-in account whose address is verified is also known by the comments written under
    that address as a guest, or on the old blog the site's comments were imported from.
    """
    query = (
        sa.select(Comment.id)
        .join(Thread)
        .where(Thread.site_id == site.id, Comment.status == CommentStatus.VISIBLE)
    )
    if account is not None and account.is_email_verified and account.email:
        query = query.where(
            sa.or_(
                Comment.account_id == account.id,
                sa.func.lower(Comment.author_email) == account.email.lower(),
            )
        )
    elif account is not None:
        query = query.where(Comment.account_id == account.id)
    elif draft.author_email:
        query = query.where(sa.func.lower(Comment.author_email) == draft.author_email.lower())
    else:
        return False
    return db.session.scalar(query.limit(1)) is not None


def is_domain_entry(entry: str) -> bool:
    """Blocklist entries like ``spam.example`` name a domain (and its subdomains)."""
    return "." in entry and " " not in entry and not entry.startswith(".")


def _hosts(draft: CommentDraft) -> Iterator[str]:
    """Every host the comment points to: its links, the author's website and email domain."""
    urls = [*_HREF.findall(draft.body_html), draft.author_website or ""]
    for url in urls:
        try:
            host = urlsplit(url.replace("&amp;", "&")).hostname
        except ValueError:
            continue
        if host:
            yield host.rstrip(".").lower()
    if draft.author_email and "@" in draft.author_email:
        yield draft.author_email.rpartition("@")[2].lower()


def _blocklisted(site: Site, draft: CommentDraft) -> str | None:
    text = " ".join(
        filter(None, (draft.body_markdown, draft.author_name, draft.author_website))
    ).lower()
    hosts = set(_hosts(draft))
    for entry in site.blocklist or []:
        word = entry.strip().lower()
        if not word:
            continue
        if is_domain_entry(word) and any(h == word or h.endswith(f".{word}") for h in hosts):
            return word
        if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text):
            return word
    return None


def _is_too_fast(draft: CommentDraft) -> bool:
    """People take a few seconds to write; scripts post the moment the form appears."""
    minimum_ms = float(current_app.config["MIN_FILL_IN_SECONDS"]) * 1000
    return draft.elapsed_ms is not None and draft.elapsed_ms < minimum_ms


def assess(
    site: Site, draft: CommentDraft, account: Account | None, *, is_ban_checked: bool = False
) -> Assessment:
    """The status a new comment gets under the site's policy (spam checks come first).

    The one judge of text: an author's edit is assessed here as the comment it would be, and
    a banned author can neither post nor edit (:class:`~commentsvc.services.bans` raises;
    ``is_ban_checked``: the caller has, in the query that read the site).
    """
    if not is_ban_checked:
        ensure_not_banned(
            site,
            account=account,
            email=draft.author_email,
            ip_hash=draft.ip_hash,
            address_hash=draft.address_hash,
        )
    if draft.honeypot:
        return Assessment(CommentStatus.SPAM, "honeypot field filled")
    word = _blocklisted(site, draft)
    if word:
        return Assessment(CommentStatus.PENDING, f"blocklist: {word}")
    if _is_too_fast(draft):
        return Assessment(CommentStatus.PENDING, "filled in too fast")
    if site.link_limit and count_links(draft.body_html) > site.link_limit:
        return Assessment(CommentStatus.PENDING, f"more than {site.link_limit} links")
    verdict = akismet.check_draft(site, draft, account)
    if verdict is not None and verdict.is_spam:
        reason = "akismet: blatant spam" if verdict.is_blatant else "akismet: spam"
        return Assessment(CommentStatus.SPAM, reason)
    if site.moderation == ModerationMode.ALL:
        return Assessment(CommentStatus.PENDING, "site moderates every comment")
    if site.moderation == ModerationMode.FIRST_TIME and not _has_approved_comment(
        site, account, draft
    ):
        return Assessment(CommentStatus.PENDING, "first-time commenter")
    return VISIBLE


# ---------------------------------------------------------------- operators' policy changes


@dataclass(frozen=True)
class Policy:
    """The settings an operator edits in the moderation UI, already validated by the form."""

    moderation: ModerationMode
    is_guest_allowed: bool
    providers: list[str]
    edit_window_seconds: int
    link_limit: int
    blocklist: list[str]


def current_policy(site: Site) -> Policy:
    return Policy(
        moderation=ModerationMode(site.moderation),
        is_guest_allowed=site.is_guest_allowed,
        providers=list(site.providers or []),
        edit_window_seconds=site.edit_window_seconds,
        link_limit=site.link_limit,
        blocklist=list(site.blocklist or []),
    )


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, ModerationMode) else value


def update_policy(actor: Account, site: Site, policy: Policy) -> bool:
    """Apply ``policy`` to ``site``; audits what changed. False when nothing did."""
    ensure_operates(actor, site.id)
    old = current_policy(site)
    changed = {
        field.name: getattr(policy, field.name)
        for field in fields(Policy)
        if getattr(policy, field.name) != getattr(old, field.name)
    }
    if not changed:
        return False
    update_site(site, **changed)
    record_audit(
        actor,
        site.id,
        "policy",
        "site",
        site.id,
        {name: _plain(getattr(old, name)) for name in changed},
        {name: _plain(value) for name, value in changed.items()},
    )
    return True
