"""The "Import and export" page of a site under /moderate: operators of that site only, CSRF on
the upload, a size limit, a clear error for a wrong file, the import run by a job whose progress
and summary the page shows, and the exports as streamed downloads."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from commentsvc import jobs
from commentsvc.exports.json import export_json
from commentsvc.extensions import db
from commentsvc.imports.run import Progress
from commentsvc.models import ImportState, ImportUpload
from commentsvc.services.sites import create_site
from workers.imports import ProgressRecorder

UPLOAD = "/moderate/sites/blog/imports"


def upload(client, token: str, content: bytes, kind: str = "json", name: str = "export.json"):
    data = {"csrf_token": token, "kind": kind, "file": (io.BytesIO(content), name)}
    return client.post(UPLOAD, data=data, content_type="multipart/form-data")


def uploads() -> list[ImportUpload]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(ImportUpload).order_by(ImportUpload.id)))


def stored_files(app) -> list[str]:
    from pathlib import Path

    folder = Path(app.instance_path) / "imports"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_sites_page_links_each_site_to_its_import_and_export_page(operator_client) -> None:
    page = operator_client.get("/moderate/sites").get_data(as_text=True)

    assert 'href="/moderate/sites/blog/transfer"' in page
    transfer = operator_client.get("/moderate/sites/blog/transfer").get_data(as_text=True)
    assert 'href="/moderate/sites/blog/export.json"' in transfer
    assert 'href="/moderate/sites/blog/export.wxr"' in transfer
    assert 'enctype="multipart/form-data"' in transfer


def test_exports_download_streamed_as_named_attachments(operator_client, full_site) -> None:
    expected = "".join(export_json(full_site)).encode()

    response = operator_client.get("/moderate/sites/blog/export.json")

    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="blog-comments.json"'
    assert response.mimetype == "application/json"
    assert response.get_data() == expected
    wxr = operator_client.get("/moderate/sites/blog/export.wxr")
    assert wxr.headers["Content-Disposition"] == 'attachment; filename="blog-comments.wxr.xml"'
    assert wxr.get_data(as_text=True).startswith('<?xml version="1.0" encoding="UTF-8" ?>')
    assert operator_client.get("/moderate/sites/blog/export.csv").status_code == 404


def test_another_sites_operator_reaches_nothing_of_the_site(
    app, sign_in, operator, other_operator, full_site, csrf_token
) -> None:
    client = sign_in(operator)
    upload(client, csrf_token(client), b'{"format": "commentsvc-export"}')
    (mine,) = uploads()
    client = sign_in(other_operator)
    token = csrf_token(client, "shop")  # a valid token, so that only the site is in question

    for path in ["/moderate/sites/blog/transfer", "/moderate/sites/blog/export.json",
                 "/moderate/sites/blog/export.wxr", f"/moderate/sites/blog/imports/{mine.id}",
                 f"/moderate/sites/blog/imports/{mine.id}/progress.json",
                 f"/moderate/sites/shop/imports/{mine.id}"]:  # fmt: skip
        assert client.get(path).status_code == 404, path
    assert upload(client, token, b"{}").status_code == 404
    assert len(uploads()) == 1


def test_strangers_are_sent_to_sign_in_and_commenters_refused(client, sign_in, full_site) -> None:
    response = client.get("/moderate/sites/blog/export.json")
    assert response.status_code == 302 and "/auth/login/site" in response.headers["Location"]

    from commentsvc.services.accounts import create_account

    reader = create_account("reader@example.net", "Rita", None)
    db.session.commit()
    assert sign_in(reader).get("/moderate/sites/blog/transfer").status_code == 403


def test_an_upload_without_the_csrf_token_is_refused(operator_client) -> None:
    response = upload(operator_client, "forged", b'{"format": "commentsvc-export"}')

    assert response.status_code == 400
    assert uploads() == []


def test_a_file_of_the_wrong_kind_gets_a_clear_error_on_the_page(
    app, operator_client, csrf_token
) -> None:
    token = csrf_token(operator_client)

    response = upload(operator_client, token, b'{"format": "x"}', kind="wordpress")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This file is not a WordPress export (WXR, XML)" in page
    assert 'id="upload"' in page  # the form again, to choose another file
    empty = upload(operator_client, token, b"", name="empty.json")
    assert "The file is empty" in empty.get_data(as_text=True)
    unknown = upload(operator_client, token, b"{}", kind="blogger")
    assert "Choose what the file is" in unknown.get_data(as_text=True)
    assert uploads() == [] and stored_files(app) == []


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "IMPORT_MAX_UPLOAD_BYTES": 200 * 1024}


def test_an_upload_over_the_limit_gets_the_page_with_the_limit(operator_client, csrf_token) -> None:
    token = csrf_token(operator_client)

    response = upload(operator_client, token, b"{" + b" " * 300 * 1024 + b"}")

    assert response.status_code == 413
    assert "The file is larger than the 200 KB an upload may be." in response.get_data(as_text=True)
    assert uploads() == []


def test_the_larger_limit_is_for_the_sites_operators_only(
    sign_in, operator, other_operator, csrf_token
) -> None:
    """Anyone else's large body is cut at the usual request limit, before it is read."""
    client = sign_in(other_operator)
    token = csrf_token(client, "shop")

    response = upload(client, token, b"{" + b" " * 100 * 1024 + b"}")

    assert response.status_code == 413
    assert "The file is larger than" not in response.get_data(as_text=True)


