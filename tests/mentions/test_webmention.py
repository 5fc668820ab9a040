"""Webmention receiving (W3C), verified by the same job the workers run (in-process here)."""

from __future__ import annotations

import json
import logging
import time

import pytest
import sqlalchemy as sa
from werkzeug.wrappers import Response

from commentsvc.extensions import db
from commentsvc.models import CommentStatus, Mention, ModerationMode, Thread
from commentsvc.services.accounts import create_account
from commentsvc.services.moderation import Decision, decide
from commentsvc.services.sites import create_site
from tests.mentions.helpers import TARGET, thread_mentions
from tests.workers.pages import link_page


def send(client, source, target=TARGET):
    return client.post("/webmention/blog", data={"source": source, "target": target})


def status_of(client, response):
    location = response.headers["Location"]
    assert location.startswith("http://comments.test/webmention/blog/status/")
    return client.get(location.removeprefix("http://comments.test")).get_json()


def test_valid_webmention_is_accepted_verified_and_shown(client, site, pages):
    source = pages.html("/reply", link_page(TARGET, title="My reply"))
    response = send(client, source)
    assert response.status_code == 201
    status = status_of(client, response)
    assert status["status"] == "verified"
    assert status["moderation"] == "visible"
    [shown] = thread_mentions(client)
    assert shown["kind"] == "webmention"
    assert shown["source"] == source
    assert shown["title"] == "My reply"
    assert "this fine post" in shown["excerpt"]


@pytest.mark.parametrize(
    ("source", "target", "field"),
    [
        ("not a url", TARGET, "source"),
        ("javascript:alert(1)", TARGET, "source"),
        ("http://other.example/p", "garbage", "target"),
        ("http://other.example/p", "https://elsewhere.example/page", "target"),
        ("", "", "source"),
        (TARGET + "#frag", TARGET, "source"),
    ],
)
def test_bad_source_or_target_is_400_with_a_reason(client, site, source, target, field):
    response = send(client, source, target)
    assert response.status_code == 400
    problem = response.get_json()
    assert problem["field"] == field and problem["detail"]
    assert db.session.scalar(sa.select(sa.func.count(Mention.id))) == 0


def test_unknown_site_is_404(client, site):
    response = client.post(
        "/webmention/nope", data={"source": "http://a.example/", "target": TARGET}
    )
    assert response.status_code == 404


def test_page_without_the_link_is_rejected_with_the_reason(client, site, pages):
    source = pages.html("/nolink", "<title>Unrelated</title><p>nothing</p>")
    status = status_of(client, send(client, source))
    assert status["status"] == "rejected"
    assert status["reason_code"] == "no-link"
    assert status["reason"] == "the source does not link to the target"
    assert thread_mentions(client) == []


@pytest.mark.parametrize(
    "html",
    [
        f'<!-- <a href="{TARGET}">x</a> --><p>no link</p>',
        f"<script>document.write('<a href=\"{TARGET}\">x</a>')</script>",
    ],
    ids=["comment", "script"],
)
def test_link_only_in_a_comment_or_script_is_rejected(client, site, pages, html):
    status = status_of(client, send(client, pages.html("/hidden", html)))
    assert status["reason_code"] == "no-link"


def test_relative_and_image_links_count(client, site, pages):
    relative = pages.html(
        "/rel", '<base href="https://blog.example.org/2026/"><a href="hello">x</a>'
    )
    image = pages.html("/img", f'<p><img src="{TARGET}" alt="screenshot of the post"></p>')
    assert status_of(client, send(client, relative))["status"] == "verified"
    assert status_of(client, send(client, image))["status"] == "verified"
    assert len(thread_mentions(client)) == 2


def test_resending_updates_the_same_mention(client, site, pages):
    source = pages.html("/post", link_page(TARGET, title="First title"))
    first = send(client, source)
    pages.html("/post", link_page(TARGET, title="Edited title"))
    second = send(client, source)
    assert first.headers["Location"] == second.headers["Location"]
    [shown] = thread_mentions(client)
    assert shown["title"] == "Edited title"
    assert db.session.scalar(sa.select(sa.func.count(Mention.id))) == 1


@pytest.mark.parametrize(
    "gone",
    [
        ("410", 410, "<p>deleted</p>"),
        ("meta", 200, '<meta http-equiv="Status" content="410 Gone"><p>deleted</p>'),
        ("unlinked", 200, "<title>Edited</title><p>I changed my mind.</p>"),
    ],
    ids=lambda gone: gone[0],
)
def test_deleted_source_hides_the_mention(client, site, pages, gone):
    _, status, html = gone
    source = pages.html("/post", link_page(TARGET))
    send(client, source)
    assert len(thread_mentions(client)) == 1
    pages.html("/post", html, status=status)
    status_json = status_of(client, send(client, source))
    assert status_json["status"] == "rejected"
    assert status_json["verification"] == "gone"
    assert thread_mentions(client) == []


def test_site_moderating_everything_holds_verified_mentions(client, site, pages):
    site.moderation = ModerationMode.ALL
    db.session.commit()
    status = status_of(client, send(client, pages.html("/p", link_page(TARGET))))
    assert status["status"] == "verified" and status["moderation"] == "pending"
    assert thread_mentions(client) == []
    operator = create_account("op@example.org", "Op", "a long password", operator_of=["blog"])
    mention = db.session.scalars(sa.select(Mention)).one()
    decide(operator, [mention], Decision.APPROVE)
    db.session.commit()
    assert mention.status == CommentStatus.VISIBLE
    assert len(thread_mentions(client)) == 1


