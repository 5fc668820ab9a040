"""The title job: a thread's public title is the page's own, read from the page.

Never a commenter's: whoever posts first could otherwise name the page in feeds, mail subjects
and the moderation queue. The page is fetched with the safe fetcher, only on one of the site's
own origins (after redirects too); its ``og:title``, else its ``<title>``, becomes the title.
Idempotent: a thread whose title was read (or set by an operator) is left alone.
"""

from __future__ import annotations

import logging

from bs4 import Tag
from flask import current_app

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Thread
from commentsvc.services.threads import MAX_TITLE_LENGTH, needs_title, set_title
from commentsvc.urls import normalise_url, origin_of
from workers.fetch import TITLE_READER, FetchPolicy, FetchResult, PermanentFetchError, fetch
from workers.parse import MARKUP_TYPES, outline, soup_of
from workers.runtime import job
from workers.values import clean_text

log = logging.getLogger(__name__)


def page_title(result: FetchResult) -> str | None:
    """The page's ``og:title`` or ``<title>``, as one line of plain text."""
    if result.content_type not in MARKUP_TYPES:
        return None
    soup = soup_of(result.body, result.charset, result.content_type)
    og = soup.find("meta", attrs={"property": "og:title"})
    if isinstance(og, Tag) and isinstance(og.get("content"), str):
        title = clean_text(str(og["content"]), MAX_TITLE_LENGTH)
        if title:
            return title
    found = outline(soup).title
    return clean_text(found.get_text(" ") if found else None, MAX_TITLE_LENGTH)


def _is_own_page(thread: Thread, url: str) -> bool:
    try:
        return origin_of(normalise_url(url)) in thread.site.origins
    except InvalidInput:
        return False


@job
def fetch_thread_title(thread_id: int) -> None:
    """Enqueued after a comment's thread is committed; transient fetch failures raise (the
    queue retries), permanent ones leave the thread untitled (readers see its URL)."""
    thread = db.session.get(Thread, thread_id)
    if thread is None or not needs_title(thread):
        return
    title = None
    if _is_own_page(thread, thread.url):
        try:
            result = fetch(thread.url, FetchPolicy.from_config(current_app.config, TITLE_READER))
        except PermanentFetchError as error:
            log.info("thread %s: no title from %s: %s", thread_id, thread.url, error)
        else:
            if _is_own_page(thread, result.url) and result.status < 400:
                title = page_title(result)
    db.session.refresh(thread)  # an operator may have named it while the page loaded
    if needs_title(thread):
        set_title(thread, title)
        db.session.commit()
