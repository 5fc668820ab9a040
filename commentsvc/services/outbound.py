"""Outbound mentions: record the sends a post asks for, and what became of each.

A send is one (post, target, change): :func:`queue_sends` records it ``queued`` and flushes;
the caller commits, then calls :func:`enqueue_sends`, so a lost queue loses no send (the
sweep finds queued sends whose attempt is overdue, :func:`overdue_sends`). The worker
(``workers.outbound``) applies what it found through the ``record_*`` functions below.
Operators resend one send, or stop (and resume) sending to a host for their site. Operations
flush; views, jobs and the CLI commit.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urldefrag, urlsplit

import sqlalchemy as sa

from commentsvc.errors import InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.job_names import Job, send_mention_job_id
from commentsvc.jobs import enqueue
from commentsvc.models import (
    Account,
    OutboundHostStop,
    OutboundSend,
    SendProtocol,
    SendReason,
    SendState,
    Site,
)
from commentsvc.models.base import utcnow
from commentsvc.services.moderation import ensure_operates, record_audit
from commentsvc.urls import normalise_url, origin_of

MAX_DETAIL = 300
MAX_URL = 2048
STOPPED = "An operator stopped sending to {host}."


@dataclass(frozen=True)
class Outcome:
    """What one attempt ended with (the worker builds it; :func:`record_outcome` stores it)."""

    state: SendState
    protocol: SendProtocol = SendProtocol.NONE
    endpoint: str | None = None
    http_status: int | None = None
    status_url: str | None = None
    detail: str | None = None


# What inet_aton reads as an IPv4 address: digits, dots and hex (a name ends in letters).
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}")


def host_of(url: str) -> str:
    """The URL's host in one spelling (the key of per-host limits and stops)."""
    return canonical_host(urlsplit(url).hostname or "")


