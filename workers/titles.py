"""The title job: a thread's public title is the page's own, read from the page.

Never a commenter's: whoever posts first could otherwise name the page in feeds, mail subjects
and the moderation queue. The page is fetched with the safe fetcher, only on one of the site's
own origins (after redirects too); its ``og:title``, else its ``<title>``, becomes the title.
Idempotent: a thread whose title was read (or set by an operator) is left alone.

The same read asks the page which page it is: when its ``<link rel="canonical">`` names
another page of the site (another identity), the thread moves into that page's thread
(created if need be), the one its widget reads. The canonical page's thread is always the one
that stays, whichever is older: it is the page's own address. Never a loop: the job runs once
per thread (``title_checked_at``), and the thread it merges into takes its title and that mark.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

import sqlalchemy as sa
from bs4 import BeautifulSoup, Tag
from flask import current_app

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Comment, Thread
from commentsvc.services.thread_merge import merge_threads
from commentsvc.services.threads import (
    MAX_TITLE_LENGTH,
    get_or_create_thread,
    needs_title,
    set_title,
)
from commentsvc.urls import normalise_url, page_identity, site_origin
from workers.fetch import TITLE_READER, FetchPolicy, PermanentFetchError, fetch
from workers.parse import MARKUP_TYPES, base_url, outline, soup_of
from workers.runtime import job
from workers.values import clean_text

log = logging.getLogger(__name__)


ACTOR = "canonical-link"  # the audit log's actor for moves this job makes


def page_title(soup: BeautifulSoup) -> str | None:
    """The page's ``og:title`` or ``<title>``, as one line of plain text."""
    og = soup.find("meta", attrs={"property": "og:title"})
    if isinstance(og, Tag) and isinstance(og.get("content"), str):
        title = clean_text(str(og["content"]), MAX_TITLE_LENGTH)
        if title:
            return title
    found = outline(soup).title
    return clean_text(found.get_text(" ") if found else None, MAX_TITLE_LENGTH)


def canonical_url(soup: BeautifulSoup, url: str) -> str | None:
    """The first ``<link rel="canonical">``'s address, resolved against the page's base."""
    for link in soup.find_all("link", href=True):
        rel = link.get("rel") or []
        if "canonical" in [value.lower() for value in rel]:
            return urljoin(base_url(soup, url), str(link["href"]).strip())
    return None


def _is_own_page(thread: Thread, url: str) -> bool:
    try:
        return site_origin(thread.site.origins, normalise_url(url)) is not None
    except InvalidInput:
        return False


def _read_page(thread: Thread) -> tuple[str | None, str | None]:
    """The page's title and canonical address (either None when the page does not say)."""
    if not _is_own_page(thread, thread.url):
        return None, None
    try:
        result = fetch(thread.url, FetchPolicy.from_config(current_app.config, TITLE_READER))
    except PermanentFetchError as error:
        log.info("thread %s: no title from %s: %s", thread.id, thread.url, error)
        return None, None
    if not _is_own_page(thread, result.url) or result.status >= 400:
        return None, None
    if result.content_type not in MARKUP_TYPES:
        return None, None
    soup = soup_of(result.body, result.charset, result.content_type)
    return page_title(soup), canonical_url(soup, result.url)


def _canonical_thread(thread: Thread, canonical: str | None) -> Thread | None:
    """The thread of the page ``canonical`` names, when it is another page of the site.

    Only for a thread that holds no comment: a comment was posted from a page whose widget
    reads this thread (its ``data-url`` or its own canonical link), and moving it would take
    it off the page it was written on (a theme whose every page names ``/`` as canonical).
    The threads mentions create from a sender's link are the ones the page must settle."""
    if canonical is None or not _is_own_page(thread, canonical):
        return None
    if db.session.scalar(sa.select(Comment.id).where(Comment.thread_id == thread.id).limit(1)):
        return None
    if page_identity(canonical) == thread.identity:
        return None
    return get_or_create_thread(thread.site, canonical)


@job
def fetch_thread_title(thread_id: int) -> None:
    """Enqueued after a comment's thread is committed; transient fetch failures raise (the
    queue retries), permanent ones leave the thread untitled (readers see its URL)."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not needs_title(thread):
        return
    title, canonical = _read_page(thread)
    db.session.refresh(thread)  # an operator may have named it while the page loaded
    if not needs_title(thread):
        return
    set_title(thread, title)
    into = _canonical_thread(thread, canonical)
    if into is not None:
        log.info("thread %s: its page names %s as canonical: merged", thread_id, into.url)
        merge_threads(thread, into, actor=ACTOR)
    db.session.commit()
