"""Account mail (address confirmation, password reset), sent over SMTP by a job, never inside
a request. ``COMMENTSVC_SMTP_URL`` is ``smtp://user:password@host:port`` (``smtps://`` for TLS
from the start; ``SMTP_STARTTLS`` upgrades a plain connection). Without it the embedded
default logs the message instead, so a local install still shows the link.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.links import forgot_link, reset_link, verify_link
from commentsvc.models import Account
from commentsvc.services.accounts import normalise_email
from workers.metrics import MAIL_FAILED, MAIL_OUTBOX, MAIL_SENT, count_mail
from workers.runtime import job

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, text: str, headers: dict[str, str] | None = None) -> None:
    """Deliver one plain-text message through the configured SMTP server, to ``to`` alone."""
    try:
        normalise_email(to)
    except InvalidInput:  # stored before addresses were checked this strictly: never a list
        count_mail(MAIL_FAILED)
        log.warning("mail %r not sent: the address is not one plain address", subject)
        return
    # Long unfoldable headers (List-Unsubscribe URLs) must stay plain, not RFC 2047-encoded.
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = " ".join(subject.split())  # one line, whatever a title held
    # RFC 5322 requires Date; large providers also refuse mail without a Message-ID.
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=_mail_domain())
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    url = current_app.config.get("SMTP_URL")
    if not url:
        path = _write_to_outbox(message)
        count_mail(MAIL_OUTBOX)
        log.warning("no COMMENTSVC_SMTP_URL: mail %r written to %s", subject, path)
        return
    try:
        _send_smtp(url, message, to)
    except Exception:
        count_mail(MAIL_FAILED)
        raise
    count_mail(MAIL_SENT)
    log.info("mail %r sent", subject)  # never the address: logs are no place for it


def _send_smtp(url: str, message: EmailMessage, to: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("COMMENTSVC_SMTP_URL must look like smtp://user:password@host:port")
    timeout = float(current_app.config["SMTP_TIMEOUT_SECONDS"])
    context = ssl.create_default_context()
    if parts.scheme == "smtps":
        client = smtplib.SMTP_SSL(
            parts.hostname, parts.port or 465, timeout=timeout, context=context
        )
    else:
        client = smtplib.SMTP(parts.hostname, parts.port or 25, timeout=timeout)
    with client:
        if parts.scheme == "smtp" and current_app.config["SMTP_STARTTLS"]:
            client.starttls(context=context)
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message, to_addrs=[to])  # never what the headers may list


def _mail_domain() -> str:
    """The service's own host names its messages (never a client's Host header)."""
    public = current_app.config.get("PUBLIC_URL") or ""
    return urlsplit(public).hostname or "localhost"


def _write_to_outbox(message: EmailMessage) -> Path:
    outbox = Path(current_app.instance_path) / "outbox"
    outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.eml"
    path = outbox / name
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(message.as_bytes())
    return path


def _account(account_id: int) -> Account | None:
    account = db.session.get(Account, account_id)
    if account is None or not account.email:
        log.info("mail for account %s skipped: gone or without email", account_id)
        return None
    return account


def _greeting(account: Account) -> str:
    """Whoever registers an address chooses the display name: until the address is confirmed,
    mail to it carries no text of theirs (no spam or phishing through our server)."""
    return f"Hello {account.display_name}," if account.is_email_verified else "Hello,"


@job
def send_verification(account_id: int, base_url: str) -> None:
    account = _account(account_id)
    if account is None or account.is_email_verified:
        return
    link = verify_link(base_url, account)
    send_mail(
        account.email,
        "Confirm your email address",
        f"{_greeting(account)}\n\nconfirm this address for your comments account "
        f"by opening this link within three days:\n\n{link}\n\n"
        "If you did not create an account, ignore this message.\n",
    )


@job
def send_password_reset(account_id: int, base_url: str) -> None:
    account = _account(account_id)
    if account is None:
        return
    link = reset_link(base_url, account)
    send_mail(
        account.email,
        "Choose a new password",
        f"{_greeting(account)}\n\nsomeone (hopefully you) asked to reset the password "
        f"of your comments account. Choose a new one within an hour here:\n\n{link}\n\n"
        "If it was not you, ignore this message: your password stays as it is.\n",
    )


@job
def send_registration_attempt(account_id: int, base_url: str) -> None:
    """Someone registered an address that has an account: tell its owner, not the form."""
    account = _account(account_id)
    if account is None:
        return
    send_mail(
        account.email,
        "You already have an account",
        f"{_greeting(account)}\n\nsomeone tried to create a comments account with "
        "this address, which already has one. If it was you, sign in, or choose a new "
        f"password here:\n\n{forgot_link(base_url)}\n\nOtherwise, ignore this message.\n",
    )