def test_progress_recorder_writes_into_the_imports_own_transaction(app, operator, site) -> None:
    row = ImportUpload(site_id=site.id, kind="json", filename="x.json", stored_name="x.json")
    db.session.add(row)
    db.session.commit()
    record = ProgressRecorder(row.id)

    record(Progress(done=40, total=100, records=3))
    record(Progress(done=60, total=100, records=5))  # within half a second: not written
    db.session.commit()

    (stored,) = uploads()
    assert (stored.bytes_done, stored.bytes_total, stored.records_read) == (40, 100, 3)
    record(Progress(done=100, total=100, records=9))  # the end is always written
    db.session.commit()
    assert uploads()[0].records_read == 9


def test_import_job_runs_the_upload_and_the_page_shows_its_summary(
    app, operator_client, full_site, csrf_token
) -> None:
    exported = "".join(export_json(full_site)).encode()
    create_site("mirror", ["https://blog.example.org"])
    db.session.commit()
    token = csrf_token(operator_client)

    response = upload(operator_client, token, exported)

    assert response.status_code == 302  # JOBS_IN_PROCESS_WORKERS = 0: the job ran inline
    (done,) = uploads()
    assert done.state == ImportState.DONE, done.error
    assert done.bytes_done == done.bytes_total == len(exported)
    assert (
        done.summary["imported"].get("comments", 0)
        + done.summary["already_there"].get("comments", 0)
        == 8
    )
    page = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="import-summary"' in page and "done" in page
    assert stored_files(app) == []  # the file is removed once imported


def test_a_file_the_reader_refuses_fails_the_import_with_its_reason(
    operator_client, csrf_token
) -> None:
    token = csrf_token(operator_client)

    response = upload(operator_client, token, b'{"format": "commentsvc-export", "version": 1, "thr')

    (failed,) = uploads()
    assert failed.state == ImportState.FAILED
    assert "not complete, valid JSON" in failed.error
    page = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="import-error"' in page and "not complete, valid JSON" in page


@pytest.mark.redis
def test_progress_polls_queued_then_done_when_a_worker_runs_the_job(
    app, operator_client, full_site, csrf_token, redis_url
) -> None:
    from rq import SimpleWorker

    app.config["REDIS_URL"] = redis_url
    exported = "".join(export_json(full_site)).encode()
    response = upload(operator_client, csrf_token(operator_client), exported)
    poll = response.headers["Location"] + "/progress.json"

    queued = operator_client.get(poll).json
    assert queued["state"] == "queued" and queued["bytes_done"] == 0
    assert queued["bytes_total"] == len(exported) and queued["summary"] is None
    page = operator_client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-progress-url="' in page and "<progress" in page and "transfer.js" in page

    rq_queue = jobs.queue(app)
    SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)

    finished = operator_client.get(poll).json
    assert finished["state"] == "done", finished["error"]
    assert finished["bytes_done"] == len(exported) and finished["records"] > 0
    summary = finished["summary"]
    assert summary["imported"].get("comments", 0) + summary["already_there"].get("comments", 0) == 8


def test_an_upload_while_an_import_of_the_site_is_under_way_is_refused(
    app, operator_client, csrf_token
) -> None:
    token = csrf_token(operator_client)
    upload(operator_client, token, b'{"format": "commentsvc-export"}')
    (first,) = uploads()
    first.state = ImportState.RUNNING  # as while a worker runs it
    db.session.commit()
    files = stored_files(app)

    response = upload(operator_client, token, b'{"format": "commentsvc-export"}')

    assert response.status_code == 409
    assert "An import of this site is under way" in response.get_data(as_text=True)
    assert uploads() == [first] and stored_files(app) == files
    first.state = ImportState.FAILED
    db.session.commit()
    assert upload(operator_client, token, b'{"format": "commentsvc-export"}').status_code == 302
