"""What every way of receiving a mention shares: checks, limits, record, commit, enqueue.

The database holds the claim before the job is enqueued (a lost queue loses nothing: the
sweep finds it), and nothing here fetches anything or waits for anything that does: only the
worker fetches, through the guarded fetcher, off the request thread. A request costs the
checks below and one commit, however slow the source is.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from limits import parse_many

from commentsvc.clientip import network_hash
from commentsvc.errors import Forbidden, TooManyRequests
from commentsvc.extensions import db, limiter
from commentsvc.job_names import Job, verify_mention_job_id
from commentsvc.jobs import enqueue
from commentsvc.models import MentionKind, Site
from commentsvc.services.mentions import Claim, Recorded, check_claim, record_mention
from commentsvc.services.policy import is_domain_entry


def _check_blocklist(site: Site, claim: Claim) -> None:
    host = (urlsplit(claim.source).hostname or "").lower()
    for entry in site.blocklist or []:
        word = entry.strip().lower()
        if word and is_domain_entry(word) and (host == word or host.endswith(f".{word}")):
            raise Forbidden("This site does not accept mentions from that source.")


def _hit(setting: str, key: str, what: str) -> None:
    for item in parse_many(current_app.config[setting]):
        if not limiter.limiter.hit(item, "mention", setting, key):
            raise TooManyRequests(f"Too many mentions {what} ({item}); try again later.")


def check_client_rate() -> None:
    """One client's budget of mentions, which its other calls (``getPingbacks``) share."""
    if current_app.config["RATELIMIT_ENABLED"]:
        _hit("RATELIMIT_MENTION_CLIENT", network_hash(), "from this address")


def _check_claim_rates(claim: Claim) -> None:
    """Per source host and per target page, across every client (senders rotate addresses)."""
    if current_app.config["RATELIMIT_ENABLED"]:
        _hit(
            "RATELIMIT_MENTION_SOURCE_HOST",
            urlsplit(claim.source).hostname or "",
            "from this source host",
        )
        _hit("RATELIMIT_MENTION_TARGET", claim.target_key, "for this page")


def receive(site: Site, source: str, target: str, kind: MentionKind) -> Recorded:
    """Check, record and commit a claim, then enqueue its verification."""
    check_client_rate()
    claim = check_claim(site, source, target)
    _check_blocklist(site, claim)
    _check_claim_rates(claim)
    recorded = record_mention(site, claim, kind, network_hash())
    mention_id = recorded.mention.id
    db.session.commit()
    enqueue(Job.VERIFY_MENTION, mention_id, job_id=verify_mention_job_id(mention_id))
    return recorded
