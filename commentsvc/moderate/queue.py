"""The queue as a query: comments and mentions of the operator's sites, filtered and ordered.

Comments and mentions live in two tables; a ``UNION ALL`` of (kind, id, created_at) orders and
pages them together in the database, then one query per table loads the page's rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from commentsvc.errors import InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.models import Account, Comment, CommentStatus, Mention, MentionKind, Thread
from commentsvc.models import Verification as MentionVerification
from commentsvc.moderate.access import whole_number

PAGE_SIZE = 50
KINDS = ("comment", *(kind.value for kind in MentionKind))
ORDERS = ("newest", "oldest")
MAX_SEARCH_LENGTH = 200
MAX_PAGE = 100_000


@dataclass(frozen=True)
class QueueFilter:
    """What the operator asked to see; ``site_id`` is already checked against their sites."""

    site_id: int | None = None
    site: str = ""
    kind: str = ""
    status: CommentStatus = CommentStatus.PENDING
    q: str = ""
    order: str = "newest"
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str], site_ids_by_name: Mapping[str, int]) -> QueueFilter:
        """Parse query or form fields; unknown values are a clear 400, another's site a 404."""
        site = (args.get("site") or "").strip()
        kind = (args.get("kind") or "").strip()
        status = (args.get("status") or CommentStatus.PENDING.value).strip()
        order = (args.get("order") or "newest").strip()
        q = (args.get("q") or "").strip()
        page = whole_number(args.get("page") or "1", 1, MAX_PAGE)
        if site and site not in site_ids_by_name:
            raise NotFound(f"You moderate no site named {site[:64]!r}.")
        if kind and kind not in KINDS:
            raise InvalidInput(f"Kind is one of {', '.join(KINDS)}.", field="kind")
        if status not in {s.value for s in CommentStatus}:
            raise InvalidInput("Status is pending, visible, spam or deleted.", field="status")
        if order not in ORDERS:
            raise InvalidInput("Order is newest or oldest.", field="order")
        if len(q) > MAX_SEARCH_LENGTH:
            raise InvalidInput(f"Search at most {MAX_SEARCH_LENGTH} characters.", field="q")
        if page is None:
            raise InvalidInput("Page is a positive number.", field="page")
        return cls(
            site_id=site_ids_by_name.get(site),
            site=site,
            kind=kind,
            status=CommentStatus(status),
            q=q,
            order=order,
            page=page,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments reproducing this filter (defaults left out), for links."""
        flt = replace(self, **changes)
        values = {
            "site": flt.site,
            "kind": flt.kind,
            "status": "" if flt.status == CommentStatus.PENDING else flt.status.value,
            "q": flt.q,
            "order": "" if flt.order == "newest" else flt.order,
            "page": "" if flt.page == 1 else str(flt.page),
        }
        return {name: value for name, value in values.items() if value}


@dataclass(frozen=True)
class QueueItem:
    key: str  # "c:12" / "m:3": the checkbox value
    kind: str  # comment, pingback, webmention, trackback
    row: Comment | Mention

    @property
    def is_comment(self) -> bool:
        return self.kind == "comment"


def _comment_status(status: CommentStatus) -> sa.ColumnElement[bool]:
    """Pending includes visible comments whose author's edit waits for a decision."""
    if status != CommentStatus.PENDING:
        return Comment.status == status
    return sa.or_(
        Comment.status == CommentStatus.PENDING,
        sa.and_(
            Comment.status == CommentStatus.VISIBLE, Comment.pending_body_markdown.is_not(None)
        ),
    )


def _comments(flt: QueueFilter, site_ids: Sequence[int]) -> sa.Select:
    query = (
        sa.select(
            sa.literal("c", sa.String).label("kind"),
            Comment.id.label("id"),
            Comment.created_at.label("created_at"),
        )
        .join(Thread, Thread.id == Comment.thread_id)
        .where(Thread.site_id.in_(site_ids), _comment_status(flt.status))
    )
    if flt.q:
        query = query.where(
            sa.or_(
                Comment.body_markdown.icontains(flt.q, autoescape=True),
                Comment.pending_body_markdown.icontains(flt.q, autoescape=True),
                Comment.author_name.icontains(flt.q, autoescape=True),
                Comment.author_email.icontains(flt.q, autoescape=True),
                Thread.url.icontains(flt.q, autoescape=True),
            )
        )
    return query


def _mentions(flt: QueueFilter, site_ids: Sequence[int]) -> sa.Select:
    query = (
        sa.select(
            sa.literal("m", sa.String).label("kind"),
            Mention.id.label("id"),
            Mention.created_at.label("created_at"),
        )
        .join(Thread, Thread.id == Mention.thread_id)
        .where(
            Thread.site_id.in_(site_ids),
            Mention.status == flt.status,
            # Until the worker has checked the source links here, there is nothing to judge.
            Mention.verification == MentionVerification.VERIFIED,
        )
    )
    if flt.kind:
        query = query.where(Mention.kind == MentionKind(flt.kind))
    if flt.q:
        query = query.where(
            sa.or_(
                Mention.source.icontains(flt.q, autoescape=True),
                Mention.title.icontains(flt.q, autoescape=True),
                Mention.excerpt.icontains(flt.q, autoescape=True),
                Mention.author_name.icontains(flt.q, autoescape=True),
                Thread.url.icontains(flt.q, autoescape=True),
            )
        )
    return query


def _matching(flt: QueueFilter, site_ids: Sequence[int]) -> sa.Subquery:
    ids = [flt.site_id] if flt.site_id is not None else list(site_ids)
    parts = []
    if flt.kind in {"", "comment"}:
        parts.append(_comments(flt, ids))
    if flt.kind != "comment":
        parts.append(_mentions(flt, ids))
    union = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    return union.subquery("queue")


def _ordered(queue: sa.Subquery, order: str) -> sa.Select:
    if order == "oldest":
        keys = (queue.c.created_at.asc(), queue.c.kind.asc(), queue.c.id.asc())
    else:
        keys = (queue.c.created_at.desc(), queue.c.kind.desc(), queue.c.id.desc())
    return sa.select(queue.c.kind, queue.c.id).order_by(*keys)


def _load(keys: Sequence[tuple[str, int]]) -> list[QueueItem]:
    comment_ids = [number for kind, number in keys if kind == "c"]
    mention_ids = [number for kind, number in keys if kind == "m"]
    comments = {
        row.id: row
        for row in db.session.scalars(
            sa.select(Comment)
            .options(
                selectinload(Comment.thread).joinedload(Thread.site),
                selectinload(Comment.account).selectinload(Account.identities),
            )
            .where(Comment.id.in_(comment_ids))
        )
    }
    mentions = {
        row.id: row
        for row in db.session.scalars(
            sa.select(Mention)
            .options(selectinload(Mention.thread).joinedload(Thread.site))
            .where(Mention.id.in_(mention_ids))
        )
    }
    items = []
    for kind, number in keys:
        if kind == "c" and number in comments:
            items.append(QueueItem(f"c:{number}", "comment", comments[number]))
        elif kind == "m" and number in mentions:
            mention = mentions[number]
            items.append(QueueItem(f"m:{number}", mention.kind.value, mention))
    return items


def page(flt: QueueFilter, site_ids: Sequence[int]) -> tuple[list[QueueItem], int]:
    """One page of the queue, and how many items match the filter in all."""
    if not site_ids:
        return [], 0
    queue = _matching(flt, site_ids)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(queue)) or 0
    rows = db.session.execute(
        _ordered(queue, flt.order).limit(PAGE_SIZE).offset((flt.page - 1) * PAGE_SIZE)
    ).all()
    return _load([(row.kind, row.id) for row in rows]), total


def all_matching(
    flt: QueueFilter, site_ids: Sequence[int], chunk: int = 200
) -> Iterator[list[Comment | Mention]]:
    """Every item matching ``flt`` (all pages), in chunks: for "apply to all matching"."""
    if not site_ids:
        return
    keys = [
        (row.kind, row.id)
        for row in db.session.execute(_ordered(_matching(flt, site_ids), flt.order))
    ]
    for start in range(0, len(keys), chunk):
        yield [entry.row for entry in _load(keys[start : start + chunk])]


def pending_count(site_ids: Sequence[int]) -> int:
    """What waits for a decision on these sites: the figure in the title and the badge."""
    if not site_ids:
        return 0
    queue = _matching(QueueFilter(), site_ids)
    return db.session.scalar(sa.select(sa.func.count()).select_from(queue)) or 0
