"""The photo job: fetch a mention author's photo once, store a small copy, serve it ourselves.

Enqueued by the verify job after it committed the photo's row (``Job.FETCH_PHOTO``, one job
per photo). Idempotent: a photo stored within the refresh period is left alone. The fetch
goes through the safe fetcher (image types only, at most ``MAX_BYTES``); a transient failure
raises, so the queue retries with its back-off; a refused fetch or a file that is not a
readable photo (SVG, text, a bomb, broken bytes) is counted and logged, and readers keep
seeing the author's identicon (or the copy stored before). A newly stored image bumps every
thread that shows it, so cached thread pages name it.
"""

from __future__ import annotations

import dataclasses
import logging

from flask import current_app

from commentsvc.extensions import db
from commentsvc.models import Photo
from commentsvc.services.photos import (
    is_fresh,
    record_failure,
    store_photo,
    touch_threads_showing,
)
from workers.fetch import PHOTO_READER, FetchPolicy, PermanentFetchError, TransientFetchError, fetch
from workers.runtime import job
from workers.thumbnails import OUTPUT_TYPE, TYPES, BadImage, thumbnail

log = logging.getLogger(__name__)

MAX_BYTES = 1_000_000
ACCEPT = "image/webp, image/png, image/jpeg;q=0.9, image/gif;q=0.8"


def read_photo(url: str) -> bytes:
    """The served image made from the photo at ``url``; raises a fetch error or BadImage."""
    policy = FetchPolicy.from_config(current_app.config, PHOTO_READER)
    policy = dataclasses.replace(policy, max_bytes=min(policy.max_bytes, MAX_BYTES))
    result = fetch(url, policy, headers={"Accept": ACCEPT}, types=TYPES)
    if result.status != 200:
        raise PermanentFetchError(f"The photo's host answered HTTP {result.status}.")
    if result.is_truncated:
        raise BadImage(f"The photo is larger than {policy.max_bytes:,} bytes.")
    return thumbnail(result.body)


@job
def fetch_photo(key: str) -> str:
    """Fetch and store photo ``key``; returns what happened (stored, refused, fresh, missing)."""
    photo = db.session.get(Photo, key)
    if photo is None:
        return "missing"
    if is_fresh(photo):
        return "fresh"
    try:
        content = read_photo(photo.url)
    except TransientFetchError as error:
        record_failure(photo, error.reason)
        db.session.commit()
        log.info("photo %s: not fetched this time (%s)", key, error.reason)
        raise
    except (PermanentFetchError, BadImage) as error:
        record_failure(photo, error.reason)
        db.session.commit()
        log.warning("photo %s refused: %s", key, error.reason)  # no URL: it may carry a query
        return "refused"
    if store_photo(photo, content, OUTPUT_TYPE):
        touched = touch_threads_showing(photo)
        log.info("photo %s stored; %s threads show it", key, touched)
    db.session.commit()
    return "stored"
