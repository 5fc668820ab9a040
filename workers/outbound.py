"""The send job: fetch a target page, discover its endpoint, send, record what happened.

One row is one send (``OutboundSend``); the job re-reads it and does nothing unless it is
still queued and due, so a duplicate job, the sweep's re-enqueue and a retry are harmless.
Before touching the network the job claims the row (its ``next_attempt_at`` moves a job
timeout ahead, committed), so two runners never send it twice, and a worker that dies
mid-send leaves it for the sweep. Manners come first: an operator's stop refuses the send;
a backed-off host, a host over its rate limit or no free slot postpones it (no attempt is
counted; the sweep brings it back when due). A transient failure (timeouts, 5xx, 429,
pingback fault 0x0032) counts an attempt against the host and is retried on the queue's
schedule until ``OUTBOUND_MAX_ATTEMPTS``; then the send has failed. So does anything else a
send raises (a bug, or what a hostile page or endpoint made some parser raise): the attempt
is counted, not the host's failure, and the send fails at the limit instead of coming back
forever. ``send_now`` is the same pass for the command line, returning the row.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from commentsvc.errors import NotFound
from commentsvc.extensions import db
from commentsvc.jobs import JOB_TIMEOUT_SECONDS, RetryLater, retry_schedule
from commentsvc.models import OutboundSend, SendProtocol, SendState
from commentsvc.models.base import utcnow
from commentsvc.services.outbound import (
    MAX_URL,
    STOPPED,
    Outcome,
    host_of,
    is_host_stopped,
    record_failed_attempt,
    record_outcome,
    record_postponed,
)
from commentsvc.services.outbound_hosts import backoff_until, note_failure, note_success
from workers.discovery import discover_endpoints
from workers.fetch import (
    SENDER,
    FetchPolicy,
    PermanentFetchError,
    RefusedAddress,
    TransientFetchError,
    fetch,
)
from workers.manners import Postponed, slot, take_host_turn
from workers.runtime import job
from workers.senders import Delivery, send_pingback, send_webmention

log = logging.getLogger(__name__)

NO_ENDPOINT = "The target advertises neither a webmention nor a pingback endpoint."
TOO_LONG = f"The advertised endpoint is longer than {MAX_URL} characters; nothing was sent."
UNEXPECTED = "The attempt failed unexpectedly ({error}); the worker's log has the details."


class SendFailedForNow(RetryLater):
    """Raised by the job after a transient failure, so that the queue retries it."""


@job
def send_mention(send_id: int) -> str:
    """Attempt send ``send_id``; returns its state afterwards (raises to be retried)."""
    send, should_retry = _run(send_id)
    if send is None:
        return "missing"
    if should_retry:
        raise SendFailedForNow(f"send {send_id}: {send.detail}")
    return send.state.value


def send_now(send_id: int) -> OutboundSend:
    """Attempt send ``send_id`` now, in the caller (inside an app context); the row after.

    A send that must wait (manners) or failed transiently stays queued with its due time and
    reason; the sweep, or :func:`commentsvc.services.outbound.enqueue_sends`, takes it on.
    """
    send, _ = _run(send_id)
    if send is None:
        raise NotFound(f"There is no outbound send {send_id}.")
    return send


def _claim(send_id: int) -> bool:
    """Take a due, queued send for this run (committed); False when it is not ours to run."""
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboundSend)
        .where(
            OutboundSend.id == send_id,
            OutboundSend.state == SendState.QUEUED,
            sa.or_(OutboundSend.next_attempt_at <= now, OutboundSend.next_attempt_at.is_(None)),
        )
        .values(next_attempt_at=now + timedelta(seconds=JOB_TIMEOUT_SECONDS))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def _run(send_id: int) -> tuple[OutboundSend | None, bool]:
    is_ours = _claim(send_id)
    send = db.session.get(OutboundSend, send_id, populate_existing=True)
    if send is None or not is_ours:
        return send, False
    try:
        delivery = _deliver(send, FetchPolicy.from_config(current_app.config, SENDER))
        should_retry = _apply(send, delivery)
        db.session.commit()
    except Postponed as wait:
        record_postponed(send, wait.until, wait.reason)
        db.session.commit()
        log.info("send %s: postponed (%s)", send_id, wait.reason)
        return send, False
    except Exception as error:  # anything else must not leave the send queued forever
        db.session.rollback()
        send = db.session.get(OutboundSend, send_id, populate_existing=True)
        if send is None:
            return None, False
        should_retry = _apply_unexpected(send, error)
        db.session.commit()
        return send, should_retry
    log.info("send %s to %s: %s (%s)", send_id, send.target_url, send.state.value, send.detail)
    return send, should_retry


def _apply_unexpected(send: OutboundSend, error: Exception) -> bool:
    """Count an attempt that raised; at the limit the send has failed (the traceback is
    logged then, once; the row keeps only the exception's type, never its text)."""
    delivery = Delivery(
        Outcome(SendState.QUEUED, detail=UNEXPECTED.format(error=type(error).__name__)),
        is_transient=True,
    )
    should_retry = _apply(send, delivery)
    if should_retry:
        log.warning("send %s: attempt %s failed unexpectedly (%s)",
                    send.id, send.attempts, type(error).__name__)  # fmt: skip
    else:
        log.error("send %s to %s failed: %s", send.id, send.target_url, send.detail,
                  exc_info=error)  # fmt: skip
    return should_retry


def _gate(send: OutboundSend, host: str) -> Outcome | None:
    """An operator's stop (a final refusal), else a host's back-off: raises
    :class:`Postponed`. The host's rate-limit turn is taken later, inside the slot, so a
    send postponed for want of a slot has cost its host nothing."""
    if is_host_stopped(send.site_id, host):
        return Outcome(SendState.REFUSED, detail=STOPPED.format(host=host))
    until = backoff_until(host)
    if until is not None:
        raise Postponed(until, f"{host} keeps failing; backed off until {until:%H:%M:%S} UTC.")
    return None


def _deliver(send: OutboundSend, policy: FetchPolicy) -> Delivery:
    target_host = host_of(send.target_url)
    stopped = _gate(send, target_host)
    if stopped is not None:
        return Delivery(stopped)
    with slot():
        take_host_turn(target_host)
        try:
            page = fetch(send.target_url, policy, any_type=True)
        except RefusedAddress as error:
            return Delivery(Outcome(SendState.REFUSED, detail=f"Target refused: {error.reason}"))
        except PermanentFetchError as error:
            failed = Outcome(SendState.FAILED, http_status=error.status, detail=error.reason)
            return Delivery(failed)
        except TransientFetchError as error:
            again = Outcome(SendState.QUEUED, http_status=error.status, detail=error.reason)
            return Delivery(again, is_transient=True, failed_host=target_host)
        if page.status == 410:
            return Delivery(
                Outcome(SendState.FAILED, http_status=410, detail="The target is gone.")
            )
        found = discover_endpoints(
            page.body,
            page.charset,
            page.url,
            page.links,
            page.headers.get("x-pingback"),
            page.content_type,
        )
        if found.webmention is not None:
            protocol, endpoint, sender = SendProtocol.WEBMENTION, found.webmention, send_webmention
        elif found.pingback is not None:
            protocol, endpoint, sender = SendProtocol.PINGBACK, found.pingback, send_pingback
        else:
            return Delivery(Outcome(SendState.NO_ENDPOINT, detail=NO_ENDPOINT))
        if len(endpoint) > MAX_URL:
            return Delivery(Outcome(SendState.FAILED, protocol, detail=TOO_LONG))
        endpoint_host = host_of(endpoint)
        if endpoint_host != target_host:
            stopped = _gate(send, endpoint_host)
            if stopped is not None:
                return Delivery(replace(stopped, protocol=protocol, endpoint=endpoint))
            take_host_turn(endpoint_host)
        return sender(endpoint, send.post_url, send.target_url, policy)


def _apply(send: OutboundSend, delivery: Delivery) -> bool:
    """Store the attempt's outcome; True when the queue should try again."""
    outcome = delivery.outcome
    config = current_app.config
    if not delivery.is_transient:
        send.attempts += 1
        record_outcome(send, outcome)
        if outcome.state != SendState.REFUSED:
            note_success(host_of(send.target_url))
            if outcome.endpoint:
                note_success(host_of(outcome.endpoint))
        return False
    if delivery.failed_host:
        note_failure(delivery.failed_host, outcome.detail or "failed", config)
    limit = int(config["OUTBOUND_MAX_ATTEMPTS"])
    if send.attempts + 1 >= limit:
        send.attempts += 1
        detail = f"{outcome.detail} Gave up after {limit} attempts."
        record_outcome(send, replace(outcome, state=SendState.FAILED, detail=detail))
        return False
    record_failed_attempt(send, outcome, _retry_in(send.attempts + 1))
    return True


def _retry_in(failed_attempt: int) -> float:
    """Seconds until the queue runs attempt ``failed_attempt + 1``, by its schedule (past its
    end the queue has given up: due at once, and the sweep re-queues it after its margin)."""
    delays = retry_schedule(current_app.config)
    return delays[failed_attempt - 1] if failed_attempt <= len(delays) else 0.0