def canonical_host(host: str) -> str:
    """``Example.COM.``, ``bücher.example`` and ``xn--bcher-kva.example`` are one host each:
    lower case, no trailing dot, IDNA; an address in one form (``2130706433``, ``127.1`` and
    ``0x7f.0.0.1`` are ``127.0.0.1``, as resolvers read them; IPv6 compressed). A host IDNA
    refuses stays as given (it matches nothing else either)."""
    host = host.strip().rstrip(".").lower()
    if _LEGACY_IPV4.fullmatch(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return host
    if ":" in host:
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host
        return str(getattr(address, "ipv4_mapped", None) or address)
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _target_or_none(site_origins: set[str], target: str) -> tuple[str, str] | None:
    """The target to send to (fragment dropped) and its normalised form (one page, however
    spelled: host case, default port), or None for one we never send to."""
    if not isinstance(target, str):
        return None
    target = urldefrag(target.strip()).url
    try:
        page = normalise_url(target)
    except InvalidInput:
        return None  # not http(s), malformed, too long, control characters
    if origin_of(page) in site_origins or len(target) > MAX_URL:
        return None
    return target, page


def _page_of(target: str) -> str:
    try:
        return normalise_url(target)
    except InvalidInput:
        return target


def queue_sends(site: Site, post_url: str, targets: Iterable[str], *, reason: str) -> list[int]:
    """Record one queued send per target of ``post_url``; flush (never commit); the new ids.

    Skipped: targets on the site's own origins, anything but absolute http(s) URLs, and a
    target already queued for this post (the queued send will read the post as it is now,
    so a second change before it ran needs no second send). Targets are told apart by their
    normalised URL (:func:`~commentsvc.urls.normalise_url`), so ``http://EXAMPLE.com/x`` and
    ``http://example.com:80/x`` are one send, to the spelling met first. The caller commits,
    then calls :func:`enqueue_sends` with the ids.
    """
    try:
        why = SendReason(reason)
    except ValueError as error:
        choices = ", ".join(member.value for member in SendReason)
        raise InvalidInput(f"Unknown send reason {reason!r}; one of {choices}.") from error
    post = normalise_url(post_url)
    own = set(site.origins or [])
    queued = {
        _page_of(target)
        for target in db.session.scalars(
            sa.select(OutboundSend.target_url).where(
                OutboundSend.site_id == site.id,
                OutboundSend.post_url == post,
                OutboundSend.state == SendState.QUEUED,
            )
        )
    }
    now = utcnow()
    rows: list[OutboundSend] = []
    for raw in targets:
        found = _target_or_none(own, raw)
        if found is None or found[1] in queued:
            continue
        target, page = found
        queued.add(page)
        rows.append(
            OutboundSend(
                site_id=site.id, post_url=post, target_url=target, reason=why, next_attempt_at=now
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    return [row.id for row in rows]


def enqueue_sends(ids: Iterable[int]) -> None:
    """After the commit: one job per send (job id ``send-mention-<id>``; repeats collapse)."""
    for send_id in ids:
        enqueue(Job.SEND_MENTION, send_id, job_id=send_mention_job_id(send_id))


def sends_for_post(site: Site, post_url: str) -> list[OutboundSend]:
    """Every send recorded for one post of ``site``, oldest first."""
    post = normalise_url(post_url)
    return list(
        db.session.scalars(
            sa.select(OutboundSend)
            .where(OutboundSend.site_id == site.id, OutboundSend.post_url == post)
            .order_by(OutboundSend.id)
        )
    )


def overdue_sends(due_before: datetime, limit: int = 500) -> list[int]:
    """Ids of queued sends whose attempt was due before ``due_before`` and never ran: their
    job was lost (a flushed Redis, a dead worker) or they were postponed and are due now."""
    return list(
        db.session.scalars(
            sa.select(OutboundSend.id)
            .where(
                OutboundSend.state == SendState.QUEUED,
                sa.or_(
                    OutboundSend.next_attempt_at < due_before,
                    OutboundSend.next_attempt_at.is_(None),
                ),
            )
            .order_by(OutboundSend.next_attempt_at)
            .limit(limit)
        )
    )


# ---------------------------------------------------------------- what the worker found


def _fitting_url(url: str | None) -> str | None:
    """``url`` if it fits its column; a longer one is not stored (never cut into another)."""
    return url if url is not None and len(url) <= MAX_URL else None


def _link_url(url: str | None) -> str | None:
    """A receiver's status URL as the operators' page may link it: http(s), fitting."""
    try:
        is_web = url is not None and urlsplit(url).scheme.lower() in {"http", "https"}
    except ValueError:
        is_web = False
    return _fitting_url(url) if is_web else None


def record_outcome(send: OutboundSend, outcome: Outcome) -> None:
    """A final answer: sent, failed, refused or no endpoint. Flush only."""
    send.state = outcome.state
    send.protocol = outcome.protocol
    send.endpoint = _fitting_url(outcome.endpoint)
    send.http_status = outcome.http_status
    send.status_url = _link_url(outcome.status_url)
    send.detail = (outcome.detail or "")[:MAX_DETAIL] or None
    send.next_attempt_at = None
    if outcome.state == SendState.SENT:
        send.sent_at = utcnow()
    db.session.flush()


def record_failed_attempt(send: OutboundSend, outcome: Outcome, retry_in: float) -> None:
    """An attempt that may work later: count it, keep it queued, due in ``retry_in`` s."""
    send.attempts += 1
    send.protocol = outcome.protocol
    send.endpoint = _fitting_url(outcome.endpoint)
    send.http_status = outcome.http_status
    send.detail = (outcome.detail or "")[:MAX_DETAIL] or None
    send.next_attempt_at = utcnow() + timedelta(seconds=retry_in)
    db.session.flush()


def record_postponed(send: OutboundSend, until: datetime, reason: str) -> None:
    """Not attempted (a host's rate limit or back-off, no free slot): due again ``until``."""
    send.next_attempt_at = until
    send.detail = reason[:MAX_DETAIL]
    db.session.flush()


# ---------------------------------------------------------------- operators


def is_host_stopped(site_id: int, host: str) -> bool:
    return (
        db.session.scalar(
            sa.select(OutboundHostStop.id).where(
                OutboundHostStop.site_id == site_id, OutboundHostStop.host == host.lower()
            )
        )
        is not None
    )


def stopped_hosts(site: Site) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(OutboundHostStop.host)
            .where(OutboundHostStop.site_id == site.id)
            .order_by(OutboundHostStop.host)
        )
    )


def _host_name(host: str) -> str:
    """A host as an operator may type it: a bare name, or any URL on it."""
    text = (host or "").strip().lower()
    name = host_of(text) if "://" in text else canonical_host(text)
    if not name or len(name) > 255 or any(c in name for c in "/?#@ \t"):
        raise InvalidInput(f"{host!r} is not a host name.", field="host")
    return name


def stop_host(actor: Account, site: Site, host: str) -> str:
    """Send nothing more from ``site`` to ``host``: queued sends there are refused now, later
    ones when they come up; audited. Flush only; returns the host name stored."""
    ensure_operates(actor, site.id)
    name = _host_name(host)
    if not is_host_stopped(site.id, name):
        db.session.add(OutboundHostStop(site_id=site.id, host=name, actor_id=actor.id))
        record_audit(actor, site.id, "stop-host", "outbound-host", None, None, {"host": name})
    queued = db.session.scalars(
        sa.select(OutboundSend).where(
            OutboundSend.site_id == site.id, OutboundSend.state == SendState.QUEUED
        )
    )
    for send in queued:
        if host_of(send.target_url) == name:
            record_outcome(send, Outcome(SendState.REFUSED, detail=STOPPED.format(host=name)))
    db.session.flush()
    return name


def resume_host(actor: Account, site: Site, host: str) -> str:
    """Send to ``host`` again from ``site`` (sends refused meanwhile stay so; resend them)."""
    ensure_operates(actor, site.id)
    name = _host_name(host)
    result = db.session.execute(
        sa.delete(OutboundHostStop).where(
            OutboundHostStop.site_id == site.id, OutboundHostStop.host == name
        )
    )
    if result.rowcount:
        record_audit(actor, site.id, "resume-host", "outbound-host", None, {"host": name}, None)
    db.session.flush()
    return name


def resend(actor: Account, site: Site, send_id: int) -> int:
    """Queue one send of ``site`` again, as new (discovery included); audited. Flush only;
    the caller commits, then calls :func:`enqueue_sends` with the id returned."""
    ensure_operates(actor, site.id)
    send = db.session.get(OutboundSend, send_id)
    if send is None or send.site_id != site.id:
        raise NotFound(f"Site {site.name} has no outbound send {send_id}.")
    if send.state != SendState.QUEUED:
        before = {"state": send.state.value, "detail": send.detail}
        send.state = SendState.QUEUED
        send.protocol = SendProtocol.NONE
        send.endpoint = send.status_url = send.detail = None
        send.http_status = None
        send.attempts = 0
        send.next_attempt_at = utcnow()
        record_audit(
            actor, site.id, "resend", "outbound-send", send.id, before, {"state": "queued"}
        )
    db.session.flush()
    return send.id
