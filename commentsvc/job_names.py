"""The background jobs by name: the one place that spells their dotted paths and job ids.

The web code never imports ``workers`` (workers import the web app, not the other way), so
it enqueues a job by the dotted path of its function. Views, services, the CLI, the sweep and
the runner take the path from here; ``tests/mentions/test_jobs.py`` imports every one, so a
renamed job function fails a test rather than a queue.
"""

from __future__ import annotations

from enum import StrEnum


class Job(StrEnum):
    """A job function in ``workers``, by dotted path (what RQ and the in-process runner import)."""

    VERIFY_MENTION = "workers.mentions.verify_mention"
    NOTIFY_REPLY = "workers.notify.notify_reply"
    SEND_NOTIFY_CONFIRMATION = "workers.notify.send_notify_confirmation"
    FETCH_THREAD_TITLE = "workers.titles.fetch_thread_title"
    FETCH_PHOTO = "workers.photos.fetch_photo"
    SEND_VERIFICATION = "workers.mail.send_verification"
    SEND_PASSWORD_RESET = "workers.mail.send_password_reset"  # noqa: S105 - a job path
    SEND_REGISTRATION_ATTEMPT = "workers.mail.send_registration_attempt"
    SEND_MENTION = "workers.outbound.send_mention"
    CHECK_FEED = "workers.feeds.check_feed"
    SCAN_POST = "workers.post_links.scan_post"
    IMPORT_UPLOAD = "workers.imports.import_upload"
    SWEEP = "workers.sweep.sweep"


# The account mails, by the kind their callers name (``commentsvc.auth.mailing.queue_mail``).
MAIL_JOBS: dict[str, Job] = {
    "verification": Job.SEND_VERIFICATION,
    "password_reset": Job.SEND_PASSWORD_RESET,
    "registration_attempt": Job.SEND_REGISTRATION_ATTEMPT,
}


def verify_mention_job_id(mention_id: int) -> str:
    """One job id per mention: repeated requests collapse into the job already waiting."""
    return f"verify-mention-{mention_id}"


def thread_title_job_id(thread_id: int) -> str:
    """One title fetch per thread at a time."""
    return f"thread-title-{thread_id}"


def fetch_photo_job_id(key: str) -> str:
    """One fetch of an author photo at a time, however many mentions name it."""
    return f"fetch-photo-{key}"


def send_mention_job_id(send_id: int) -> str:
    """One job per outbound send: a re-enqueue (the sweep, a resend) collapses into it."""
    return f"send-mention-{send_id}"


def check_feed_job_id(feed_id: int) -> str:
    """One check per feed at a time: the sweep and a requested pass collapse into it."""
    return f"check-feed-{feed_id}"


def scan_post_job_id(post_id: int) -> str:
    """One read of a post at a time."""
    return f"scan-post-{post_id}"


def import_upload_job_id(upload_id: int) -> str:
    """One run of an uploaded import at a time."""
    return f"import-upload-{upload_id}"
