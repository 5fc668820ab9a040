"""A site's threads (page, title, visible responses) and merging one into another: the mend
for a page whose responses were split over two spellings of its address.

Listed by address, so that ``/posts/x`` and ``/posts/x/`` sit next to each other.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Site, Thread
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp
from commentsvc.permalinks import permalink
from commentsvc.services.thread_merge import MergeResult, merge_threads

PAGE_SIZE = 100
MAX_CHOICES = 200
MAX_SEARCH_LENGTH = 200


@bp.context_processor
def _permalinks() -> dict[str, Any]:
    """``permalink(item)`` in every moderation page: "view on page" goes to the item itself."""
    return {"permalink": permalink}


def _threads(site: Site, q: str = "") -> sa.Select:
    query = sa.select(Thread).where(Thread.site_id == site.id)
    if q:
        query = query.where(
            sa.or_(
                Thread.url.icontains(q, autoescape=True),
                Thread.title.icontains(q, autoescape=True),
            )
        )
    return query.order_by(Thread.url, Thread.id)


def page_choices(site: Site, *, but: Thread | None = None) -> list[Thread]:
    """The pages a form offers to move or merge to, ``but`` the one it is on (the field
    takes any address of the site too)."""
    query = _threads(site)
    if but is not None:
        query = query.where(Thread.id != but.id)
    return list(db.session.scalars(query.limit(MAX_CHOICES)))


@bp.get("/sites/<name>/threads")
def threads(name: str) -> str:
    site = access.site_named(name)
    q = (request.args.get("q") or "").strip()
    if len(q) > MAX_SEARCH_LENGTH:
        raise InvalidInput(f"Search at most {MAX_SEARCH_LENGTH} characters.", field="q")
    page = access.whole_number(request.args.get("page") or "1", 1, 100_000)
    if page is None:
        raise InvalidInput("Page is a positive number.", field="page")
    rows = list(
        db.session.scalars(_threads(site, q).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE))
    )
    return render_template(
        "moderate/threads.html",
        site=site,
        rows=rows[:PAGE_SIZE],
        has_next=len(rows) > PAGE_SIZE,
        page=page,
        q=q,
    )


@bp.get("/threads/<int:thread_id>/merge")
def merge_form(thread_id: int) -> str:
    source = access.thread(thread_id)
    return render_template(
        "moderate/thread_merge.html", source=source, choices=page_choices(source.site, but=source)
    )


@bp.post("/threads/<int:thread_id>/merge")
def merge(thread_id: int) -> Response:
    """The service records the merge in the audit log, with the operator's name."""
    source = access.thread(thread_id)
    site = source.site
    source_url = source.url
    into = access.thread_at(site, request.form.get("into"), field="into")
    result = merge_threads(source, into, actor=access.operator().display_name)
    db.session.commit()
    flash(f"Merged {source_url} into {into.url}: {_moved(result)}.")
    return redirect(url_for("moderate.threads", name=site.name))


def _moved(result: MergeResult) -> str:
    parts = [
        _count(result.comments, "comment"),
        _count(result.mentions, "mention"),
    ]
    if result.dropped_mentions:
        parts.append(f"{_count(result.dropped_mentions, 'duplicate mention')} dropped")
    return f"{parts[0]} and {parts[1]} moved" + "".join(f", {part}" for part in parts[2:])


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
