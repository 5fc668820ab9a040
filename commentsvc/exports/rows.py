"""What an export reads: a site's threads, comments, mentions and the accounts its comments
name, as plain rows in a fixed order, fetched in batches.

Rows, not ORM objects: nothing lands in the session's identity map, so memory stays flat
however large the site. Both formats read through here, so they agree on what "everything"
is: a mention that no worker verified yet has no thread (``Mention.thread_id`` is None) and is
left out, as readers never saw it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Account, Comment, Identity, Mention, Site, Thread

BATCH = 500

THREAD_COLUMNS = (Thread.id, Thread.url, Thread.title, Thread.created_at)
COMMENT_COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.account_id,
    Comment.created_at,
    Comment.edited_at,
    Comment.status,
    Comment.is_pinned,
    Comment.body_markdown,
    Comment.body_html,
    Comment.author_name,
    Comment.author_email,
    Comment.author_website,
    Comment.author_avatar,
    Comment.author_provider,
)
MENTION_COLUMNS = (
    Mention.id,
    Mention.kind,
    Mention.type,
    Mention.source,
    Mention.created_at,
    Mention.status,
    Mention.verification,
    Mention.verified_at,
    Mention.rejection_reason,
    Mention.rejection_code,
    Mention.title,
    Mention.excerpt,
    Mention.author_name,
    Mention.author_url,
    Mention.author_photo,
    Mention.published_at,
)
ACCOUNT_COLUMNS = (
    Account.id,
    Account.display_name,
    Account.email,
    Account.website,
    Account.avatar_url,
    Account.is_email_verified,
)


def utc(moment: datetime | None) -> datetime | None:
    """Aware UTC whatever the driver handed back."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stream(statement: sa.Select) -> Iterator[sa.Row]:
    yield from db.session.execute(statement.execution_options(yield_per=BATCH))


def threads(site: Site) -> Iterator[sa.Row]:
    """The site's threads by URL (unique within a site, so the order is total)."""
    return _stream(sa.select(*THREAD_COLUMNS).where(Thread.site_id == site.id).order_by(Thread.url))


def comments(thread_id: int) -> Iterator[sa.Row]:
    """A thread's comments, oldest first (ids break ties: they follow insertion order)."""
    return _stream(
        sa.select(*COMMENT_COLUMNS)
        .where(Comment.thread_id == thread_id)
        .order_by(Comment.created_at, Comment.id)
    )


def mentions(thread_id: int) -> Iterator[sa.Row]:
    """A thread's mentions, oldest first; claims never verified have no thread, so none here."""
    return _stream(
        sa.select(*MENTION_COLUMNS)
        .where(Mention.thread_id == thread_id)
        .order_by(Mention.created_at, Mention.id)
    )


def accounts(site: Site) -> Iterator[tuple[sa.Row, list[tuple[str, str]]]]:
    """Accounts that wrote a comment on the site, by id, each with its (provider, subject)
    identities sorted; never a password hash, token generation or login failure."""
    referenced = (
        sa.select(Comment.account_id)
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id == site.id, Comment.account_id.is_not(None))
    )
    statement = sa.select(*ACCOUNT_COLUMNS).where(Account.id.in_(referenced)).order_by(Account.id)
    batch: list[sa.Row] = []
    for row in _stream(statement):
        batch.append(row)
        if len(batch) == BATCH:
            yield from _with_identities(batch)
            batch = []
    yield from _with_identities(batch)


def _with_identities(batch: list[sa.Row]) -> Iterator[tuple[sa.Row, list[tuple[str, str]]]]:
    if not batch:
        return
    found: dict[int, list[tuple[str, str]]] = {row.id: [] for row in batch}
    pairs = db.session.execute(
        sa.select(Identity.account_id, Identity.provider, Identity.subject).where(
            Identity.account_id.in_(list(found))
        )
    )
    for account_id, provider, subject in pairs:
        found[account_id].append((provider, subject))
    for row in batch:
        yield row, sorted(found[row.id])
