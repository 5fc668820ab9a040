"""The import form's options on the "Import and export" page: an "old address = new address" map
for a blog that moved, and a dry run that only reports. Both are kept on the upload's row, so
the job, and the sweep that queues a lost job again by the upload's id, run with them."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from markupsafe import escape
from redis import Redis
from rq import SimpleWorker

from commentsvc import jobs
from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Comment, ImportedItem, ImportState, ImportUpload, Thread
from commentsvc.models.base import utcnow
from workers.sweep import sweep

UPLOAD = "/moderate/sites/blog/imports"
OLD = "http://oldblog.wordpress.com"
NEW = "https://blog.example.org"
COMMENTS = 3
WXR = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
    'xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
    + "".join(
        f"<item><title>Post {post}</title><link>{OLD}/{post}/</link>"
        f"<wp:post_id>{post}</wp:post_id>"
        + "".join(
            f"<wp:comment><wp:comment_id>{post}{n}</wp:comment_id>"
            f"<wp:comment_author>R{n}</wp:comment_author>"
            f"<wp:comment_date_gmt>2015-05-0{n} 10:00:00</wp:comment_date_gmt>"
            f"<wp:comment_content>Comment {n} on {post}</wp:comment_content>"
            "<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>"
            "<wp:comment_parent>0</wp:comment_parent></wp:comment>"
            for n in range(1, COMMENTS + 1)
        )
        + "</item>"
        for post in (1, 2)
    )
    + "</channel></rss>\n"
).encode()


def upload(client, token: str, url_map: str = "", dry_run: bool = False):
    data = {
        "csrf_token": token,
        "kind": "wordpress",
        "file": (io.BytesIO(WXR), "old-blog.xml"),
        "url_map": url_map,
    }
    if dry_run:
        data["dry_run"] = "1"
    return client.post(UPLOAD, data=data, content_type="multipart/form-data")


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def thread_urls() -> list[str]:
    return list(db.session.scalars(sa.select(Thread.url).order_by(Thread.url)))


def the_upload() -> ImportUpload:
    db.session.expire_all()
    return db.session.scalars(sa.select(ImportUpload)).one()


def test_the_form_offers_the_address_map_and_the_dry_run(operator_client) -> None:
    page = operator_client.get("/moderate/sites/blog/transfer").get_data(as_text=True)

    assert 'name="url_map"' in page and "Old address = new address" in page
    assert 'name="dry_run"' in page and "Dry run: report only" in page


def test_an_upload_with_an_address_map_imports_the_pages_under_the_new_origin(
    operator_client, site, csrf_token
) -> None:
    token = csrf_token(operator_client)
    without = upload(operator_client, token, dry_run=True)  # the old origin is not the site's
    assert the_upload().summary["skipped"]["thread: page outside the site's origins"] == 2
    db.session.execute(sa.delete(ImportUpload))
    db.session.commit()

    response = upload(operator_client, token, f"\n{OLD}/ = {NEW}/\r\n\n")

    assert without.status_code == response.status_code == 302
    done = the_upload()
    assert done.state == ImportState.DONE, done.error
    assert done.url_map == [[f"{OLD}/", f"{NEW}/"]] and not done.is_dry_run
    assert done.summary["imported"]["comments"] == 2 * COMMENTS == count(Comment)
    assert thread_urls() == [f"{NEW}/1/", f"{NEW}/2/"]
    page = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="import-url-map"' in page and f"{OLD}/" in page
    assert 'id="import-dry-run"' not in page
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "import")).all()
    assert audit[-1].after["url_map"] == [[f"{OLD}/", f"{NEW}/"]]


@pytest.mark.parametrize(
    ("url_map", "message"),
    [
        (f"{OLD}/={NEW}/\n{OLD}/only-old", "Line 2 of the address map, "),
        (f"={NEW}/", "Line 1 of the address map, "),
        (f"{OLD}/=  ", "is not old address = new address"),
        (f"{OLD}/\x1b={NEW}/", "Line 1 of the address map is not"),
        ("\n".join(f"{OLD}/{n}={NEW}/{n}" for n in range(51)), "at most 50"),
    ],
)
def test_a_bad_address_map_line_is_shown_on_the_page_and_nothing_is_stored(
    app, operator_client, site, csrf_token, url_map: str, message: str
) -> None:
    response = upload(operator_client, csrf_token(operator_client), url_map, dry_run=True)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="upload-error"' in page and message in page
    assert f"{escape(url_map)}</textarea>" in page  # the form as it was sent, to correct
    assert 'name="dry_run" value="1" checked' in page
    assert count(ImportUpload) == count(Thread) == 0
    folder = Path(app.instance_path) / "imports"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_dry_run_writes_nothing_and_shows_the_would_be_counts(
    operator_client, site, csrf_token
) -> None:
    response = upload(operator_client, csrf_token(operator_client), f"{OLD}/={NEW}/", True)

    done = the_upload()
    assert done.state == ImportState.DONE, done.error
    assert done.is_dry_run
    assert done.summary["imported"] == {"threads": 2, "comments": 2 * COMMENTS}
    assert count(Thread) == count(Comment) == count(ImportedItem) == 0
    page = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="import-dry-run"' in page and "nothing is written" in page
    assert "Would be imported" in page and f"<td>{2 * COMMENTS}</td>" in page
    listing = operator_client.get("/moderate/sites/blog/transfer").get_data(as_text=True)
    assert "done (dry run)" in listing
    assert operator_client.get(response.headers["Location"] + "/progress.json").json["dry_run"]


@pytest.mark.redis
def test_an_upload_queued_again_by_the_sweep_keeps_its_address_map(
    app, operator_client, site, csrf_token, redis_url
) -> None:
    app.config.update(REDIS_URL=redis_url, SWEEP_STALE_SECONDS=60)
    assert upload(operator_client, csrf_token(operator_client), f"{OLD}/={NEW}/").status_code == 302
    lost = the_upload()
    Redis.from_url(redis_url).flushall()  # the job is lost, the row still says queued
    db.session.execute(
        sa.update(ImportUpload)
        .where(ImportUpload.id == lost.id)
        .values(created_at=utcnow() - timedelta(minutes=5))
    )
    db.session.commit()

    assert sweep() == 1
    rq_queue = jobs.queue(app)
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)

    done = the_upload()
    assert done.state == ImportState.DONE, done.error
    assert done.summary["imported"]["comments"] == 2 * COMMENTS == count(Comment)
    assert thread_urls() == [f"{NEW}/1/", f"{NEW}/2/"]
