"""What an embedding page may know of its signed-in reader.

Below the views: the sign-in popup (``commentsvc.auth``) hands this to the page with the token,
and ``GET /api/me`` answers it to the widget.
"""

from __future__ import annotations

from typing import Any

from commentsvc.avatars import avatar_url, is_foreign_avatar
from commentsvc.models import Account
from commentsvc.photos import photo_url
from commentsvc.services.photos import shown_avatars


def reader_document(account: Account) -> dict[str, Any]:
    """What the widget shows, and nothing more: no email address, no operator roles, no
    account id or linked providers (the page belongs to a site owner, not to us, and the same
    reader on another site must not be recognisable from it)."""
    avatar = account.avatar_url
    if is_foreign_avatar(avatar):  # the service's copy, as threads show it
        stored = shown_avatars([avatar]).get(avatar)
        avatar = photo_url(*stored) if stored else None
    return {"name": account.display_name, "avatar": avatar or avatar_url(f"account:{account.id}")}
