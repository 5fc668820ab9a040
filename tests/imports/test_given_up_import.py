"""An uploaded import whose worker dies at every start (a file that exhausts its memory or
crashes a parser) is given up after a few starts and its file deleted: the sweep used to
queue it again every ten minutes, forever, and the file stayed on disk."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from rq import SimpleWorker

from commentsvc import jobs
from commentsvc.extensions import db
from commentsvc.models import Comment, ImportState, ImportUpload
from commentsvc.models.base import utcnow
from commentsvc.services.uploads import MAX_ATTEMPTS, upload_path
from workers.sweep import sweep

pytestmark = pytest.mark.redis

WXR = (
    b'<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"><channel><item>'
    b"<link>https://blog.example.org/p/</link><wp:post_id>1</wp:post_id><wp:comment>"
    b"<wp:comment_id>1</wp:comment_id><wp:comment_date_gmt>2020-01-01 00:00:00"
    b"</wp:comment_date_gmt><wp:comment_content>Hi</wp:comment_content>"
    b"<wp:comment_approved>1</wp:comment_approved></wp:comment></item></channel></rss>"
)


@pytest.fixture
def died_upload(app, site, redis_url):
    """``died_upload(attempts)``: the id of an upload left running by a worker that died
    (no heartbeat for half an hour) after ``attempts`` starts of its job."""
    app.config.update(REDIS_URL=redis_url, SWEEP_STALE_SECONDS=60)

    def make(attempts: int) -> int:
        stalled = utcnow() - timedelta(minutes=30)
        upload = ImportUpload(
            site_id=site.id,
            kind="wordpress",
            filename="blog.xml",
            stored_name=f"{attempts:032x}.wordpress",
            bytes_total=len(WXR),
            state=ImportState.RUNNING,
            attempts=attempts,
            started_at=stalled,
            heartbeat_at=stalled,
        )
        upload_path(upload).write_bytes(WXR)
        db.session.add(upload)
        db.session.commit()
        return upload.id

    return make


def run_worker(app) -> None:
    rq_queue = jobs.queue(app)
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)


def reread(upload_id: int) -> ImportUpload:
    db.session.expire_all()
    return db.session.get(ImportUpload, upload_id)


def test_an_import_whose_worker_died_at_every_start_is_given_up_and_its_file_deleted(
    app, died_upload
) -> None:
    upload_id = died_upload(MAX_ATTEMPTS)
    path = upload_path(reread(upload_id))

    assert sweep() == 1
    run_worker(app)

    given_up = reread(upload_id)
    assert given_up.state == ImportState.FAILED
    assert f"stopped its worker {MAX_ATTEMPTS} times" in given_up.error
    assert given_up.finished_at is not None
    assert not path.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 0
    assert sweep() == 0  # never queued again


def test_a_lost_import_under_the_limit_is_resumed_and_its_start_counted(app, died_upload) -> None:
    upload_id = died_upload(MAX_ATTEMPTS - 1)

    assert sweep() == 1
    run_worker(app)

    done = reread(upload_id)
    assert done.state == ImportState.DONE, done.error
    assert done.attempts == MAX_ATTEMPTS
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1
