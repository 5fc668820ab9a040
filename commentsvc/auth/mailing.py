"""Queue the account mails; the job (``workers.mail``) sends them after the request is done."""

from __future__ import annotations

import logging

from flask import current_app, request
from limits import parse_many

from commentsvc.extensions import limiter
from commentsvc.job_names import MAIL_JOBS
from commentsvc.jobs import enqueue
from commentsvc.models import Account
from commentsvc.services.notify_addresses import address_hash

log = logging.getLogger(__name__)

# Account mails one inbox gets, however many clients ask for them: the per-client limit on
# the forms alone let a few addresses flood someone with sign-up and reset mails. Past it the
# form answers as usual (it never tells whether an address has an account) and sends nothing.
PER_INBOX_LIMIT = "5 per hour;20 per day"


def link_base() -> str:
    """The service's public URL for links in mail: ``PUBLIC_URL``, else this request's host."""
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


def queue_mail(kind: str, account: Account) -> None:
    """``kind`` is a key of :data:`commentsvc.job_names.MAIL_JOBS`; call after committing."""
    if not _inbox_may_get_more(account):
        log.info("no %s mail for account %s: its inbox had its share for now", kind, account.id)
        return
    enqueue(MAIL_JOBS[kind], account.id, link_base())


def _inbox_may_get_more(account: Account) -> bool:
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    # Keyed by the inbox, not the account: accounts come and go, the inbox stays.
    inbox = address_hash(account.email or f"account:{account.id}")
    return all(
        limiter.limiter.hit(item, "account-mail", inbox) for item in parse_many(PER_INBOX_LIMIT)
    )
