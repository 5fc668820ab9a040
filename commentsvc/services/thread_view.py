"""The thread as readers see it, built from two queries and kept per thread revision.

This is the hot path (every page view). A snapshot of a thread is built once per revision
(``Thread.revision`` moves on every visible change) and pages of it are serialised once; a
request costs at most one small query that finds the site's and the thread's revisions, and
none while those are remembered (:mod:`commentsvc.services.thread_cache`).
"""

from __future__ import annotations

import hashlib
import json
import time
from bisect import bisect_right
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from commentsvc.avatars import avatar_url
from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Mention, Site, Thread, Verification
from commentsvc.photos import photo_url
from commentsvc.providers import enabled_providers
from commentsvc.services.photos import stored_versions
from commentsvc.services.thread_cache import (
    RenderedPage,
    SiteView,
    Snapshot,
    ThreadState,
    cache,
)

FORMAT_VERSION = 1  # bump when the JSON shape changes: old ETags must not match
GZIP_MIN_BYTES = 1024


def isoformat(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:  # Core queries on SQLite bypass the column type's conversion
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def thread_state(site_name: str, identity: str) -> ThreadState | None:
    """The site's and the page's revisions (the page by its identity): remembered briefly,
    else one query."""
    caches = cache()
    key = (site_name, identity)
    if caches.state_seconds > 0:
        remembered = caches.states.get(key)
        if remembered is not None and remembered[0] > time.monotonic():
            return remembered[1]
    state = _query_state(site_name, identity)
    if caches.state_seconds > 0:
        caches.states.put(key, (time.monotonic() + caches.state_seconds, state))
    return state


def _query_state(site_name: str, identity: str) -> ThreadState | None:
    row = db.session.execute(
        sa.select(Site.id, Site.revision, Thread.id, Thread.revision, Thread.visible_count)
        .select_from(Site)
        .outerjoin(Thread, sa.and_(Thread.site_id == Site.id, Thread.identity == identity))
        .where(Site.name == site_name)
    ).first()
    if row is None:
        return None
    return ThreadState(row[0], row[1], row[2], row[3] or 0, row[4] or 0)


def thread_states(site_name: str, url_keys: set[str]) -> dict[str, ThreadState] | None:
    """The states of many pages of one site (``/counts``), by identity: remembered ones, and
    one query for the others. None when there is no such site."""
    caches = cache()
    now = time.monotonic()
    found: dict[str, ThreadState] = {}
    for key in url_keys:
        remembered = caches.states.get((site_name, key)) if caches.state_seconds > 0 else None
        if remembered is not None and remembered[0] > now and remembered[1] is not None:
            found[key] = remembered[1]
    missing = url_keys - found.keys()
    if not missing:
        return found
    site = db.session.execute(
        sa.select(Site.id, Site.revision).where(Site.name == site_name)
    ).first()
    if site is None:
        return None
    rows = db.session.execute(
        sa.select(Thread.identity, Thread.id, Thread.revision, Thread.visible_count).where(
            Thread.site_id == site.id, Thread.identity.in_(missing)
        )
    )
    threads = {row.identity: row for row in rows}
    for key in missing:
        row = threads.get(key)
        state = (
            ThreadState(site.id, site.revision, row.id, row.revision, row.visible_count)
            if row
            else ThreadState(site.id, site.revision, None, 0, 0)
        )
        found[key] = state
        if caches.state_seconds > 0:
            caches.states.put((site_name, key), (now + caches.state_seconds, state))
    return found


def site_public(site: Site) -> dict[str, Any]:
    """The site settings the widget needs to draw its form."""
    return {
        "name": site.name,
        "guests": site.is_guest_allowed,
        "moderation": site.moderation.value,
        "edit_window": site.edit_window_seconds,
        "max_depth": site.max_depth,
        "mentions_display": site.mentions_display.value,
        "providers": [{"id": p.id, "name": p.name} for p in enabled_providers(site)],
    }


def site_view(state: ThreadState) -> SiteView:
    key = (state.site_id, state.site_revision)
    view = cache().sites.get(key)
    if view is None:
        site = db.session.get(Site, state.site_id)
        view = SiteView(
            site.id, site.revision, site.name, frozenset(site.origins), site_public(site)
        )
        cache().sites.put(key, view)
    return view


_COMMENT_COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.depth,
    Comment.author_name,
    Comment.author_website,
    Comment.author_avatar,
    Comment.author_provider,
    Comment.body_html,
    Comment.status,
    Comment.created_at,
    Comment.edited_at,
)


