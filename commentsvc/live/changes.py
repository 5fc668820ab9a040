"""From a transaction's changed rows to the batches its commit publishes.

``touch_thread`` notes each page a transaction changed for readers and the revisions it moved
through (:mod:`~commentsvc.live.touched`); these session hooks note how each comment and
mention looked before the transaction changed it. Just before the commit the two make one batch
per touched page; once the commit is through, the batches are published. Nothing here can fail
a write: an unreachable bus is logged, and the readers it missed reload at the next event.

Only what a reader may see becomes an event: a comment or mention that becomes visible (posted
visible, approved, verified), a visible one whose text or author changes (``edit``; a mention
is sent again), and a visible one that leaves (``delete``). A touched page with nothing of that
kind (a held comment, a title, a vote count) still gets its (empty) batch, so the chain of
revisions stays whole. A merge or move marks both its pages for ``reload``
(:func:`~commentsvc.live.touched.note_reload`): their readers read them again.

A batch that takes back what readers were shown (a ``delete``, an ``edit``, a visible mention
sent again, a ``reload``) resets the page's log (:class:`~commentsvc.live.batches.Batch`): a
reconnect from before it reloads the thread rather than receive the deleted, erased, spammed
or pre-edit words again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import chain
from typing import Any

import sqlalchemy as sa
from flask import current_app

from commentsvc.live.batches import Batch, Event, reload_data
from commentsvc.live.bus import live_bus
from commentsvc.live.payloads import comment_payload, mention_payload
from commentsvc.live.touched import TOUCHED_KEY, Touch
from commentsvc.models import Comment, CommentStatus, Mention, Verification

log = logging.getLogger(__name__)

_SEEN_KEY = "commentsvc.live.seen"  # in ``Session.info``: row -> Seen
_READY_KEY = "commentsvc.live.ready"  # in ``Session.info``: batches to publish after commit

# What readers see of each: a change to any of these is an ``edit`` (a mention: sent again).
_COMMENT_SHOWN = ("body_html", "edited_at", "author_name", "author_avatar", "author_website")
_MENTION_SHOWN = ("title", "excerpt", "type", "author_name", "author_url", "author_photo")


@dataclass
class Seen:
    """A row as the transaction found it, and whether what readers see of it changed."""

    was_visible: bool
    was_thread_id: int | None
    is_shown_changed: bool = False
    is_deleted: bool = False


def _before(row: Comment | Mention, name: str) -> Any:
    """The value the attribute had when the transaction loaded it."""
    history = sa.inspect(row).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return getattr(row, name)


def _is_visible(row: Comment | Mention, value: Any = getattr) -> bool:
    if isinstance(row, Comment):
        return value(row, "status") == CommentStatus.VISIBLE
    return (
        value(row, "thread_id") is not None
        and value(row, "status") == CommentStatus.VISIBLE
        and value(row, "verification") == Verification.VERIFIED
    )


def _note_rows(session: sa.orm.Session, *_: object) -> None:
    """before_flush: remember how each changed comment and mention was before the transaction."""
    seen: dict[Comment | Mention, Seen] | None = None
    for row in chain(session.new, session.dirty, session.deleted):
        if not isinstance(row, (Comment, Mention)):
            continue
        if seen is None:
            seen = session.info.setdefault(_SEEN_KEY, {})
        entry = seen.get(row)
        if entry is None:
            is_new = sa.inspect(row).transient or sa.inspect(row).pending
            entry = seen[row] = Seen(
                was_visible=not is_new and _is_visible(row, _before),
                was_thread_id=None if is_new else _before(row, "thread_id"),
            )
        shown = _COMMENT_SHOWN if isinstance(row, Comment) else _MENTION_SHOWN
        state = sa.inspect(row)
        if any(state.attrs[name].history.has_changes() for name in shown):
            entry.is_shown_changed = True
        if row in session.deleted:
            entry.is_deleted = True


def note_inserted(session: sa.orm.Session, row: Comment | Mention) -> None:
    """A row inserted by a Core statement and added to the session as persistent passes
    before_flush by: note it as new, as :func:`_note_rows` notes what a flush inserts."""
    session.info.setdefault(_SEEN_KEY, {})[row] = Seen(was_visible=False, was_thread_id=None)


def _events_of(row: Comment | Mention, seen: Seen, thread_id: int) -> list[Event]:
    is_comment = isinstance(row, Comment)
    now_thread = None if seen.is_deleted else row.thread_id
    is_visible = not seen.is_deleted and _is_visible(row)
    events = []
    moved = seen.was_thread_id != now_thread
    if seen.was_visible and seen.was_thread_id == thread_id and (moved or not is_visible):
        kind = "comment" if is_comment else "mention"
        events.append(Event("delete", {"kind": kind, "id": row.id}))
    if is_visible and now_thread == thread_id:
        if is_comment and (moved or not seen.was_visible):
            events.append(Event("comment", comment_payload(row)))
        elif is_comment and seen.is_shown_changed:
            events.append(Event("edit", comment_payload(row)))
        elif not is_comment and (moved or not seen.was_visible or seen.is_shown_changed):
            events.append(Event("mention", mention_payload(row)))
    return events


def _takes_back(events: list[Event], seen: Seen, thread_id: int) -> bool:
    """Whether these events replace or remove something this page's readers were shown."""
    was_here = seen.was_visible and seen.was_thread_id == thread_id
    return any(e.kind in ("delete", "edit") or (e.kind == "mention" and was_here) for e in events)


def _build_batches(session: sa.orm.Session) -> None:
    """before_commit (of the outermost transaction): one batch per touched page."""
    if session.in_nested_transaction() or not session.info.get(TOUCHED_KEY):
        return
    session.flush()  # the last changes reach _note_rows before they are read
    touched: dict[int, Touch] = session.info.pop(TOUCHED_KEY)
    seen: dict[Comment | Mention, Seen] = session.info.pop(_SEEN_KEY, {})
    batches = []
    for thread_id, touch in touched.items():
        events: list[Event] = []
        resets = touch.reload
        if touch.reload:
            events.append(Event("reload", reload_data(touch.end)))
        else:
            for row, entry in seen.items():
                found = _events_of(row, entry, thread_id)
                resets = resets or _takes_back(found, entry, thread_id)
                events.extend(found)
        batches.append(Batch(touch.key, touch.start, touch.end, tuple(events), thread_id, resets))
    session.info[_READY_KEY] = batches


def _publish_committed(session: sa.orm.Session) -> None:
    """after_commit: publish what :func:`_build_batches` made; never raise."""
    batches = session.info.pop(_READY_KEY, None)
    session.info.pop(_SEEN_KEY, None)
    if not batches or not current_app:
        return
    try:
        live_bus().publish(batches)
    except Exception:
        log.warning("live: could not publish %d batch(es)", len(batches), exc_info=True)


def _forget(session: sa.orm.Session, previous: sa.orm.SessionTransaction) -> None:
    """after_soft_rollback: the whole transaction is gone (a savepoint's rollback keeps the
    outer transaction's touches)."""
    if previous.parent is not None:
        return
    for key in (TOUCHED_KEY, _SEEN_KEY, _READY_KEY):
        session.info.pop(key, None)


def install_hooks() -> None:
    """Once per process (from ``install_commit_hooks``)."""
    hooks = (
        ("before_flush", _note_rows),
        ("before_commit", _build_batches),
        ("after_commit", _publish_committed),
        ("after_soft_rollback", _forget),
    )
    for name, hook in hooks:
        if not sa.event.contains(sa.orm.Session, name, hook):
            sa.event.listen(sa.orm.Session, name, hook)
