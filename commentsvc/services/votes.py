"""Votes on comments, and how their counts reach readers without emptying every cache.

A vote changes ``Comment.score`` at once (the voter's browser shows the PUT's answer), but
not the thread's revision, which every cached rendering, ETag and proxy entry of the thread
keys on: a busy thread would otherwise be rendered afresh for every click. Readers are shown
``Comment.shown_score``, which only moves together with the revision, so one revision renders
the same counts and order in every process. The vote marks the thread ``scores_changed_at``
(the first vote not shown yet); the first read of the thread once ``VOTE_SHOW_SECONDS`` have
passed since that mark copies the scores, bumps the revision and clears the mark
(:func:`show_scores`), so other readers see a vote within that time and a thread's revision
moves for votes at most once per that many seconds, however many votes arrive. See
docs/votes.md.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from commentsvc.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from commentsvc.extensions import db
from commentsvc.live.batches import stream_key
from commentsvc.live.touched import note_touch
from commentsvc.models import Account, Comment, CommentStatus, Thread, Vote
from commentsvc.models.base import MAX_ID, UTCDateTime, utcnow
from commentsvc.services.thread_cache import forget_after_commit

# What a guest's browser keeps and sends as ``X-Commentsvc-Voter``: 22 or more URL-safe
# characters (128 random bits as base64url at least).
VOTER_TOKEN = re.compile(r"[A-Za-z0-9_-]{22,128}")


class VotesOff(Forbidden):
    code = "votes-off"
    title = "Votes are off on this site"


class OwnComment(Forbidden):
    code = "own-comment"
    title = "You cannot vote for your own comment"


class VotedSignedIn(Forbidden):
    code = "voted-signed-in"
    title = "A signed-in reader at this address voted for this comment"


@dataclass(frozen=True)
class Voter:
    """Who votes: an account, or a guest's browser, and from where."""

    account: Account | None
    # The keyed hash of the browser's voter token: a guest's always, a signed-in reader's
    # when the browser sent one (it then cannot vote for what it posted as a guest).
    voter_hash: str | None
    ip_hash: str  # the address alone, hashed, as comments stored it before networks
    network_hash: str  # the address as one client (an IPv6 client's /64): what comments store


@dataclass(frozen=True)
class Cast:
    comment_id: int
    score: int
    value: int  # the voter's vote now: 1 or 0


def voter_token_hash(token: str) -> str:
    """A keyed hash of a guest's voter token: all that is stored of it. Raises InvalidInput
    for anything that is not a token a browser made."""
    if not VOTER_TOKEN.fullmatch(token):
        raise InvalidInput(
            "The X-Commentsvc-Voter header must be 22 to 128 URL-safe characters "
            "(A-Z, a-z, 0-9, '-', '_').",
            field="X-Commentsvc-Voter",
        )
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"voter:" + token.encode(), hashlib.sha256).hexdigest()[:32]


def _votable(comment_id: int) -> Comment:
    comment = None
    if 0 < comment_id <= MAX_ID:
        comment = db.session.scalar(
            sa.select(Comment)
            .options(joinedload(Comment.thread))  # and its site, which the thread joins
            .where(Comment.id == comment_id)
        )
    if comment is None or comment.status != CommentStatus.VISIBLE:
        raise NotFound(f"There is no comment {comment_id}.")
    return comment


def _refuse_own(comment: Comment, voter: Voter) -> None:
    """The account that wrote it, the address it was posted from, or the browser that posted
    it: a signed-in reader is refused for a comment they posted as a guest too."""
    is_own = (
        (voter.account is not None and comment.account_id == voter.account.id)
        or comment.ip_hash in (voter.ip_hash, voter.network_hash)
        or (comment.voter_hash is not None and comment.voter_hash == voter.voter_hash)
    )
    if is_own:
        raise OwnComment("You cannot vote for your own comment.")


def _existing_vote(comment_id: int, voter: Voter) -> int | None:
    """The id of this voter's vote on the comment. A guest is one browser or one address:
    a second browser at the same address finds the first one's vote (clearing storage does
    not give a second vote)."""
    query = sa.select(Vote.id).where(Vote.comment_id == comment_id)
    if voter.account is not None:
        query = query.where(Vote.account_id == voter.account.id)
    else:
        query = query.where(Vote.account_id.is_(None), _guest_vote_of(voter))
    return db.session.scalar(query.limit(1))


