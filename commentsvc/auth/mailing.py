"""Queue the account mails; the job (``workers.mail``) sends them after the request is done."""

from __future__ import annotations

from flask import current_app, request

from commentsvc.job_names import MAIL_JOBS
from commentsvc.jobs import enqueue
from commentsvc.models import Account


def link_base() -> str:
    """The service's public URL for links in mail: ``PUBLIC_URL``, else this request's host."""
    return current_app.config["PUBLIC_URL"] or request.host_url.rstrip("/")


def queue_mail(kind: str, account: Account) -> None:
    """``kind`` is a key of :data:`commentsvc.job_names.MAIL_JOBS`; call after committing."""
    enqueue(MAIL_JOBS[kind], account.id, link_base())
