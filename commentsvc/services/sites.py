"""Creating and changing sites."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from commentsvc.errors import Conflict, InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.models import ModerationMode, Site
from commentsvc.services.thread_cache import ALL_PAGES, forget_after_commit
from commentsvc.urls import normalise_origin

SITE_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")


def get_site(name: str) -> Site:
    site = db.session.scalar(sa.select(Site).where(Site.name == name))
    if site is None:
        raise unknown_site(name)
    return site


def unknown_site(name: str) -> NotFound:
    return NotFound(f"There is no site named {name!r}.")


def create_site(
    name: str,
    origins: Sequence[str],
    moderation: ModerationMode = ModerationMode.NONE,
    *,
    is_guest_allowed: bool = True,
) -> Site:
    if not name or len(name) > 64 or not set(name) <= SITE_NAME_CHARS:
        raise InvalidInput("A site name is 1-64 characters of a-z, 0-9, '-' and '_'.")
    if not origins:
        raise InvalidInput("A site needs at least one origin, e.g. https://blog.example.org.")
    if db.session.scalar(sa.select(Site.id).where(Site.name == name)) is not None:
        raise Conflict(f"A site named {name!r} exists already.")
    site = Site(
        name=name,
        origins=sorted({normalise_origin(origin) for origin in origins}),
        moderation=ModerationMode(moderation),
        is_guest_allowed=is_guest_allowed,
        blocklist=[],
        providers=[],
    )
    db.session.add(site)
    db.session.flush()
    return site


def update_site(site: Site, **changes: object) -> Site:
    """Apply the given policy changes (already typed by the caller); the only way to change a
    site, because it bumps the revision that cached thread renderings key on."""
    if "origins" in changes:
        origins = changes.pop("origins")
        if not origins:
            raise InvalidInput("A site needs at least one origin.")
        site.origins = sorted({normalise_origin(str(o)) for o in origins})  # type: ignore[union-attr]
    for field, value in changes.items():
        if not hasattr(Site, field):
            raise InvalidInput(f"Sites have no setting {field!r}.")
        setattr(site, field, value)
    site.revision = Site.revision + 1  # in SQL: two concurrent updates make two bumps
    db.session.flush()
    forget_after_commit(db.session(), *ALL_PAGES)
    return site
