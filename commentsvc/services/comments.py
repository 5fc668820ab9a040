"""Posting, editing and deleting comments: the commenter's side of the comment lifecycle."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from commentsvc.avatars import avatar_url, gravatar_url
from commentsvc.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from commentsvc.extensions import db
from commentsvc.markup import render_markdown
from commentsvc.models import Account, Comment, CommentRevision, CommentStatus, Site, Thread
from commentsvc.models.base import MAX_ID, utcnow
from commentsvc.services.bans import ensure_not_banned
from commentsvc.services.drafts import CommentDraft
from commentsvc.services.policy import assess
from commentsvc.services.threads import get_or_create_thread, touch_thread


class EditWindowClosed(Forbidden):
    code = "edit-window-closed"
    title = "Too late to change this comment"


@dataclass(frozen=True)
class Posted:
    comment: Comment
    edit_token: str | None  # handed to guests once; only its hash is stored
    editable_until: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _author_snapshot(site: Site, draft: CommentDraft, account: Account | None) -> dict:
    if account is not None:
        provider = account.identities[0].provider if account.identities else "site"
        avatar = account.avatar_url or avatar_url(f"account:{account.id}")
        return {
            "author_name": account.display_name,
            "author_email": account.email,
            "author_website": account.website,
            "author_avatar": avatar,
            "author_provider": provider,
        }
    if draft.author_email and site.is_gravatar_enabled:
        avatar = gravatar_url(draft.author_email)
    else:
        avatar = avatar_url(draft.author_email or f"{draft.author_name}|{draft.ip_hash}")
    return {
        "author_name": draft.author_name,
        "author_email": draft.author_email,
        "author_website": draft.author_website,
        "author_avatar": avatar,
        "author_provider": None,
    }


def _parent_in(thread: Thread | None, parent_id: int | None, site: Site) -> Comment | None:
    if parent_id is None:
        return None
    parent = db.session.get(Comment, parent_id)
    if parent is None or thread is None or parent.thread_id != thread.id:
        raise InvalidInput("The comment you reply to is not in this thread.", field="parent")
    if parent.status not in {CommentStatus.VISIBLE, CommentStatus.PENDING}:
        raise InvalidInput("The comment you reply to is no longer there.", field="parent")
    if parent.depth + 1 > site.max_depth:
        raise InvalidInput(
            f"Replies nest at most {site.max_depth} levels deep on this site; "
            "reply to an earlier comment instead.",
            field="parent",
        )
    return parent


def post_comment(site: Site, draft: CommentDraft, account: Account | None) -> Posted:
    """Store a new comment with the status the site's policy gives it."""
    if account is None and not site.is_guest_allowed:
        raise Unauthorized("Sign in to comment on this site.")
    ensure_not_banned(site, account=account, email=draft.author_email, ip_hash=draft.ip_hash)
    thread = get_or_create_thread(site, draft.url, draft.title)
    db.session.flush()
    parent = _parent_in(thread, draft.parent_id, site)
    assessment = assess(site, draft, account)
    token = None if account is not None else secrets.token_urlsafe(24)
    comment = Comment(
        thread_id=thread.id,
        parent_id=parent.id if parent else None,
        depth=parent.depth + 1 if parent else 0,
        account_id=account.id if account else None,
        body_markdown=draft.body_markdown,
        body_html=draft.body_html,
        status=assessment.status,
        held_reason=assessment.held_reason,
        is_notify=draft.is_notify,
        ip_hash=draft.ip_hash,
        edit_token_hash=_token_hash(token) if token else None,
        **_author_snapshot(site, draft, account),
    )
    db.session.add(comment)
    db.session.flush()
    if comment.status == CommentStatus.VISIBLE:
        touch_thread(thread)
    return Posted(comment, token, _window_end(comment, site))


def _window_end(comment: Comment, site: Site) -> datetime:
    return comment.created_at + timedelta(seconds=site.edit_window_seconds)


def editable_until(comment: Comment) -> datetime:
    return _window_end(comment, comment.thread.site)


def _own_comment(comment_id: int, account: Account | None, edit_token: str | None) -> Comment:
    comment = db.session.get(Comment, comment_id) if comment_id <= MAX_ID else None
    if comment is None or comment.status in {CommentStatus.DELETED, CommentStatus.SPAM}:
        raise NotFound(f"There is no comment {comment_id}.")
    is_author = (account is not None and comment.account_id == account.id) or (
        edit_token is not None
        and comment.edit_token_hash is not None
        and hmac.compare_digest(comment.edit_token_hash, _token_hash(edit_token))
    )
    if not is_author:
        raise Forbidden("Only the author can change this comment.")
    if utcnow() > editable_until(comment):
        raise EditWindowClosed(
            "The time to edit or delete this comment is over; ask the site's moderators."
        )
    return comment


def edit_comment(
    comment_id: int, body_markdown: str, account: Account | None, edit_token: str | None
) -> Comment:
    comment = _own_comment(comment_id, account, edit_token)
    if body_markdown == comment.body_markdown:
        return comment  # nothing to keep in the history
    html = render_markdown(body_markdown)
    if not html:
        raise InvalidInput("The comment is empty.", field="body")
    db.session.add(
        CommentRevision(
            comment_id=comment.id,
            body_markdown=comment.body_markdown,
            edited_by_id=account.id if account else None,
        )
    )
    comment.body_markdown = body_markdown
    comment.body_html = html
    comment.edited_at = utcnow()
    db.session.flush()
    if comment.status == CommentStatus.VISIBLE:
        touch_thread(comment.thread)
    return comment


def delete_comment(comment_id: int, account: Account | None, edit_token: str | None) -> None:
    """The author takes the comment back: its text and details go; replies keep their place."""
    comment = _own_comment(comment_id, account, edit_token)
    was_visible = comment.status == CommentStatus.VISIBLE
    comment.status = CommentStatus.DELETED
    comment.body_markdown = ""
    comment.body_html = ""
    comment.author_name = None
    comment.author_email = None
    comment.author_website = None
    comment.is_notify = False
    db.session.flush()
    if was_visible:
        touch_thread(comment.thread)
