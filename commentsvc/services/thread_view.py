"""The thread as readers see it, built from two queries and kept per thread revision.

This is the hot path (every page view). A snapshot of a thread is built once per revision
(``Thread.revision`` moves on every visible change) and pages of it are serialised once; a
request costs at most one small query that finds the site's and the thread's revisions, and
none while those are remembered (:mod:`commentsvc.services.thread_cache`).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from commentsvc.avatars import avatar_url, is_foreign_avatar
from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import (
    Comment,
    CommentStatus,
    Mention,
    Site,
    Thread,
    ThreadOrder,
    Verification,
)
from commentsvc.photos import photo_url
from commentsvc.providers import enabled_providers
from commentsvc.services.photos import shown_avatars, stored_versions
from commentsvc.services.thread_cache import (
    Ordering,
    RememberedStates,
    RenderedPage,
    SiteView,
    Snapshot,
    ThreadState,
    cache,
)
from commentsvc.services.votes import seconds_until_shown

FORMAT_VERSION = 3  # bump when the JSON shape changes: old ETags must not match
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
    _remember(key, state, time.monotonic())
    return state


def _remember(key: tuple[str, str], state: ThreadState | None, now: float) -> None:
    """Keep ``state`` for ``THREAD_STATE_SECONDS``, but not past the moment its unshown votes
    fall due: the thread read then shows them (:func:`has_votes_due`)."""
    caches = cache()
    if caches.state_seconds <= 0:
        return
    waiting = seconds_until_shown(state.scores_changed_at) if state else None
    seconds = min(caches.state_seconds, waiting if waiting is not None else float("inf"))
    caches.states.put(key, (now + seconds, state))


def _query_state(site_name: str, identity: str) -> ThreadState | None:
    row = db.session.execute(
        sa.select(
            Site.id,
            Site.revision,
            Thread.id,
            Thread.revision,
            Thread.visible_count,
            Thread.scores_changed_at,
        )
        .select_from(Site)
        .outerjoin(Thread, sa.and_(Thread.site_id == Site.id, Thread.identity == identity))
        .where(Site.name == site_name)
    ).first()
    if row is None:
        return None
    return ThreadState(row[0], row[1], row[2], row[3] or 0, row[4] or 0, row[5])


def has_votes_due(state: ThreadState) -> bool:
    """Votes the thread's revision does not show yet are due to show
    (:func:`commentsvc.services.votes.show_scores`)."""
    return seconds_until_shown(state.scores_changed_at) == 0.0


def keep_state(site_name: str, identity: str, state: ThreadState) -> None:
    """Remember ``state`` for ``THREAD_STATE_SECONDS`` although its votes are due: showing
    them failed (a read-only database), and each read should not try again at once."""
    caches = cache()
    if caches.state_seconds > 0:
        caches.states.put((site_name, identity), (time.monotonic() + caches.state_seconds, state))


def remembered_entries(site_name: str, states: dict[str, ThreadState]) -> RememberedStates:
    """The remembered entries of these states, by page identity, for an answer built from
    them to be replayed while they last; empty when one is not remembered as it is."""
    remembered = cache().states
    entries = []
    for identity, state in states.items():
        key = (site_name, identity)
        entry = remembered.peek(key)
        if entry is None or entry[1] is not state:
            return ()
        entries.append((key, entry))
    return tuple(entries)


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
        sa.select(
            Thread.identity,
            Thread.id,
            Thread.revision,
            Thread.visible_count,
            Thread.scores_changed_at,
        ).where(Thread.site_id == site.id, Thread.identity.in_(missing))
    )
    threads = {row.identity: row for row in rows}
    for key in missing:
        row = threads.get(key)
        state = (
            ThreadState(site.id, site.revision, row.id, row.revision, row.visible_count,
                        row.scores_changed_at)  # the thread read shares it: votes due too
            if row
            else ThreadState(site.id, site.revision, None, 0, 0)
        )  # fmt: skip
        found[key] = state
        _remember((site_name, key), state, now)
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
        "sort": site.default_order.value,
        "votes": site.is_voting_enabled,
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
    Comment.account_id,  # the seed of its identicon while a foreign avatar is not fetched
    Comment.author_provider,
    Comment.body_html,
    Comment.status,
    Comment.created_at,
    Comment.edited_at,
    Comment.shown_score,  # not ``score``: one revision shows one set of counts (votes.py)
    Comment.is_pinned,
)


def shown_avatar(row: sa.Row | Comment, photos: dict[str, tuple[str, str]]) -> str | None:
    """The avatar readers' browsers load: always one the service serves, for a foreign one
    the copy the photo job stored (the account's identicon until then), never its host's."""
    url = row.author_avatar
    if not is_foreign_avatar(url):
        return url
    stored = photos.get(url)
    if stored:
        return photo_url(*stored)
    return avatar_url(f"account:{row.account_id}" if row.account_id else f"avatar:{url}")


def comment_node(row: sa.Row | Comment, photos: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A comment in the thread JSON shape, from a Core row or an ORM object alike; ``photos``:
    the stored copies of foreign avatars (:func:`~commentsvc.services.photos.shown_avatars`)."""
    is_deleted = row.status == CommentStatus.DELETED
    return {
        "id": row.id,
        "parent": row.parent_id,
        "depth": row.depth,
        "author": {
            "name": None if is_deleted else row.author_name,
            "avatar": None if is_deleted else shown_avatar(row, photos),
            "url": None if is_deleted else row.author_website,
            "provider": None if is_deleted else row.author_provider,
        },
        "html": "" if is_deleted else row.body_html,
        "created": isoformat(row.created_at),
        "edited": isoformat(row.edited_at),
        "status": CommentStatus(row.status).value,
        "score": 0 if is_deleted else row.shown_score or 0,
        "pinned": bool(row.is_pinned) and not is_deleted,
        "replies": [],
    }


# Levels of replies the thread JSON nests: far deeper than a page shows (posts stop at the
# site's ``max_depth``), and shallow enough that rendering it never nears Python's recursion
# limit, however deep an imported chain of replies goes.
MAX_NESTING = 64


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
    ).all()
    photos = shown_avatars(row.author_avatar for row in rows)
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    placed: dict[int, tuple[list[dict[str, Any]], int]] = {}  # each node's list, and its level
    for row in rows:
        node = comment_node(row, photos)
        nodes[row.id] = node
        parent = nodes.get(row.parent_id) if row.parent_id else None
        if parent is None:  # a reply whose parent is hidden (pending, spam) shows at the top
            home, level = roots, 0
        elif placed[row.parent_id][1] < MAX_NESTING:
            home, level = parent["replies"], placed[row.parent_id][1] + 1
        else:  # an imported chain deeper than any page shows: beside its parent, as WordPress
            home, level = placed[row.parent_id]
        home.append(node)
        placed[row.id] = (home, level)
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


