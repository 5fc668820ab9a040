"""A comment or a mention as the thread JSON shows it: what an event carries."""

from __future__ import annotations

from typing import Any

from commentsvc.models import Comment, Mention
from commentsvc.services.photos import shown_avatars, stored_versions
from commentsvc.services.thread_view import comment_node, mention_node


def comment_payload(comment: Comment) -> dict[str, Any]:
    """:func:`~commentsvc.services.thread_view.comment_node`: the thread JSON's own shape,
    sanitised HTML included; ``replies`` stays empty (replies come as events of their own)."""
    return comment_node(comment, shown_avatars([comment.author_avatar]))


def mention_payload(mention: Mention) -> dict[str, Any]:
    """A mention as the thread JSON lists it."""
    photos = stored_versions({mention.author_photo}) if mention.author_photo else {}
    return mention_node(mention, photos)
