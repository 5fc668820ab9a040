"""Text no database or XML can hold is refused at the edge, never a 500 later."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from commentsvc.extensions import db
from commentsvc.models import Comment
from tests.api.conftest import PAGE, read_thread


@pytest.mark.parametrize("field", ["body", "name", "email", "website", "url"])
@pytest.mark.parametrize("bad", ["a\x00b", "a\x01b", "a\x7fb", "a\ufffeb", "a\uffffb"])
def test_control_characters_in_any_field_are_refused(post, field, bad) -> None:
    response = post(**{"body": "ok", field: bad})
    assert response.status_code == 400, response.json
    assert response.content_type == "application/problem+json"


def test_lone_surrogate_is_refused(client, site) -> None:
    raw = '{"url": "' + PAGE + '", "body": "\\ud800", "name": "A"}'
    response = client.post("/api/sites/blog/comments", data=raw, content_type="application/json")
    assert response.status_code == 400


def test_a_name_loses_the_marks_that_would_show_it_reversed(post) -> None:
    response = post("hi", name="\u202eevil\u202c Ann\ufeff")
    assert response.status_code == 201 and response.json["author"]["name"] == "evil Ann"
    assert post("hi", name="\u202e").json["author"]["name"] is None


@pytest.mark.parametrize(
    "name", ["R <r@example.org>\nBcc: x@evil.example", "R\u2028Bcc:\tx", "R\r\n\r\nX"]
)
def test_a_name_is_one_line_so_it_forges_no_line_of_a_mail(post, name) -> None:
    shown = post("hi", name=name).json["author"]["name"]
    assert shown.startswith("R") and not any(ch in shown for ch in "\r\n\t\u2028")
    assert "  " not in shown


def test_tabs_and_newlines_are_kept(post) -> None:
    assert post("line one\n\tline two\r\n").status_code == 201


@pytest.mark.parametrize(
    "query",
    [
        {"url": PAGE + "\x00"},
        {"url": PAGE, "limit": "²"},
        {"url": PAGE, "after": "²"},
        {"url": PAGE, "after": "9" * 5000},
    ],
)
def test_odd_queries_on_the_thread_are_400(client, site, query) -> None:
    assert read_thread(client, **query).status_code == 400


def test_nul_in_the_path_or_a_form_is_400(client, site) -> None:
    assert client.get("/api/sites/blog/thread?url=https://blog.example.org/%00").status_code == 400
    assert client.get("/api/sites/bl%00og/thread", query_string={"url": PAGE}).status_code == 400
    assert (
        client.post("/webmention/blog", data={"source": "a\x00", "target": PAGE}).status_code == 400
    )


@pytest.mark.parametrize("bad", ["\x01", "\x0b", "\ufffe", "\uffff"])
def test_feeds_survive_text_xml_cannot_carry_stored_earlier(client, post, bad) -> None:
    comment_id = post("fine").json["id"]
    comment = db.session.get(Comment, comment_id)
    comment.author_name = f"bad{bad}name"
    comment.body_html = f"<p>bad{bad}body</p>"  # imported, or stored before the checks
    db.session.commit()
    assert client.get("/feeds/blog.atom").status_code == 200
    assert client.get("/feeds/blog/thread.atom", query_string={"url": PAGE}).status_code == 200


@pytest.mark.parametrize("bad", ["\x0b", "\x1f", "\ufffe"])
def test_thread_feed_of_a_page_without_comments_takes_any_spelling(client, site, bad) -> None:
    """The feed names the page by its normal form, not by what the query said."""
    page = "https://blog.example.org/nothing-yet"
    response = client.get("/feeds/blog/thread.atom", query_string={"url": page + bad})
    assert response.status_code in {200, 400}, response.data[:300]


def test_pages_without_a_thread_do_not_share_a_rendering(client, site) -> None:
    first = read_thread(client, url="https://blog.example.org/a")
    second = read_thread(client, url="https://blog.example.org/b")
    assert first.headers["ETag"] != second.headers["ETag"]
    assert json.loads(second.data)["thread"]["url"] == "https://blog.example.org/b"


def test_a_title_given_later_reaches_the_cached_thread(client, post, app) -> None:
    from commentsvc.services.sites import get_site
    from commentsvc.services.threads import get_or_create_thread, set_title

    post("untitled")
    assert read_thread(client).json["thread"]["title"] is None
    set_title(get_or_create_thread(get_site("blog"), PAGE), "A title")
    db.session.commit()
    assert read_thread(client).json["thread"]["title"] == "A title"


def nested(kind: str, depth: int) -> str:
    """A comment whose ``extra`` field nests ``depth`` arrays or objects deep."""
    opening, closing = ("[", "]") if kind == "array" else ('{"a":', "}")
    value = opening * depth + "1" + closing * depth
    return json.dumps({"url": PAGE, "body": "ok", "name": "Ann"})[:-1] + f', "extra": {value}}}'


@pytest.mark.parametrize("depth", [64, 1_000, 10_000])
@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/api/sites/blog/comments"), ("POST", "/api/sites/blog/preview"),
     ("PATCH", "/api/comments/1")],
)  # fmt: skip
def test_deeply_nested_json_is_a_400_problem_on_every_json_endpoint(
    client, site, method, path, kind, depth
) -> None:
    raw = nested(kind, depth)
    assert len(raw) < 64 * 1024  # under the size cap: the depth alone is refused
    response = client.open(path, method=method, data=raw, content_type="application/json")
    assert response.status_code == 400, response.data[:300]
    assert response.content_type == "application/problem+json"
    assert "nest" in response.json["detail"]


def test_json_nested_a_few_levels_is_still_accepted(client, site) -> None:
    raw = nested("array", 8)
    response = client.post("/api/sites/blog/comments", data=raw, content_type="application/json")
    assert response.status_code == 201, response.json


SOURCE = "https://a.example/"


@pytest.mark.parametrize(
    "form",
    [
        [("source", SOURCE), ("source", SOURCE + "\x00"), ("target", PAGE)],
        [("source", SOURCE), ("target", PAGE), ("target", PAGE + "\x00")],
        [("source", SOURCE), ("target", PAGE), ("ex\x00tra", "x")],
    ],
    ids=["second-source", "second-target", "field-name"],
)
def test_nul_in_any_value_of_a_repeated_form_field_is_400(client, site, form) -> None:
    response = client.post("/webmention/blog", data=MultiDict(form))
    assert response.status_code == 400, response.data
    assert response.content_type == "application/problem+json"
    assert "NUL" in response.json["detail"]