def comment_node(row: sa.Row | Comment) -> dict[str, Any]:
    """A comment in the thread JSON shape, from a Core row or an ORM object alike."""
    is_deleted = row.status == CommentStatus.DELETED
    return {
        "id": row.id,
        "parent": row.parent_id,
        "depth": row.depth,
        "author": {
            "name": None if is_deleted else row.author_name,
            "avatar": None if is_deleted else row.author_avatar,
            "url": None if is_deleted else row.author_website,
            "provider": None if is_deleted else row.author_provider,
        },
        "html": "" if is_deleted else row.body_html,
        "created": isoformat(row.created_at),
        "edited": isoformat(row.edited_at),
        "status": CommentStatus(row.status).value,
        "replies": [],
    }


def _prune_deleted(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deleted comments stay only as placeholders that keep replies in their place."""
    kept = []
    for node in nodes:
        node["replies"] = _prune_deleted(node["replies"])
        if node["status"] != CommentStatus.DELETED.value or node["replies"]:
            kept.append(node)
    return kept


def _comment_tree(thread_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        sa.select(*_COMMENT_COLUMNS)
        .where(
            Comment.thread_id == thread_id,
            Comment.status.in_([CommentStatus.VISIBLE, CommentStatus.DELETED]),
        )
        .order_by(Comment.id)
    )
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for row in rows:
        node = comment_node(row)
        nodes[row.id] = node
        parent = nodes.get(row.parent_id) if row.parent_id else None
        # A reply whose parent is hidden (pending, spam) shows at the top level for now.
        (parent["replies"] if parent else roots).append(node)
    return _prune_deleted(roots)


def mention_author(mention: Mention, photos: dict[str, tuple[str, str]]) -> dict[str, Any] | None:
    """A mention's author as readers get it: the photo is always one the service serves (the
    copy the photo job stored, else the author's identicon), never the author's host's, which
    would learn who reads the page."""
    if not (mention.author_name or mention.author_url):
        return None
    stored = photos.get(mention.author_photo) if mention.author_photo else None
    seed = f"mention:{mention.author_url or mention.author_name}"
    return {
        "name": mention.author_name,
        "url": mention.author_url,
        "photo": photo_url(*stored) if stored else avatar_url(seed),
    }


def _mention_list(thread_id: int) -> list[dict[str, Any]]:
    mentions = db.session.scalars(
        sa.select(Mention)
        .where(
            Mention.thread_id == thread_id,
            Mention.verification == Verification.VERIFIED,
            Mention.status == CommentStatus.VISIBLE,
        )
        .order_by(Mention.created_at, Mention.id)
    ).all()
    photos = stored_versions({m.author_photo for m in mentions if m.author_photo})
    return [
        {
            "id": mention.id,
            "kind": mention.kind.value,
            "type": mention.type.value,
            "source": mention.source,
            "title": mention.title,
            "excerpt": mention.excerpt,
            "author": mention_author(mention, photos),
            "created": isoformat(mention.published_at or mention.created_at),
        }
        for mention in mentions
    ]


def snapshot(state: ThreadState, url_key: str) -> Snapshot:
    if state.thread_id is None:
        return Snapshot({"id": None, "url": url_key, "title": None, "count": 0}, [], [], [])
    key = (state.thread_id, state.thread_revision)
    cached = cache().snapshots.get(key)
    if cached is None:
        thread = db.session.get(Thread, state.thread_id)
        roots = _comment_tree(thread.id)
        cached = Snapshot(
            {
                "id": thread.id,
                "url": thread.url,
                "title": thread.title,
                "count": thread.visible_count,
            },
            roots,
            [root["id"] for root in roots],
            _mention_list(thread.id),
        )
        cache().snapshots.put(key, cached)
    return cached


def page_etag(state: ThreadState, url_key: str, after: int | None, limit: int) -> str:
    """Names one page of one revision; pages of no thread yet differ by their URL."""
    thread = f"t{state.thread_id}" if state.thread_id else f"u{_short_hash(url_key)}"
    return (
        f'"v{FORMAT_VERSION}-s{state.site_id}.{state.site_revision}'
        f'-{thread}.{state.thread_revision}-a{after or 0}-l{limit}"'
    )


def _short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def render_page(
    state: ThreadState, site: SiteView, url_key: str, after: int | None, limit: int
) -> RenderedPage:
    """One page of the thread as JSON bytes, serialised once per revision."""
    etag = page_etag(state, url_key, after, limit)
    page = cache().pages.get(etag)
    if page is not None:
        return page
    shot = snapshot(state, url_key)
    start = bisect_right(shot.root_ids, after) if after else 0
    roots = shot.roots[start : start + limit]
    has_more = start + limit < len(shot.roots)
    document = {
        "thread": shot.thread,
        "site": site.public,
        "comments": roots,
        "mentions": shot.mentions if not after else [],
        "next": str(roots[-1]["id"]) if has_more and roots else None,
        "total_top_level": len(shot.roots),
    }
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    page = RenderedPage(etag, body)
    cache().pages.put(etag, page)
    return page
