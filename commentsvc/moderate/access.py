"""Who may moderate what: the signed-in operator and the sites they moderate.

Views get every site, comment and mention through these functions, which answer 404 for
anything outside the operator's sites: an id from a form is never trusted on its own.
"""

from __future__ import annotations

from urllib.parse import quote

import sqlalchemy as sa
from flask import Response, g, redirect, render_template, request
from sqlalchemy.orm import selectinload

from commentsvc.auth.tokens import current_account
from commentsvc.errors import Forbidden, InvalidInput, NotFound, Unauthorized, problem_response
from commentsvc.extensions import db
from commentsvc.models import Account, Comment, Mention, Site, SiteOperator, Thread
from commentsvc.models.base import MAX_ID
from commentsvc.moderate.blueprint import bp
from commentsvc.services.threads import find_thread

LOGIN_URL = "/auth/login/site"
# Reachable without being an operator: the script and styles (no secrets in them).
PUBLIC_ENDPOINTS = frozenset({"moderate.static"})

Item = Comment | Mention


@bp.before_request
def _require_operator() -> Response | None:
    """Strangers go to sign-in; signed-in people who moderate nothing get 403."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    account = current_account()
    if account is None:
        if request.endpoint == "moderate.count":
            return problem_response(Unauthorized("Sign in as an operator.").to_problem())
        target = request.full_path if request.query_string else request.path
        return redirect(f"{LOGIN_URL}?next={quote(target, safe='/')}")
    if not account.operator_roles:
        if request.endpoint == "moderate.count":
            return problem_response(
                Forbidden("This account does not moderate any site.").to_problem()
            )
        # A reader who signed in through a site's widget lands here: a way out, not a dead end.
        page = render_template("moderate/not_operator.html", account=account)
        return Response(page, status=403, mimetype="text/html")
    g.operator = account
    return None


def operator() -> Account:
    return g.operator


def site_ids() -> list[int]:
    return sorted(role.site_id for role in operator().operator_roles)


def sites() -> list[Site]:
    """The operator's sites, by name."""
    return list(
        db.session.scalars(
            sa.select(Site)
            .join(SiteOperator, SiteOperator.site_id == Site.id)
            .where(SiteOperator.account_id == operator().id)
            .order_by(Site.name)
        )
    )


def site_named(name: str) -> Site:
    site = db.session.scalar(sa.select(Site).where(Site.name == name))
    if site is None or not operator().operates(site.id):
        raise NotFound(f"You moderate no site named {name!r}.")
    return site


def site_by_id(site_id: int) -> Site:
    site = db.session.get(Site, site_id)
    if site is None or not operator().operates(site.id):
        raise NotFound("You moderate no such site.")
    return site


def comment(comment_id: int) -> Comment:
    if comment_id > MAX_ID:
        raise NotFound(f"There is no comment {comment_id} on your sites.")
    found = db.session.scalar(
        sa.select(Comment)
        .options(selectinload(Comment.thread).joinedload(Thread.site))
        .where(Comment.id == comment_id)
    )
    if found is None or not operator().operates(found.thread.site_id):
        raise NotFound(f"There is no comment {comment_id} on your sites.")
    return found


def mention(mention_id: int) -> Mention:
    found = db.session.get(Mention, mention_id) if mention_id <= MAX_ID else None
    # A claim not yet verified has no thread and nothing to judge (the queue never lists it).
    if found is None or found.thread is None or not operator().operates(found.site_id):
        raise NotFound(f"There is no mention {mention_id} on your sites.")
    return found


def thread(thread_id: int) -> Thread:
    found = db.session.get(Thread, thread_id) if thread_id <= MAX_ID else None
    if found is None or not operator().operates(found.site_id):
        raise NotFound(f"There is no page {thread_id} on your sites.")
    return found


MAX_URL_LENGTH = 2048


def thread_at(site: Site, url: str | None, field: str = "to") -> Thread:
    """The thread of page ``url`` of ``site``: what a form names as where to move or merge to.

    A page of another site is refused (its origin is not this site's), and so is a page no
    response has reached yet: moving there would make a thread the site's pages may never
    show, which is the very mistake these forms mend."""
    url = (url or "").strip()
    if not url:
        raise InvalidInput("Give the address of the page to move to.", field=field)
    if len(url) > MAX_URL_LENGTH:
        raise InvalidInput(f"A page address is at most {MAX_URL_LENGTH} characters.", field=field)
    found = find_thread(site, url)  # InvalidInput for a malformed URL or a foreign origin
    if found is None:
        raise InvalidInput(
            f"{url[:200]} has no thread on {site.name} yet; choose one of the site's pages "
            "that has responses.",
            field=field,
        )
    return found


def whole_number(value: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """``value`` as an int within [low, high], or None: never a 500 for "²" or 5,000 digits."""
    value = (value or "").strip()
    if not (value.isascii() and value.isdecimal()) or len(value) > len(str(high)):
        return None  # ASCII: int() also reads "٣" (Arabic-Indic three) as 3
    if not low <= int(value) <= high:
        return None
    return int(value)


def parse_key(key: str) -> tuple[str, int]:
    """``c:12`` is comment 12, ``m:3`` mention 3: the values of the queue's checkboxes."""
    prefix, _, number = (key or "").partition(":")
    parsed = whole_number(number, 1)
    if prefix not in {"c", "m"} or parsed is None:
        raise InvalidInput(f"{key[:40]!r} is not a queue item.")
    return prefix, parsed


def item(key: str) -> Item:
    prefix, number = parse_key(key)
    return comment(number) if prefix == "c" else mention(number)
