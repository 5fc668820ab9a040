"""The thread title comes from the page itself: a job fetches it from the site's own origin
with the safe fetcher; a commenter's POST never names the thread."""

from __future__ import annotations

import pytest
from werkzeug import Response

from commentsvc.extensions import db
from commentsvc.models import Thread
from commentsvc.services.sites import create_site
from commentsvc.services.threads import get_or_create_thread, set_title
from workers.fetch import TransientFetchError
from workers.titles import fetch_thread_title

PAGE_HTML = (
    "<!doctype html><html><head><title>Site name | fallback</title>"
    '<meta property="og:title" content="The real\r\ntitle\x07"></head><body>Hi</body></html>'
)


@pytest.fixture
def blog(app, httpserver):
    """A site whose origin is the loopback page server."""
    origin = httpserver.url_for("/").rstrip("/")
    created = create_site("pages", [origin])
    db.session.commit()
    return created


def test_posting_runs_the_title_job_which_reads_the_page(client, blog, httpserver) -> None:
    httpserver.expect_request("/post").respond_with_data(PAGE_HTML, content_type="text/html")
    url = httpserver.url_for("/post")

    answer = client.post(
        "/api/sites/pages/comments",
        json={"url": url, "body": "hi", "name": "Ann", "title": "Forged by the commenter"},
    )

    assert answer.status_code == 201
    thread = client.get("/api/sites/pages/thread", query_string={"url": url}).json["thread"]
    assert thread["title"] == "The real title"


def test_without_og_title_the_title_element_is_used(app, blog, httpserver) -> None:
    httpserver.expect_request("/plain").respond_with_data(
        "<title>\n  Plain   page\n</title>", content_type="text/html"
    )
    thread = get_or_create_thread(blog, httpserver.url_for("/plain"))
    db.session.commit()
    thread_id = thread.id

    fetch_thread_title(thread_id)

    assert db.session.get(Thread, thread_id, populate_existing=True).title == "Plain page"


def test_an_operators_title_is_left_alone(app, blog, httpserver) -> None:
    thread = get_or_create_thread(blog, httpserver.url_for("/post"))
    db.session.flush()
    set_title(thread, "Named by an operator")
    db.session.commit()
    thread_id = thread.id

    fetch_thread_title(thread_id)

    assert db.session.get(Thread, thread_id).title == "Named by an operator"
    assert httpserver.log == []


def test_a_page_redirecting_off_the_site_gives_no_title(app, blog, httpserver) -> None:
    elsewhere = httpserver.url_for("/elsewhere").replace("localhost", "127.0.0.1")
    httpserver.expect_request("/post").respond_with_response(
        Response(status=302, headers={"Location": elsewhere})
    )
    httpserver.expect_request("/elsewhere").respond_with_data(PAGE_HTML, content_type="text/html")
    thread = get_or_create_thread(blog, httpserver.url_for("/post"))
    db.session.commit()
    thread_id = thread.id

    fetch_thread_title(thread_id)

    stored = db.session.get(Thread, thread_id, populate_existing=True)
    assert stored.title is None and stored.title_checked_at is not None


def test_a_transient_failure_raises_for_a_retry_and_leaves_the_job_to_do(
    app, blog, httpserver
) -> None:
    httpserver.expect_request("/post").respond_with_data("busy", status=503)
    thread = get_or_create_thread(blog, httpserver.url_for("/post"))
    db.session.commit()
    thread_id = thread.id

    with pytest.raises(TransientFetchError):
        fetch_thread_title(thread_id)

    assert db.session.get(Thread, thread_id, populate_existing=True).title_checked_at is None


def test_a_thread_made_by_a_verified_mention_gets_the_pages_title(client, blog, httpserver) -> None:
    httpserver.expect_request("/post").respond_with_data(PAGE_HTML, content_type="text/html")
    page = httpserver.url_for("/post")
    httpserver.expect_request("/elsewhere").respond_with_data(
        f'<p>See <a href="{page}">this post</a>.</p>', content_type="text/html"
    )

    answer = client.post(
        "/webmention/pages", data={"source": httpserver.url_for("/elsewhere"), "target": page}
    )

    assert answer.status_code in {201, 202}
    thread = client.get("/api/sites/pages/thread", query_string={"url": page}).json
    assert len(thread["mentions"]) == 1
    assert thread["thread"]["title"] == "The real title"
