"""Posting a comment, and its author editing or deleting it within the site's window."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import asdict
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Response, current_app, request

from commentsvc.api import bp
from commentsvc.api.input import field, json_object
from commentsvc.api.votes import posting_voter_hash
from commentsvc.auth.tokens import current_account
from commentsvc.chars import one_line
from commentsvc.clientip import client_ip, client_network, ip_hash, network_hash
from commentsvc.database import statement_by_statement
from commentsvc.errors import InvalidInput
from commentsvc.extensions import db, limiter
from commentsvc.job_names import Job, fetch_photo_job_id, thread_title_job_id
from commentsvc.jobs import enqueue
from commentsvc.markup import render_markdown
from commentsvc.models import Account, Comment, CommentStatus
from commentsvc.services.accounts import normalise_email
from commentsvc.services.comments import (
    Posted,
    delete_comment,
    edit_comment,
    editable_until,
    post_comment,
    post_target,
)
from commentsvc.services.drafts import CommentDraft, Sender
from commentsvc.services.notify_addresses import ask_to_confirm
from commentsvc.services.photos import avatar_to_fetch, shown_avatars
from commentsvc.services.sites import get_site
from commentsvc.services.thread_view import comment_node, isoformat
from commentsvc.services.threads import needs_title

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# How long this process leaves an untitled thread's title job alone after asking for it.
TITLE_ASK_SECONDS = 60.0


def _post_limit() -> str:
    return current_app.config["RATELIMIT_POST"]


def _ip_limit() -> str:
    """Everyone posting from one address, signed in or not (several accounts, one spammer)."""
    return current_app.config["RATELIMIT_POST_PER_IP"]


def _poster_key() -> str:
    """Signed-in commenters are limited per account, wherever they post from."""
    account = current_account()
    return f"account:{account.id}" if account else f"ip:{client_network()}"


def _body(data: dict[str, Any]) -> tuple[str, str]:
    source = field(data, "body", str, required=True)
    limit = current_app.config["MAX_COMMENT_LENGTH"]
    if len(source) > limit:
        raise InvalidInput(f"A comment has at most {limit} characters.", field="body")
    html = render_markdown(source)
    if not html:
        raise InvalidInput("The comment is empty.", field="body")
    return source, html


def _website(data: dict[str, Any]) -> str | None:
    website = field(data, "website", str, max_length=512)
    if website is None:
        return None
    if not _SCHEME.match(website):
        website = f"https://{website}"
    try:
        parts = urlsplit(website)
        is_valid = parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        is_valid = False
    if not is_valid or any(c.isspace() for c in website):
        raise InvalidInput("The website must be an http(s) address.", field="website")
    return website


def _email(data: dict[str, Any]) -> str | None:
    """One plain address (``ann@example.org``): no lists, display names or quoted parts, which
    would let one comment send reply mail to several inboxes."""
    raw = (field(data, "email", str, max_length=254) or "").strip()
    return normalise_email(raw) if raw else None


def _sender() -> Sender:
    return Sender(
        ip_hash=network_hash(),  # an IPv6 client's /64: a ban by what the queue shows holds it
        client_address=client_ip(),
        address_hash=ip_hash(),
        user_agent=request.headers.get("User-Agent", "")[:500],
        referrer=request.headers.get("Referer", "")[:2048],
    )


def _shown_name(name: str | None) -> str | None:
    """The name as it reads: one line, without the marks that would display it reversed."""
    if name is None:
        return None
    return one_line(name) or None


def _draft(data: dict[str, Any], source: str, html: str) -> CommentDraft:
    name_limit = current_app.config["MAX_NAME_LENGTH"]
    email = _email(data)
    is_notify = bool(field(data, "notify", bool))
    if is_notify and not email and current_account() is None:
        raise InvalidInput("Give an email address to be told of replies.", field="email")
    return CommentDraft(
        url=field(data, "url", str, required=True, max_length=2048),
        body_markdown=source,
        body_html=html,
        parent_id=field(data, "parent", int),
        author_name=_shown_name(field(data, "name", str, max_length=name_limit)),
        author_email=email,
        author_website=_website(data),
        is_notify=is_notify,
        honeypot=field(data, "hp", str, max_length=1000) or "",
        elapsed_ms=field(data, "elapsed_ms", int),
        voter_hash=posting_voter_hash(),
        **asdict(_sender()),
    )


def _post(site_name: str, draft: CommentDraft, account: Account | None) -> Posted:
    """Post, once more if the page's thread was merged away between reading and writing it
    (an operator's merge, or the canonical-link job: the comment's insert then fails its
    foreign key, and a second read finds the thread that stayed)."""
    try:
        target = post_target(site_name, draft, account)
        return post_comment(target.site, draft, account, target)
    except sa.exc.IntegrityError:
        db.session.rollback()
        log.info("a comment's thread was merged while it was posted: posting again")
    target = post_target(site_name, draft, account)
    return post_comment(target.site, draft, account, target)


@bp.post("/sites/<site_name>/comments")
@limiter.limit(_post_limit, key_func=_poster_key)
@limiter.limit(_ip_limit, key_func=client_network)
def create_comment(site_name: str) -> tuple[dict[str, Any], int]:
    data = json_object(request)
    source, html = _body(data)
    draft = _draft(data, source, html)
    account = current_account()
    if account is None and not draft.is_notify:  # its one write: the comment (and its count)
        statement_by_statement()
    posted = _post(site_name, draft, account)
    comment = posted.comment
    document = comment_node(comment, shown_avatars([comment.author_avatar]))  # before the commit
    photo = avatar_to_fetch(comment.author_avatar) if account is not None else None
    if comment.status == CommentStatus.SPAM:  # a bot learns nothing of what caught it
        document["status"] = CommentStatus.PENDING.value
    document["editable_until"] = isoformat(posted.editable_until)
    if posted.edit_token:
        document["edit_token"] = posted.edit_token
    is_visible = comment.status == CommentStatus.VISIBLE
    is_reply = comment.parent_id is not None
    thread_id = comment.thread_id
    is_title_missing = needs_title(comment.thread) and _is_title_due(thread_id)
    must_confirm = ask_to_confirm(comment)
    db.session.commit()
    if is_visible and is_reply:
        enqueue(Job.NOTIFY_REPLY, document["id"])
    if must_confirm:
        enqueue(Job.SEND_NOTIFY_CONFIRMATION, document["id"])
    if is_title_missing:
        enqueue(Job.FETCH_THREAD_TITLE, thread_id, job_id=thread_title_job_id(thread_id))
    if photo is not None:
        enqueue(Job.FETCH_PHOTO, photo, job_id=fetch_photo_job_id(photo))
    return document, 201 if is_visible else 202


def _is_title_due(thread_id: int) -> bool:
    """Ask for an untitled thread's title at most once a ``TITLE_ASK_SECONDS`` per process.

    Every post to a thread whose title is not read yet would otherwise ask again, and with
    RQ each ask costs round trips to Redis only to find the job already waiting; a job that
    was lost (a flushed Redis) is asked for again by the first post after the interval.
    """
    asked = current_app.extensions.setdefault("commentsvc.title_asked", {})
    now = time.monotonic()
    last = asked.get(thread_id)
    if last is not None and now - last < TITLE_ASK_SECONDS:
        return False
    if len(asked) > 4096:
        asked.clear()
    asked[thread_id] = now
    return True


def _preview_limit() -> str:
    return current_app.config["RATELIMIT_PREVIEW"]


@bp.post("/sites/<site_name>/preview")
@limiter.limit(_preview_limit, key_func=client_network)
def preview_comment(site_name: str) -> dict[str, str]:
    """The HTML a body would be stored as: the preview shows exactly what posting will."""
    data = json_object(request)
    get_site(site_name)
    source = field(data, "body", str, required=True)
    limit = current_app.config["MAX_COMMENT_LENGTH"]
    if len(source) > limit:
        raise InvalidInput(f"A comment has at most {limit} characters.", field="body")
    return {"html": render_markdown(source)}


def _edit_token() -> str | None:
    return request.headers.get("X-Edit-Token") or None


def _author_view(comment: Comment, is_held: bool) -> dict[str, Any]:
    """The comment as its author sees it after an edit: their own newest text, even while it
    waits for an operator (readers keep seeing the approved text meanwhile)."""
    document = comment_node(comment, shown_avatars([comment.author_avatar]))
    document["editable_until"] = isoformat(editable_until(comment))
    document["edit_held"] = comment.has_held_edit
    if comment.has_held_edit:
        document["html"] = comment.pending_body_html
        document["edited"] = isoformat(comment.pending_edited_at)
    if is_held:
        document["status"] = CommentStatus.PENDING.value
    return document


@bp.patch("/comments/<int:comment_id>")
@limiter.limit(_post_limit, key_func=_poster_key)
def update_comment(comment_id: int) -> tuple[dict[str, Any], int]:
    """200 with the comment when the new text shows at once; 202 when it waits for an
    operator (as for a new comment held by the site's policy)."""
    data = json_object(request)
    source, _ = _body(data)
    edited = edit_comment(comment_id, source, current_account(), _edit_token(), _sender())
    document = _author_view(edited.comment, edited.is_held)
    db.session.commit()
    return document, 202 if edited.is_held else 200


@bp.delete("/comments/<int:comment_id>")
@limiter.limit(_post_limit, key_func=_poster_key)
def remove_comment(comment_id: int) -> Response:
    delete_comment(comment_id, current_account(), _edit_token())
    db.session.commit()
    return Response(status=204)
