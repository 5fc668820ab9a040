"""What jobs count: their own outcome, how mention checks end, and mail.

Recorded where the job runs and kept where every web process can read it
(:mod:`commentsvc.job_tallies`: Redis with workers, this process without). Counting never
fails a job.
"""

from __future__ import annotations

from commentsvc.job_tallies import count
from commentsvc.models import Mention

SUCCEEDED = "succeeded"
FAILED = "failed"  # this attempt raised: the queue retries it or, out of retries, fails it
MAIL_SENT = "sent"
MAIL_FAILED = "failed"
MAIL_OUTBOX = "outbox"


def count_job(kind: str, outcome: str) -> None:
    count("jobs", kind, outcome)


def count_verification(mention: Mention) -> None:
    """A check that ended: verified, or rejected / gone with its reason code."""
    count("mention_verifications", mention.verification.value, mention.rejection_code or "")


def count_mail(outcome: str) -> None:
    count("mails", outcome)
