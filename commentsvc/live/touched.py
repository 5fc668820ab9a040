"""The pages a transaction touched, and the revisions it moved them through.

Kept free of the models and the thread reader so that :mod:`commentsvc.services.threads`, which
calls it from ``touch_thread``, can import it without a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa

TOUCHED_KEY = "commentsvc.live.touched"  # in ``Session.info``: thread id -> Touch


@dataclass(frozen=True)
class Touch:
    key: str
    start: int  # the revision before the transaction's first touch
    end: int  # the revision after its last
    reload: bool = False  # readers read the page again instead of receiving its events


def note_touch(session: sa.orm.Session, thread_id: int, key: str, revision: int) -> None:
    """``touch_thread`` moved the thread to ``revision``: remember the span the transaction
    covers (touches of one thread in one transaction are consecutive: the row stays locked)."""
    touched: dict[int, Touch] = session.info.setdefault(TOUCHED_KEY, {})
    prior = touched.get(thread_id)
    touched[thread_id] = Touch(key, prior.start if prior else revision - 1, revision)


def note_reload(session: sa.orm.Session, thread_id: int, key: str, revision: int) -> None:
    """The page's readers must read it again: rows moved by Core statements (merges and moves)
    pass the session hooks by, so its batch carries ``reload`` instead of events. A thread the
    transaction touched keeps its span; one it deleted (a merge's source, ``revision`` its
    last) gets one more revision, which its readers' ``reload`` moves them to."""
    touched: dict[int, Touch] = session.info.setdefault(TOUCHED_KEY, {})
    prior = touched.get(thread_id)
    if prior is not None:
        touched[thread_id] = replace(prior, reload=True)
    else:
        touched[thread_id] = Touch(key, revision, revision + 1, reload=True)
