"""An uploaded import whose job is lost (Redis flushed, the worker killed mid-import) is found
by the sweep from its row, queued again with the long time limit imports need, and finishes
without importing anything twice."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from redis import Redis
from rq import SimpleWorker
from rq.job import Job as RQJob

from commentsvc import jobs
from commentsvc.extensions import db
from commentsvc.imports.run import run_import
from commentsvc.job_names import import_upload_job_id
from commentsvc.models import Comment, ImportState, ImportUpload
from commentsvc.models.base import utcnow
from commentsvc.services.uploads import IMPORT_TIMEOUT_SECONDS, upload_path
from workers.sweep import sweep

pytestmark = pytest.mark.redis

ORIGIN = "https://blog.example.org"
COMMENTS = 12
WXR = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
    'xmlns:wp="http://wordpress.org/export/1.2/"><channel>'
    f"<item><title>Old post</title><link>{ORIGIN}/old/</link><wp:post_id>1</wp:post_id>"
    + "".join(
        f"<wp:comment><wp:comment_id>{n}</wp:comment_id><wp:comment_author>R{n}</wp:comment_author>"
        f"<wp:comment_date_gmt>2015-05-0{1 + n % 9} 10:00:00</wp:comment_date_gmt>"
        f"<wp:comment_content>Comment {n}</wp:comment_content>"
        "<wp:comment_approved>1</wp:comment_approved><wp:comment_type></wp:comment_type>"
        f"<wp:comment_parent>{n - 1 if n % 2 == 0 else 0}</wp:comment_parent></wp:comment>"
        for n in range(1, COMMENTS + 1)
    )
    + "</item></channel></rss>\n"
).encode()


@pytest.fixture
def queued_upload(app, operator_client, site, csrf_token, redis_url) -> int:
    """The id of an uploaded WordPress file's row, committed, its job in Redis (not run yet)."""
    app.config.update(REDIS_URL=redis_url, SWEEP_STALE_SECONDS=60)
    data = {
        "csrf_token": csrf_token(operator_client),
        "kind": "wordpress",
        "file": (io.BytesIO(WXR), "old-blog.xml"),
    }
    response = operator_client.post(
        "/moderate/sites/blog/imports", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    return db.session.scalars(sa.select(ImportUpload.id)).one()


def age(upload_id: int, **values) -> None:
    db.session.execute(sa.update(ImportUpload).where(ImportUpload.id == upload_id).values(**values))
    db.session.commit()


def run_worker(app) -> None:
    rq_queue = jobs.queue(app)
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)


def finished(upload_id: int) -> ImportUpload:
    db.session.expire_all()
    return db.session.get(ImportUpload, upload_id)


def comments() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Comment))


def test_the_import_job_gets_the_long_time_limit_not_the_usual_one(app, queued_upload) -> None:
    job = RQJob.fetch(import_upload_job_id(queued_upload), connection=jobs.queue(app).connection)

    assert job.timeout == IMPORT_TIMEOUT_SECONDS > jobs.JOB_TIMEOUT_SECONDS


def test_an_import_lost_with_a_flushed_redis_is_queued_again_and_finishes(
    app, queued_upload, redis_url
) -> None:
    Redis.from_url(redis_url).flushall()
    assert sweep() == 0  # queued a moment ago: not stale yet
    age(queued_upload, created_at=utcnow() - timedelta(minutes=5))

    assert sweep() == 1
    run_worker(app)

    done = finished(queued_upload)
    assert done.state == ImportState.DONE, done.error
    assert done.summary["imported"]["comments"] == COMMENTS == comments()


def test_an_import_whose_worker_died_mid_way_is_resumed_without_doubling(
    app, site, queued_upload, redis_url
) -> None:
    Redis.from_url(redis_url).flushall()
    # The killed worker had committed the comments but not the row's end; its heartbeat stopped.
    with upload_path(finished(queued_upload)).open("rb") as stream:
        run_import("wordpress", stream, site)
    stalled = utcnow() - timedelta(minutes=30)
    age(queued_upload, state=ImportState.RUNNING, started_at=stalled, heartbeat_at=stalled)
    assert comments() == COMMENTS

    assert sweep() == 1
    run_worker(app)

    done = finished(queued_upload)
    assert done.state == ImportState.DONE, done.error
    assert done.summary["already_there"]["comments"] == COMMENTS
    assert comments() == COMMENTS


def test_a_long_running_import_with_a_heartbeat_minutes_ago_is_left_alone(
    app, queued_upload
) -> None:
    """Minutes without a batch (a long stretch of skipped items) is not a dead worker."""
    age(queued_upload, state=ImportState.RUNNING, started_at=utcnow() - timedelta(hours=2),
        heartbeat_at=utcnow() - timedelta(minutes=5))  # fmt: skip

    assert sweep() == 0
    assert finished(queued_upload).state == ImportState.RUNNING
