"""Permalinks: where one comment or mention sits on its host page.

The contract (``../shared/DESIGN.md``) is ``<thread url>#comment-<id>`` and
``<thread url>#mention-<id>``; the widget gives each item that element id. Feeds, reply mail
and the moderation pages all build their links here, so they cannot drift apart. Below the
views and the jobs on purpose: both use it.
"""

from __future__ import annotations

from commentsvc.models import Comment, Mention


def comment_anchor(comment_id: int) -> str:
    return f"comment-{comment_id}"


def mention_anchor(mention_id: int) -> str:
    return f"mention-{mention_id}"


def permalink(item: Comment | Mention) -> str:
    """The item's address on its page. A mention not yet verified has no thread: its page is
    then the target it was sent for."""
    if isinstance(item, Comment):
        return f"{item.thread.url}#{comment_anchor(item.id)}"
    page = item.thread.url if item.thread is not None else item.target
    return f"{page}#{mention_anchor(item.id)}"
