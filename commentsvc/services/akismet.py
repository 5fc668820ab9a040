"""Optional Akismet spam check, on only when ``COMMENTSVC_AKISMET_API_KEY`` is set.

The one outbound call made while a request waits besides the OAuth callback, deliberately:
Akismet judges by the poster's address, which is never stored, so the check cannot wait for a
job. It is bounded by ``AKISMET_TIMEOUT_SECONDS`` and fails open (a comment is never refused
because Akismet is down; the local defences still apply). ``AKISMET_URL`` points tests at a
local stand-in.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app

from commentsvc.models import Account, Site
from commentsvc.services.drafts import CommentDraft

log = logging.getLogger(__name__)

USER_AGENT = "commentsvc/0.1 | Akismet client"


class AkismetError(Exception):
    """Akismet did not give a verdict (bad key, bad answer, unreachable)."""


@dataclass(frozen=True)
class Verdict:
    is_spam: bool
    # Akismet's ``X-akismet-pro-tip: discard``: spam so blatant it needs no human look.
    is_blatant: bool = False


def is_configured() -> bool:
    return bool(current_app.config.get("AKISMET_API_KEY"))


def comment_check(fields: Mapping[str, str]) -> Verdict:
    """POST ``/1.1/comment-check``; ``fields`` are Akismet's parameters except ``api_key``."""
    config = current_app.config
    url = f"{config['AKISMET_URL'].rstrip('/')}/1.1/comment-check"
    data = {**fields, "api_key": config["AKISMET_API_KEY"]}
    import requests  # only where Akismet is configured

    try:
        response = requests.post(
            url,
            data=data,
            timeout=float(config["AKISMET_TIMEOUT_SECONDS"]),
            headers={"User-Agent": USER_AGENT},
            allow_redirects=False,
        )
    except requests.RequestException as error:
        raise AkismetError(f"Akismet unreachable: {error}") from error
    answer = response.text.strip()
    if response.status_code != 200 or answer not in {"true", "false"}:
        help_text = response.headers.get("X-akismet-debug-help", "")
        raise AkismetError(f"Akismet answered {response.status_code} {answer[:40]!r} {help_text}")
    is_blatant = response.headers.get("X-akismet-pro-tip", "").lower() == "discard"
    return Verdict(is_spam=answer == "true", is_blatant=answer == "true" and is_blatant)


def _fields(site: Site, draft: CommentDraft, account: Account | None) -> dict[str, str]:
    fields = {
        "blog": site.origins[0] if site.origins else "",
        "permalink": draft.url,
        "comment_type": "reply" if draft.parent_id else "comment",
        "comment_author": draft.author_name or (account.display_name if account else ""),
        "comment_author_email": draft.author_email or (account.email or "" if account else ""),
        "comment_author_url": draft.author_website or "",
        "comment_content": draft.body_markdown,
        "user_ip": draft.client_address,
        "user_agent": draft.user_agent,
        "referrer": draft.referrer,
    }
    return {name: value for name, value in fields.items() if value}


def check_draft(site: Site, draft: CommentDraft, account: Account | None) -> Verdict | None:
    """Akismet's verdict on a new comment; None when not configured or no verdict was given."""
    if not is_configured():
        return None
    try:
        return comment_check(_fields(site, draft, account))
    except AkismetError as error:
        log.warning("akismet check skipped: %s", error)
        return None