def test_huge_page_is_cut_and_a_link_beyond_the_cut_is_not_seen(app, client, site, pages):
    app.config["FETCH_MAX_BYTES"] = 50_000
    filler = "<p>" + "lorem ipsum " * 10_000 + "</p>"
    source = pages.html("/huge", f"<title>Long</title>{filler}<a href='{TARGET}'>late</a>")
    status = status_of(client, send(client, source))
    assert status["reason_code"] == "no-link"
    assert status["reason"] == "the source does not link to the target"
    mention = db.session.scalars(sa.select(Mention)).one()
    assert "first 50000 bytes" in mention.rejection_reason  # the detail, for operators


def test_slow_page_times_out_and_counts_a_failed_attempt(app, client, site, pages, release):
    app.config["FETCH_TIMEOUT_SECONDS"] = 1

    def slow(_request):
        release.wait(30)  # a page that would take 30 s
        return Response(link_page(TARGET), content_type="text/html")

    started = time.monotonic()
    status = status_of(client, send(client, pages.handle("/slow", slow)))
    assert time.monotonic() - started < 10  # the deadline, not the page, ends the fetch
    assert status["status"] == "pending"  # a transient failure: the queue retries it
    assert status["reason"] == "the source could not be fetched yet; it will be tried again"
    assert "too long" in db.session.scalars(sa.select(Mention)).one().rejection_reason


def test_redirect_chain_to_a_private_address_is_refused(client, site, pages):
    pages.add("/r1", status=302, headers={"Location": "/r2"})
    pages.add("/r2", status=302, headers={"Location": "http://192.168.0.1/admin"})
    status = status_of(client, send(client, pages.url("/r1")))
    assert status["status"] == "rejected" and status["reason_code"] == "unreachable"
    assert status["reason"] == "the source could not be fetched"
    assert "192.168.0.1" in db.session.scalars(sa.select(Mention)).one().rejection_reason


def test_status_url_does_not_tell_what_an_internal_name_resolves_to(
    client, site, monkeypatch, caplog
):
    """Anyone may send a webmention and read its status: the fetcher's refusal ("intranet.corp
    is 10.1.2.3, a private address") would resolve internal names for them."""
    monkeypatch.setattr("workers.fetch.resolve", lambda host, port: ["10.1.2.3"])
    caplog.set_level(logging.INFO, logger="workers.mentions")
    response = send(client, "http://intranet.corp/page")
    assert response.status_code == 201
    for body in (response.get_data(as_text=True), json.dumps(status_of(client, response))):
        assert "10.1.2.3" not in body and "private" not in body
    status = status_of(client, response)
    assert status["reason"] == "the source could not be fetched"
    assert status["reason_code"] == "unreachable"
    stored = db.session.scalars(sa.select(Mention)).one().rejection_reason
    assert "10.1.2.3" in stored  # operators still see why
    assert "10.1.2.3" in caplog.text


def test_fetched_markup_is_stored_as_text_only(client, site, pages):
    html = link_page(TARGET, title="&lt;img src=x onerror=alert(1)&gt;")
    send(client, pages.html("/xss", html))
    [shown] = thread_mentions(client)
    assert shown["title"] == "<img src=x onerror=alert(1)>"  # text; the widget sets textContent


def test_status_url_cannot_be_guessed(client, site):
    assert client.get("/webmention/blog/status/1").status_code == 404


@pytest.mark.parametrize("value", [{"id": 1}, True, [1], "1", 0, 2**70])
def test_status_url_holding_anything_but_an_id_is_404(app, client, site, value):
    from commentsvc.mentions.webmention import _tokens

    with app.app_context():
        token = _tokens().dumps(value)
    assert client.get(f"/webmention/blog/status/{token}").status_code == 404


def thread_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Thread.id)))


@pytest.mark.parametrize("path", ["/missing", "/nolink"])
def test_unverified_source_creates_no_thread_row(client, site, pages, path):
    """Only verified mentions (and stored comments) make threads: anyone can send claims
    for any page of a site, and one that never verifies must leave no thread behind."""
    pages.html("/nolink", "<title>Unrelated</title><p>nothing</p>")
    response = send(client, pages.url(path))
    assert response.status_code == 201
    status = status_of(client, response)
    assert status["status"] == "rejected"
    assert thread_count() == 0
    mention = db.session.scalars(sa.select(Mention)).one()
    assert mention.thread_id is None and mention.site_id == site.id and mention.target == TARGET


def test_unreachable_source_still_pending_has_a_status_and_no_thread(app, client, site):
    app.config["FETCH_TIMEOUT_SECONDS"] = 1
    response = send(client, "http://127.0.0.1:9/post")  # nothing listens: a retry is due
    status = status_of(client, response)
    assert status["status"] == "pending" and status["reason"].endswith("tried again")
    assert thread_count() == 0


def test_thread_is_created_when_the_mention_is_verified(client, site, pages):
    send(client, pages.html("/nolink", "<p>not yet</p>"))
    assert thread_count() == 0
    pages.html("/nolink", link_page(TARGET, title="Linked now"))
    assert status_of(client, send(client, pages.url("/nolink")))["status"] == "verified"
    assert thread_count() == 1
    mention = db.session.scalars(sa.select(Mention)).one()
    assert mention.thread.url == TARGET
    assert [m["title"] for m in thread_mentions(client)] == ["Linked now"]


def test_status_url_of_another_site_is_404(client, site, pages):
    create_site("other", ["https://other.example.org"])
    db.session.commit()
    response = send(client, pages.url("/missing"))
    location = response.headers["Location"].removeprefix("http://comments.test")
    assert client.get(location.replace("/blog/", "/other/")).status_code == 404
