"""Votes: one reader's "this is good" on one comment; a comment's score is how many it has.

A vote is a row (withdrawing deletes it). Who voted is kept only as the account, or for a
guest's browser a keyed hash of the random token it keeps, and a keyed hash of the address
(both kinds): enough to count each reader once, nothing that names them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, utcnow


class Vote(db.Model):
    __tablename__ = "vote"
    # One vote per account, per guest browser and per guest address on a comment. NULLs are
    # distinct in a unique constraint (SQLite and PostgreSQL alike): an account's vote has no
    # guest columns, a guest's no account.
    __table_args__ = (
        sa.UniqueConstraint("comment_id", "account_id", name="uq_vote_comment_account"),
        sa.UniqueConstraint("comment_id", "voter_hash", name="uq_vote_comment_voter"),
        sa.UniqueConstraint("comment_id", "guest_ip_hash", name="uq_vote_comment_guest_ip"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(sa.ForeignKey("comment.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="CASCADE"), index=True
    )
    # Guests only: keyed hashes of the browser's voter token and of its address (an IPv6
    # client's /64).
    voter_hash: Mapped[str | None] = mapped_column(sa.String(64))
    guest_ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Accounts only: the same hash of the address they voted from. Not unique (an office votes
    # person by person); a guest vote from there on the same comment is refused.
    account_ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
