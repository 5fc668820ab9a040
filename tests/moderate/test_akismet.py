"""Akismet, against a local stand-in answering like its REST API (``/1.1/comment-check``)."""

from __future__ import annotations

import threading
import time

import pytest
from flask import current_app, g
from werkzeug import Request, Response

from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus
from commentsvc.services import akismet
from tests.conftest import free_port

PAGE = "https://blog.example.org/post"
KEY = "abc123def456"
STALL_SECONDS = 10  # the stand-in's slow answer, cut short when the test ends
RELEASE = threading.Event()


def akismet_stand_in(request: Request) -> Response:
    """Answers as rest.akismet.com does: "true"/"false", "invalid" for a bad key."""
    form = request.form
    if form.get("api_key") != KEY:
        return Response(
            "invalid", headers={"X-akismet-debug-help": "We were unable to verify your API key."}
        )
    content = form.get("comment_content", "")
    if "viagra" in content:
        return Response("true", headers={"X-akismet-pro-tip": "discard"})
    if "slow" in content:
        RELEASE.wait(STALL_SECONDS)
    if "spammy" in content or form.get("comment_author") == "viagra-test-123":
        return Response("true")
    return Response("false")


@pytest.fixture
def app_config(app_config: dict, httpserver) -> dict:
    httpserver.expect_request("/1.1/comment-check", method="POST").respond_with_handler(
        akismet_stand_in
    )
    return {
        **app_config,
        "AKISMET_API_KEY": KEY,
        "AKISMET_URL": httpserver.url_for("/"),
        "AKISMET_TIMEOUT_SECONDS": 0.5,
    }


def _post(body: str, **fields):
    payload = {"url": PAGE, "body": body, "name": "Ann", "email": "ann@example.net",
               "elapsed_ms": 8000, **fields}  # fmt: skip
    g.pop("account", None)
    return current_app.test_client().post(
        "/api/sites/blog/comments", json=payload, headers={"User-Agent": "Mozilla/5.0 test"}
    )


def _comment(response) -> Comment:
    db.session.expire_all()
    return db.session.get(Comment, response.json["id"])


def test_ham_is_published_and_akismet_gets_the_comment_facts(site, httpserver) -> None:
    response = _post("A fair point about caching.", website="https://ann.example")
    assert response.status_code == 201
    [(request, _)] = httpserver.log
    assert request.headers["User-Agent"].startswith("commentsvc/")
    form = request.form
    assert form["blog"] == "https://blog.example.org"
    assert form["permalink"] == PAGE
    assert form["comment_type"] == "comment"
    assert form["comment_author"] == "Ann"
    assert form["comment_author_email"] == "ann@example.net"
    assert form["comment_author_url"] == "https://ann.example"
    assert form["comment_content"] == "A fair point about caching."
    assert form["user_ip"] == "127.0.0.1"
    assert form["user_agent"] == "Mozilla/5.0 test"


def test_spam_goes_to_the_spam_folder_with_the_reason(site) -> None:
    response = _post("spammy stuff")
    assert response.status_code == 202
    comment = _comment(response)
    assert (comment.status, comment.held_reason) == (CommentStatus.SPAM, "akismet: spam")


def test_blatant_spam_is_marked_as_such(site) -> None:
    comment = _comment(_post("buy viagra"))
    assert (comment.status, comment.held_reason) == (CommentStatus.SPAM, "akismet: blatant spam")


def test_local_defences_decide_before_akismet_is_asked(site, httpserver) -> None:
    response = _post("spammy", hp="filled by a bot")
    assert _comment(response).held_reason == "honeypot field filled"
    assert httpserver.log == []


def test_a_slow_akismet_does_not_stop_comments(site, app) -> None:
    """Akismet stalls for 10 s; the post answers after the 0.2 s timeout, not after the stall
    (the wide gap keeps a loaded machine from deciding the outcome)."""
    app.config["AKISMET_TIMEOUT_SECONDS"] = 0.2
    RELEASE.clear()
    try:
        started = time.monotonic()
        response = _post("slow to judge")
        assert response.status_code == 201
        assert time.monotonic() - started < STALL_SECONDS / 2
    finally:
        RELEASE.set()  # the one-thread stand-in is free for the next test


def test_a_bad_key_or_unreachable_service_fails_open(site, app) -> None:
    app.config["AKISMET_API_KEY"] = "wrong"
    assert _post("spammy but unchecked").status_code == 201
    app.config["AKISMET_URL"] = f"http://127.0.0.1:{free_port()}"
    assert _post("spammy and unreachable").status_code == 201


def test_client_reports_verdicts_and_errors(app, httpserver) -> None:
    assert akismet.comment_check({"comment_content": "hello"}) == akismet.Verdict(False)
    assert akismet.comment_check({"comment_content": "viagra"}) == akismet.Verdict(True, True)
    app.config["AKISMET_API_KEY"] = "wrong"
    with pytest.raises(akismet.AkismetError, match="unable to verify your API key"):
        akismet.comment_check({"comment_content": "hello"})


def test_without_a_key_akismet_is_never_called(site, app, httpserver) -> None:
    app.config["AKISMET_API_KEY"] = None
    assert _post("spammy").status_code == 201
    assert httpserver.log == []