def _guest_vote_of(voter: Voter) -> sa.ColumnElement[bool]:
    """A guest vote from this voter's browser or from its address."""
    by_address = Vote.guest_ip_hash == voter.network_hash
    if voter.voter_hash is None:
        return by_address
    return sa.or_(Vote.voter_hash == voter.voter_hash, by_address)


def _refuse_after_account_vote(comment_id: int, voter: Voter) -> None:
    """A guest at an address an account voted from on this comment: most likely the same
    reader, signed out, voting again."""
    voted = db.session.scalar(
        sa.select(Vote.id)
        .where(Vote.comment_id == comment_id, Vote.account_ip_hash == voter.network_hash)
        .limit(1)
    )
    if voted is not None:
        raise VotedSignedIn(
            "A signed-in reader at this address voted for this comment; "
            "sign in to change that vote."
        )


def _take_over_guest_vote(comment_id: int, voter: Voter) -> bool:
    """An account votes where its browser, or its address, voted as a guest: the guest vote
    becomes the account's, so one reader counts once. True when the account's vote counts
    without a new row (taken over, or stored by a concurrent request of the same account)."""
    vote_id = db.session.scalar(
        sa.select(Vote.id)
        .where(Vote.comment_id == comment_id, Vote.account_id.is_(None), _guest_vote_of(voter))
        .limit(1)
    )
    if vote_id is None:
        return False
    table = Vote.__table__
    try:
        with db.session.begin_nested():
            taken = db.session.execute(
                sa.update(table)
                .where(table.c.id == vote_id, table.c.account_id.is_(None))
                .values(
                    account_id=voter.account.id,
                    voter_hash=None,
                    guest_ip_hash=None,
                    account_ip_hash=voter.network_hash,
                )
            ).rowcount
    except sa.exc.IntegrityError:
        return True
    return taken == 1


def _add_vote(comment_id: int, voter: Voter) -> bool:
    """Store the vote; False when a concurrent request of the same voter stored it first."""
    is_guest = voter.account is None
    vote = Vote(
        comment_id=comment_id,
        account_id=voter.account.id if voter.account else None,
        voter_hash=voter.voter_hash if is_guest else None,
        guest_ip_hash=voter.network_hash if is_guest else None,
        account_ip_hash=None if is_guest else voter.network_hash,
    )
    try:
        with db.session.begin_nested():
            db.session.add(vote)
    except sa.exc.IntegrityError:
        return False
    return True


def _remove_vote(vote_id: int) -> bool:
    return db.session.execute(sa.delete(Vote).where(Vote.id == vote_id)).rowcount == 1


def cast_vote(comment_id: int, voter: Voter, value: int) -> Cast:
    """Vote for a comment (``value`` 1) or take the vote back (0); voting twice counts once.

    The score moves by one in SQL (concurrent votes add up); the thread is marked for
    :func:`show_scores` rather than given a new revision. Flushes; the caller commits.
    """
    comment = _votable(comment_id)
    site = comment.thread.site
    if not site.is_voting_enabled:
        raise VotesOff(f"Votes are off on site {site.name!r}.")
    if voter.account is None and not site.is_guest_allowed:
        raise Unauthorized("Sign in to vote on this site.")
    _refuse_own(comment, voter)
    existing = _existing_vote(comment.id, voter)
    delta = 0
    if value == 1 and existing is None:
        if voter.account is None:
            _refuse_after_account_vote(comment.id, voter)
        if not (voter.account and _take_over_guest_vote(comment.id, voter)):
            delta = 1 if _add_vote(comment.id, voter) else 0
    elif value == 0 and existing is not None and _remove_vote(existing):
        delta = -1
    if delta == 0:
        return Cast(comment.id, comment.score, 1 if existing or value == 1 else 0)
    table = Comment.__table__
    score = db.session.execute(
        sa.update(table)
        .where(table.c.id == comment.id)
        .values(score=table.c.score + delta)
        .returning(table.c.score)
    ).scalar_one()
    db.session.expire(comment, ["score"])
    _mark_scores_changed(comment.thread_id)
    # This process reads the mark at once (other processes within THREAD_STATE_SECONDS):
    # nothing is rendered afresh, the read only learns when the votes fall due.
    forget_after_commit(db.session(), site.name, comment.thread.identity)
    return Cast(comment.id, score, value)


