"""A site's feeds and the mentions it sent, for its operators: watch or drop a feed, ask for a
pass now, see each post's sends and their outcomes, resend one, stop or resume a host.

Every view finds its site through :func:`commentsvc.moderate.access.site_named` (404 for a
site the operator does not moderate); every form carries the CSRF token; services flush, the
views commit, then enqueue.
"""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.job_names import Job, check_feed_job_id
from commentsvc.jobs import enqueue
from commentsvc.models import Site
from commentsvc.models.base import MAX_ID
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp
from commentsvc.services.feeds import (
    MAX_INTERVAL_SECONDS,
    MIN_INTERVAL_SECONDS,
    add_feed,
    feeds_of,
    posts_of,
    remove_feed,
    request_pass,
)
from commentsvc.services.outbound import (
    enqueue_sends,
    resend,
    resume_host,
    sends_for_post,
    stop_host,
    stopped_hosts,
)

POSTS_SHOWN = 50


def _back(site: Site) -> Response:
    return redirect(url_for("moderate.outbound", name=site.name))


def _interval_minutes() -> int | None:
    low, high = MIN_INTERVAL_SECONDS // 60, MAX_INTERVAL_SECONDS // 60
    raw = request.form.get("interval_minutes", "").strip()
    if not raw:
        return None
    minutes = access.whole_number(raw, low, high)
    if minutes is None:
        raise InvalidInput(f"The interval is a whole number of minutes from {low} to {high}.")
    return minutes


@bp.get("/sites/<name>/outbound")
def outbound(name: str) -> str:
    site = access.site_named(name)
    posts = posts_of(site, POSTS_SHOWN)
    return render_template(
        "moderate/outbound.html",
        site=site,
        feeds=feeds_of(site),
        posts=[(post, sends_for_post(site, post.url)) for post in posts],
        stopped=stopped_hosts(site),
        min_minutes=MIN_INTERVAL_SECONDS // 60,
        max_minutes=MAX_INTERVAL_SECONDS // 60,
    )


@bp.post("/sites/<name>/feeds")
def feed_add(name: str) -> Response:
    site = access.site_named(name)
    minutes = _interval_minutes()
    feed = add_feed(
        access.operator(),
        site,
        request.form.get("url", ""),
        interval_seconds=minutes * 60 if minutes is not None else None,
    )
    db.session.commit()
    flash(f"Watching {feed.url}.")
    return _back(site)


@bp.post("/sites/<name>/feeds/remove")
def feed_remove(name: str) -> Response:
    site = access.site_named(name)
    url = request.form.get("url", "")
    remove_feed(access.operator(), site, url)
    db.session.commit()
    flash(f"No longer watching {url}.")
    return _back(site)


@bp.post("/sites/<name>/outbound/pass")
def outbound_pass(name: str) -> Response:
    site = access.site_named(name)
    feed_ids = request_pass(site)
    db.session.commit()
    for feed_id in feed_ids:
        enqueue(Job.CHECK_FEED, feed_id, job_id=check_feed_job_id(feed_id), retry_delays=())
    flash(f"Reading {len(feed_ids)} feed(s) now; new and changed posts send their mentions.")
    return _back(site)


# The converter's bounds make an id the database cannot hold a 404, never a 500.
@bp.post(f"/sites/<name>/sends/<int(min=1, max={MAX_ID}):send_id>/resend")
def send_again(name: str, send_id: int) -> Response:
    site = access.site_named(name)
    queued = resend(access.operator(), site, send_id)
    db.session.commit()
    enqueue_sends([queued])
    flash("Sending again.")
    return _back(site)


@bp.post("/sites/<name>/hosts/stop")
def host_stop(name: str) -> Response:
    site = access.site_named(name)
    host = stop_host(access.operator(), site, request.form.get("host", ""))
    db.session.commit()
    flash(f"Nothing more is sent to {host}.")
    return _back(site)


@bp.post("/sites/<name>/hosts/resume")
def host_resume(name: str) -> Response:
    site = access.site_named(name)
    host = resume_host(access.operator(), site, request.form.get("host", ""))
    db.session.commit()
    flash(f"Sending to {host} again.")
    return _back(site)
