"""The queue page and the pending count for a badge."""

from __future__ import annotations

from flask import Response, jsonify, render_template, request

from commentsvc.moderate import access, queue
from commentsvc.moderate.blueprint import bp
from commentsvc.moderate.queue import KINDS, ORDERS, PAGE_SIZE, QueueFilter


def current_filter(args) -> QueueFilter:
    """The filter in ``args`` (query string or the form's hidden fields), checked."""
    return QueueFilter.from_args(args, {site.name: site.id for site in access.sites()})


@bp.get("/")
def index() -> str:
    flt = current_filter(request.args)
    items, total = queue.page(flt, access.site_ids())
    return render_template(
        "moderate/queue.html",
        flt=flt,
        items=items,
        total=total,
        sites=access.sites(),
        kinds=KINDS,
        orders=ORDERS,
        statuses=("pending", "spam", "visible", "deleted"),
        has_next=flt.page * PAGE_SIZE < total,
    )


@bp.get("/count.json")
def count() -> Response:
    """``{"pending": N}`` across the signed-in operator's sites."""
    response = jsonify({"pending": queue.pending_count(access.site_ids())})
    response.headers["Cache-Control"] = "no-store"
    return response
