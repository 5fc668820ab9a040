"""Mention authors' photos, fetched by a job with the safe fetcher and served by the service:
a reader's browser never loads them from the author's host."""

from __future__ import annotations

import io
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.wrappers import Response

from commentsvc.avatars import avatar_url
from commentsvc.extensions import db
from commentsvc.models import Photo
from commentsvc.models.base import utcnow
from commentsvc.models.photo import photo_key
from tests.mention_content import images
from workers.fetch import TransientFetchError
from workers.photos import fetch_photo

TARGET = "https://blog.example.org/2026/hello"
AUTHOR = "https://ann.example/"
SERVICE = "http://comments.test"


def reply_with_photo(photo: str) -> str:
    return f"""<!doctype html><title>Ann's reply</title><article class="h-entry">
      <a class="u-in-reply-to" href="{TARGET}">Hello</a>
      <div class="p-author h-card"><img class="u-photo" src="{photo}" alt="">
        <a class="p-name u-url" href="{AUTHOR}">Ann</a></div>
      <p class="e-content">Welcome to the web of replies.</p></article>"""


def send(client, pages, path: str, photo: str) -> None:
    source = pages.html(path, reply_with_photo(photo))
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201, response.get_data(as_text=True)


def read_thread(client):
    response = client.get("/api/sites/blog/thread", query_string={"url": TARGET})
    assert response.status_code == 200
    return response


def shown_photo(client) -> str:
    [mention] = read_thread(client).get_json()["mentions"]
    return mention["author"]["photo"]


def served(client, url: str):
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == SERVICE  # the service's origin, not the author's
    return client.get(parts.path, query_string=parts.query)


def test_an_authors_photo_is_served_by_the_service_at_96_pixels(client, site, pages):
    photo = pages.add("/ann.png", images.png(200, 120), content_type="image/png")
    send(client, pages, "/reply", photo)
    url = shown_photo(client)
    assert url.startswith(f"{SERVICE}/photos/") and "ann.png" not in url
    response = served(client, url)
    assert response.status_code == 200
    assert response.content_type == "image/webp"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
    image = Image.open(io.BytesIO(response.data))
    assert image.format == "WEBP" and image.size == (96, 96)
    revalidated = client.get(
        urlsplit(url).path, headers={"If-None-Match": response.headers["ETag"]}
    )
    assert revalidated.status_code == 304
    assert pages.hits("/ann.png") == 1


def test_a_photo_loses_its_metadata_and_is_cropped_square(client, site, pages):
    photo = pages.add("/ann.jpg", images.jpeg_with_exif(300, 150), content_type="image/jpeg")
    send(client, pages, "/reply", photo)
    image = Image.open(io.BytesIO(served(client, shown_photo(client)).data))
    assert image.size == (96, 96)
    assert len(image.getexif()) == 0
    assert not {"exif", "icc_profile", "xmp"} & set(image.info)


REFUSED = {
    "bomb": (images.png_bomb(100_000, 100_000), "image/png", 200),
    "bomb-under-pillows-own-limit": (images.png_bomb(5_000, 5_000), "image/png", 200),
    "svg": (images.SVG, "image/svg+xml", 200),
    "text": (b"not a picture at all", "text/plain", 200),
    "text-labelled-png": (b"not a picture at all", "image/png", 200),
    "broken-png": (images.png()[:60], "image/png", 200),
    "too-big": (images.png() + b"\0" * 1_000_001, "image/png", 200),
    "missing": (b"not found", "text/html", 404),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_photo_that_is_not_a_servable_image_leaves_the_identicon(
    client, site, pages, caplog, kind
):
    body, content_type, status = REFUSED[kind]
    photo = pages.add("/photo", body, status=status, content_type=content_type)
    with caplog.at_level(logging.INFO, logger="workers.photos"):
        send(client, pages, "/reply", photo)
    assert shown_photo(client) == avatar_url(f"mention:{AUTHOR}")
    stored = db.session.get(Photo, photo_key(photo), populate_existing=True)
    assert stored.content is None and stored.failures == 1 and stored.failure_reason
    assert any("refused" in record.getMessage() for record in caplog.records)


def test_a_photo_stored_later_refreshes_the_cached_thread(client, site, pages):
    state = {"status": 503}

    def flaky(_request):
        if state["status"] == 503:
            return Response("busy", status=503)
        return Response(images.png(64, 64), content_type="image/png")

    photo = pages.handle("/flaky.png", flaky)
    send(client, pages, "/reply", photo)  # the job's first attempt fails (logged, retried)
    before = read_thread(client)
    assert before.get_json()["mentions"][0]["author"]["photo"].endswith(".svg")
    key = photo_key(photo)
    with pytest.raises(TransientFetchError):  # raised so the queue retries with back-off
        fetch_photo(key)
    state["status"] = 200
    assert fetch_photo(key) == "stored"
    after = read_thread(client)
    assert after.headers["ETag"] != before.headers["ETag"]
    url = after.get_json()["mentions"][0]["author"]["photo"]
    assert url.startswith(f"{SERVICE}/photos/{key}.webp?v=")
    assert Image.open(io.BytesIO(served(client, url).data)).size == (96, 96)
    assert fetch_photo(key) == "fresh"  # a duplicate run does nothing


def test_one_photo_named_by_many_mentions_is_fetched_once_a_week(client, site, pages):
    photo = pages.add("/shared.png", images.png(), content_type="image/png")
    send(client, pages, "/one", photo)
    send(client, pages, "/two", photo)
    send(client, pages, "/one", photo)  # a re-sent webmention
    assert pages.hits("/shared.png") == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Photo)) == 1
    mentions = read_thread(client).get_json()["mentions"]
    assert len({mention["author"]["photo"] for mention in mentions}) == 1
    stored = db.session.get(Photo, photo_key(photo))
    stored.checked_at = stored.fetched_at = utcnow() - timedelta(days=8)
    db.session.commit()
    send(client, pages, "/two", photo)
    assert pages.hits("/shared.png") == 2


def test_an_unknown_or_malformed_photo_key_is_a_404_problem(client, site):
    for path in ("/photos/" + "0" * 64 + ".webp", "/photos/../etc.webp", "/photos/x.webp"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.content_type == "application/problem+json"
