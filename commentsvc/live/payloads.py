"""A comment or a mention as the thread JSON shows it: what an event carries."""

from __future__ import annotations

from typing import Any

from commentsvc.models import Comment, Mention
from commentsvc.services.photos import stored_versions
from commentsvc.services.thread_view import comment_node, isoformat, mention_author


def comment_payload(comment: Comment) -> dict[str, Any]:
    """:func:`~commentsvc.services.thread_view.comment_node`: the thread JSON's own shape,
    sanitised HTML included; ``replies`` stays empty (replies come as events of their own)."""
    return comment_node(comment)


def mention_payload(mention: Mention) -> dict[str, Any]:
    """A mention as the thread JSON lists it (``thread_view._mention_list``)."""
    photos = stored_versions({mention.author_photo}) if mention.author_photo else {}
    return {
        "id": mention.id,
        "kind": mention.kind.value,
        "type": mention.type.value,
        "source": mention.source,
        "title": mention.title,
        "excerpt": mention.excerpt,
        "author": mention_author(mention, photos),
        "created": isoformat(mention.published_at or mention.created_at),
    }