def mention_node(mention: Mention, photos: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A mention in the thread JSON shape; ``photos``: the stored versions of its author's
    photo (:func:`~commentsvc.services.photos.stored_versions`)."""
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
    return [mention_node(mention, photos) for mention in mentions]


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


# Where a page starts: the sort key of the last comment of the page before, as the ``next``
# of that page wrote it. Oldest and newest: the id ("123"); top: score and id ("7.123"); a
# pinned comment's with a "p" before it.
_CURSORS = {
    ThreadOrder.OLDEST: re.compile(r"(p?)([0-9]{1,19})"),
    ThreadOrder.NEWEST: re.compile(r"(p?)([0-9]{1,19})"),
    ThreadOrder.TOP: re.compile(r"(p?)([0-9]{1,19})\.([0-9]{1,19})"),
}
MAX_CURSOR_NUMBER = 2**62

SortKey = tuple[int, ...]


@dataclass(frozen=True)
class PageRequest:
    """Which page of a thread a read asks for: its order, where it starts and its length."""

    order: ThreadOrder
    after: str | None  # a cursor, checked by :func:`page_request`
    limit: int

    @property
    def after_key(self) -> SortKey | None:
        if self.after is None:
            return None
        match = _CURSORS[self.order].fullmatch(self.after)
        pin = 0 if match[1] else 1
        numbers = [int(group) for group in match.groups()[1:]]
        if self.order is ThreadOrder.NEWEST:
            return (pin, -numbers[0])
        if self.order is ThreadOrder.TOP:
            return (pin, -numbers[0], numbers[1])
        return (pin, numbers[0])


def page_request(order: str, after: str | None, limit: int) -> PageRequest:
    """The page asked for, or InvalidInput naming what is wrong with ``sort`` or ``after``."""
    try:
        chosen = ThreadOrder(order)
    except ValueError:
        names = ", ".join(o.value for o in ThreadOrder)
        raise InvalidInput(f"'sort' must be one of {names}.", field="sort") from None
    if after:
        match = _CURSORS[chosen].fullmatch(after)
        if match is None or any(int(g) > MAX_CURSOR_NUMBER for g in match.groups()[1:]):
            raise InvalidInput(
                f"'after' must be the 'next' of the page before, in sort={chosen.value}.",
                field="after",
            )
    return PageRequest(chosen, after or None, limit)


def _sort_key(order: ThreadOrder, node: dict[str, Any]) -> SortKey:
    pin = 0 if node["pinned"] else 1
    if order is ThreadOrder.NEWEST:
        return (pin, -node["id"])
    if order is ThreadOrder.TOP:
        return (pin, -node["score"], node["id"])
    return (pin, node["id"])


def _cursor(order: ThreadOrder, node: dict[str, Any]) -> str:
    pin = "p" if node["pinned"] else ""
    if order is ThreadOrder.TOP:
        return f"{pin}{node['score']}.{node['id']}"
    return f"{pin}{node['id']}"


def _replies_by_score(node: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``node`` whose replies, at every level, go by score (then oldest first); the
    snapshot's own nodes, shared by the other orders, are left as they are."""
    if not node["replies"]:
        return node
    replies = [_replies_by_score(reply) for reply in node["replies"]]
    replies.sort(key=lambda reply: (-reply["score"], reply["id"]))
    return {**node, "replies": replies}


def ordering(state: ThreadState, shot: Snapshot, order: ThreadOrder) -> Ordering:
    """The snapshot's top-level comments in ``order``, pinned ones first: built once per
    revision and order. Replies stay under their parent: oldest first, by score for top."""
    key = (state.thread_id or 0, state.thread_revision, order.value)
    found = cache().orders.get(key) if state.thread_id else None
    if found is not None:
        return found
    roots = shot.roots
    if order is ThreadOrder.TOP:
        roots = [_replies_by_score(root) for root in roots]
    keyed = sorted(((_sort_key(order, root), root) for root in roots), key=lambda kr: kr[0])
    found = Ordering([root for _, root in keyed], [k for k, _ in keyed])
    if state.thread_id:
        cache().orders.put(key, found)
    return found


def page_etag(state: ThreadState, url_key: str, page: PageRequest) -> str:
    """Names one page of one revision; pages of no thread yet differ by their URL."""
    thread = f"t{state.thread_id}" if state.thread_id else f"u{_short_hash(url_key)}"
    return (
        f'"v{FORMAT_VERSION}-s{state.site_id}.{state.site_revision}'
        f"-{thread}.{state.thread_revision}-{page.order.value}-a{page.after or 0}"
        f'-l{page.limit}"'
    )


def _short_hash(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def render_page(
    state: ThreadState, site: SiteView, url_key: str, page: PageRequest
) -> RenderedPage:
    """One page of the thread as JSON bytes, serialised once per revision."""
    etag = page_etag(state, url_key, page)
    rendered = cache().pages.get(etag)
    if rendered is not None:
        return rendered
    shot = snapshot(state, url_key)
    ordered = ordering(state, shot, page.order)
    after = page.after_key
    start = bisect_right(ordered.keys, after) if after else 0
    roots = ordered.roots[start : start + page.limit]
    has_more = start + page.limit < len(ordered.roots)
    document = {
        # The revision the page was read at: the widget opens the live stream from it (never
        # newer than what the page shows, so no event between the read and the stream is lost).
        "thread": {**shot.thread, "revision": state.thread_revision},
        "site": site.public,
        "sort": page.order.value,
        "comments": roots,
        "mentions": shot.mentions if not after else [],
        "next": _cursor(page.order, roots[-1]) if has_more and roots else None,
        "total_top_level": len(ordered.roots),
    }
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    rendered = RenderedPage(etag, body)
    cache().pages.put(etag, rendered)
    return rendered