def _mark_scores_changed(thread_id: int) -> None:
    """Always a write to the thread's row, even when it is marked already: it orders this vote
    with a concurrent :func:`show_scores` (the row lock), so no vote is left unshown."""
    table = Thread.__table__
    db.session.execute(
        sa.update(table)
        .where(table.c.id == thread_id)
        .values(
            scores_changed_at=sa.func.coalesce(
                table.c.scores_changed_at, sa.literal(utcnow(), UTCDateTime())
            )
        )
    )


def show_seconds() -> float:
    return float(current_app.config["VOTE_SHOW_SECONDS"])


def seconds_until_shown(scores_changed_at: datetime | None) -> float | None:
    """How long until votes marked at ``scores_changed_at`` are due to show (0: now); None
    when there are none to show."""
    if scores_changed_at is None:
        return None
    waited = (utcnow() - scores_changed_at).total_seconds()
    return max(0.0, show_seconds() - waited)


def show_scores(site_name: str, identity: str, thread_id: int) -> bool:
    """Show the thread's votes if they are due: copy the scores to ``shown_score`` and give
    the thread a new revision, in one transaction; False when another request did it first
    (or none are due). Live streams get the revision's (empty) batch. Flushes; the caller
    commits.

    Rows are locked comments first, then the thread, as votes and every other write take
    them, so this never deadlocks with a write; a vote that lands between the copy and the
    bump leaves the thread marked again, for the next interval.
    """
    due = utcnow() - timedelta(seconds=show_seconds())
    savepoint = db.session.begin_nested()
    db.session.execute(_copy_scores(), {"of_thread": thread_id})
    revision = db.session.execute(_bump(), {"thread_id": thread_id, "due": due}).scalar()
    if revision is None:  # not due, or bumped by another request: its copy stands
        savepoint.rollback()
    else:
        if db.session.execute(_unshown(), {"thread_id": thread_id}).first() is not None:
            _mark_scores_changed(thread_id)
        savepoint.commit()
        note_touch(db.session(), thread_id, stream_key(site_name, identity), revision)
    # Forget this process's remembered state either way: it is the one that showed them due.
    forget_after_commit(db.session(), site_name, identity)
    return revision is not None


# The statements below are built once: the read path runs them.


@cache
def _copy_scores() -> sa.Update:
    table = Comment.__table__
    return (
        sa.update(table)
        .where(
            table.c.thread_id == sa.bindparam("of_thread", type_=sa.Integer),
            table.c.shown_score != table.c.score,
        )
        .values(shown_score=table.c.score)
    )


@cache
def _bump() -> sa.Update:
    """Only a thread still marked, and marked long enough ago, is bumped: of two processes
    that both saw it due, one bumps."""
    table = Thread.__table__
    return (
        sa.update(table)
        .where(
            table.c.id == sa.bindparam("thread_id", type_=sa.Integer),
            table.c.scores_changed_at <= sa.bindparam("due", type_=UTCDateTime()),
        )
        .values(revision=table.c.revision + 1, scores_changed_at=None)
        .returning(table.c.revision)
    )


@cache
def _unshown() -> sa.Select:
    """A score the copy did not see: a vote committed between the copy and the bump (the
    bump waited for its lock on the thread, so it is visible now)."""
    table = Comment.__table__
    return (
        sa.select(table.c.id)
        .where(
            table.c.thread_id == sa.bindparam("thread_id", type_=sa.Integer),
            table.c.shown_score != table.c.score,
        )
        .limit(1)
    )


def withdraw_account_votes(account: Account) -> None:
    """Before an account is erased (its votes go with it): take its votes off the scores and
    mark their threads, so readers are shown the counts without them. Flushes."""
    # The votes go first, as a vote taken back does (vote, then comment: no deadlock with
    # one), and only the rows this delete removed come off the scores: a vote the account
    # took back meanwhile is not taken off twice.
    withdrawn = db.session.scalars(
        sa.delete(Vote).where(Vote.account_id == account.id).returning(Vote.comment_id)
    ).all()
    if not withdrawn:
        return
    table = Comment.__table__
    thread_ids = db.session.scalars(
        sa.update(table)
        .where(table.c.id.in_(sorted(set(withdrawn))))
        .values(score=table.c.score - 1)
        .returning(table.c.thread_id)
    ).all()
    for thread_id in sorted(set(thread_ids)):
        _mark_scores_changed(thread_id)
