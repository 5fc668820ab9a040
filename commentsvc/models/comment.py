"""Comments: Markdown source and its sanitised HTML, threaded by ``parent_id``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.account import Account
from commentsvc.models.base import UTCDateTime, str_enum, utcnow
from commentsvc.models.thread import Thread


class CommentStatus(StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"
    SPAM = "spam"
    DELETED = "deleted"


class Comment(db.Model):
    __tablename__ = "comment"
    __table_args__ = (sa.Index("ix_comment_thread_status", "thread_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("thread.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    depth: Mapped[int] = mapped_column(default=0)
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL"), index=True
    )
    # Guests' details, or a snapshot of the account's at posting time.
    author_name: Mapped[str | None] = mapped_column(sa.String(80))
    author_email: Mapped[str | None] = mapped_column(sa.String(254))
    author_website: Mapped[str | None] = mapped_column(sa.String(512))
    # Snapshots taken at posting time so the hot thread read needs no join.
    author_avatar: Mapped[str | None] = mapped_column(sa.String(1024))
    author_provider: Mapped[str | None] = mapped_column(sa.String(40))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[CommentStatus] = mapped_column(
        str_enum(CommentStatus), default=CommentStatus.VISIBLE, index=True
    )
    # Why it was held for moderation (policy, links, blocklist, first-time...), for operators.
    held_reason: Mapped[str | None] = mapped_column(sa.String(200))
    is_notify: Mapped[bool] = mapped_column(default=False)
    # Set when the parent's author was told of this reply: the notify job runs at most once.
    reply_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    # SHA-256 of the secret handed to a guest at posting time; proves authorship later.
    edit_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An author's edit of a visible comment that the site's policy holds: readers keep seeing
    # ``body_*`` until an operator approves (the edit is applied) or rejects it (it is dropped).
    # ``held_reason`` says why it is held.
    pending_body_markdown: Mapped[str | None] = mapped_column(sa.Text)
    pending_body_html: Mapped[str | None] = mapped_column(sa.Text)
    pending_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many readers voted for it (rows of ``vote``), kept by the vote service so the thread
    # read needs no COUNT; and whether an operator pinned it above the others.
    score: Mapped[int] = mapped_column(default=0, server_default="0")
    # The score readers are shown: copied from ``score`` only together with a new thread
    # revision, so one revision (one ETag) always renders the same counts and order.
    shown_score: Mapped[int] = mapped_column(default=0, server_default="0")
    is_pinned: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A guest author's browser: the keyed hash of the voter token it sent with the post, so
    # that browser cannot vote for its own comment.
    voter_hash: Mapped[str | None] = mapped_column(sa.String(64))

    thread: Mapped[Thread] = relationship()

    @property
    def has_held_edit(self) -> bool:
        return self.pending_body_markdown is not None

    def drop_held_edit(self) -> None:
        self.pending_body_markdown = None
        self.pending_body_html = None
        self.pending_edited_at = None

    account: Mapped[Account | None] = relationship()


class CommentRevision(db.Model):
    """The text a comment had before an edit, by its author or an operator."""

    __tablename__ = "comment_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("comment.id", ondelete="CASCADE"), index=True
    )
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    edited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConfirmedAddress(db.Model):
    """An address that confirmed, by a mailed link, that it wants reply notifications.

    Keyed by a hash of the lower-cased address, so the list of guests' addresses is not kept
    twice; a guest confirms once per address, not once per comment. ``requested_at`` limits
    confirmation mail to one a day per address (a form cannot be used to flood an inbox).
    """

    __tablename__ = "confirmed_address"

    address_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
