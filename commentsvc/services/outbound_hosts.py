"""How receiving hosts behave: consecutive failures, and the back-off they earn.

A host that fails ``OUTBOUND_HOST_FAILURES`` times in a row (timeouts, refused connections,
5xx, 429) is left alone for ``OUTBOUND_HOST_BACKOFF_SECONDS``, doubling with every further
failure up to a day; one answer that is not a failure clears it. Shared by every site: a
struggling host is spared whoever links to it. Operations flush; the caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import OutboundHost
from commentsvc.models.base import utcnow

MAX_BACKOFF_SECONDS = 24 * 3600
MAX_HOST = 253  # the longest DNS name; a longer "host" never resolves, so needs no back-off


def backoff_until(host: str) -> datetime | None:
    """When ``host`` may be tried again, if it is backed off now."""
    until = db.session.scalar(
        sa.select(OutboundHost.backoff_until).where(OutboundHost.host == host)
    )
    return until if until is not None and until > utcnow() else None


def _row(host: str) -> OutboundHost:
    query = sa.select(OutboundHost).where(OutboundHost.host == host)
    row = db.session.scalar(query)
    if row is not None:
        return row
    row = OutboundHost(host=host)
    try:
        with db.session.begin_nested():
            db.session.add(row)
        return row
    except sa.exc.IntegrityError:  # another worker recorded it first
        return db.session.scalars(query).one()


def note_failure(host: str, reason: str, config: Any) -> datetime | None:
    """Count a failure of ``host``; returns the back-off it earned, if any. Flush only.

    A host longer than a DNS name is not counted (it would not fit its column)."""
    if len(host) > MAX_HOST:
        return None
    row = _row(host)
    row.failures = OutboundHost.failures + 1  # in SQL: concurrent failures all count
    row.last_error = reason[:300]
    row.updated_at = utcnow()
    db.session.flush()
    db.session.refresh(row, ["failures"])
    threshold = max(1, int(config["OUTBOUND_HOST_FAILURES"]))
    if row.failures < threshold:
        return None
    base = float(config["OUTBOUND_HOST_BACKOFF_SECONDS"])
    seconds = min(base * 2 ** min(row.failures - threshold, 20), MAX_BACKOFF_SECONDS)
    row.backoff_until = utcnow() + timedelta(seconds=seconds)
    db.session.flush()
    return row.backoff_until


def note_success(host: str) -> None:
    """``host`` answered: forget its failures. Flush only (nothing written when clean)."""
    db.session.execute(
        sa.update(OutboundHost)
        .where(OutboundHost.host == host, OutboundHost.failures > 0)
        .values(failures=0, backoff_until=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
