"""Reading a thread: nesting, order, counts, pages, ETags, gzip."""

from __future__ import annotations

import gzip
import json

import pytest

from commentsvc.extensions import db
from tests.api.conftest import PAGE, read_thread


def test_unknown_page_reads_as_empty_thread(client, site) -> None:
    response = read_thread(client)
    assert response.status_code == 200
    assert response.json["thread"] == {
        "id": None,
        "url": PAGE,
        "title": None,
        "count": 0,
        "revision": 0,
    }
    assert response.json["comments"] == [] and response.json["mentions"] == []


def test_thread_nests_replies_oldest_first(client, post) -> None:
    first = post("first").json
    second = post("second").json
    reply = post("reply", parent=first["id"]).json
    post("reply to reply", parent=reply["id"])
    document = read_thread(client).json
    assert [c["id"] for c in document["comments"]] == [first["id"], second["id"]]
    nested = document["comments"][0]["replies"]
    assert [c["id"] for c in nested] == [reply["id"]]
    assert nested[0]["replies"][0]["html"] == "<p>reply to reply</p>"
    assert document["thread"]["count"] == 4


def test_thread_comment_has_the_documented_shape(client, post) -> None:
    post("shape", website="ann.example")
    comment = read_thread(client).json["comments"][0]
    assert set(comment) >= {
        "id",
        "parent",
        "author",
        "html",
        "created",
        "edited",
        "status",
        "replies",
    }
    assert set(comment["author"]) == {"name", "avatar", "url", "provider"}
    assert comment["author"]["url"] == "https://ann.example"
    assert comment["author"]["avatar"].endswith(".svg")
    assert comment["created"].endswith("Z")


def test_tracking_parameters_and_fragments_share_one_thread(client, post) -> None:
    post("x", url=f"{PAGE}?utm_source=feed#comments")
    assert (
        read_thread(client, url=f"HTTPS://BLOG.example.org:443{PAGE[24:]}").json["thread"]["count"]
        == 1
    )


def test_etag_answers_304_until_the_thread_changes(client, post) -> None:
    post("one")
    first = read_thread(client)
    etag = first.headers["ETag"]
    again = client.get(
        "/api/sites/blog/thread", query_string={"url": PAGE}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    post("two")
    changed = client.get(
        "/api/sites/blog/thread", query_string={"url": PAGE}, headers={"If-None-Match": etag}
    )
    assert changed.status_code == 200 and changed.json["thread"]["count"] == 2


def test_long_threads_come_in_pages_with_a_cursor(client, post) -> None:
    ids = [post(f"c{i}").json["id"] for i in range(7)]
    post("reply", parent=ids[1])
    first = read_thread(client, limit=3).json
    assert [c["id"] for c in first["comments"]] == ids[:3]
    assert first["comments"][1]["replies"][0]["html"] == "<p>reply</p>"
    second = read_thread(client, limit=3, after=first["next"]).json
    third = read_thread(client, limit=3, after=second["next"]).json
    assert [c["id"] for c in second["comments"] + third["comments"]] == ids[3:]
    assert third["next"] is None and first["total_top_level"] == 7


def test_thread_is_gzipped_when_the_client_accepts_it(client, post) -> None:
    for i in range(20):
        post(f"comment number {i} with some text to make the body longer than a kilobyte")
    response = client.get(
        "/api/sites/blog/thread", query_string={"url": PAGE}, headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers["Content-Encoding"] == "gzip"
    assert len(json.loads(gzip.decompress(response.data))["comments"]) == 20


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_an_imported_chain_of_replies_of_any_depth_reads(client, site, sort) -> None:
    """Imports keep their blog's nesting, however deep: the thread still renders, replies past
    the deepest level it nests sitting beside their parent."""
    from commentsvc.models import Comment, CommentStatus
    from commentsvc.services.thread_view import MAX_NESTING
    from commentsvc.services.threads import get_or_create_thread

    thread = get_or_create_thread(site, PAGE)
    db.session.flush()
    parent = None
    for depth in range(1_500):
        comment = Comment(thread_id=thread.id, parent_id=parent, depth=depth,
                          status=CommentStatus.VISIBLE, body_markdown="x", body_html="<p>x</p>",
                          ip_hash="")  # fmt: skip
        db.session.add(comment)
        db.session.flush()
        parent = comment.id
    db.session.commit()
    response = client.get("/api/sites/blog/thread", query_string={"url": PAGE, "sort": sort})
    assert response.status_code == 200
    [node], levels, count = response.json["comments"], 0, 0
    while node["replies"]:
        levels += 1
        count += len(node["replies"])
        node = node["replies"][0]
    assert (levels, count) == (MAX_NESTING, 1_499)  # nested no deeper, and none left out


@pytest.mark.parametrize("header", ["gzip;q=0", "gzip;q=0, identity", "nogzip", "identity"])
def test_clients_that_refuse_gzip_get_it_plain(client, post, header) -> None:
    post("one")
    response = client.get(
        "/api/sites/blog/thread", query_string={"url": PAGE}, headers={"Accept-Encoding": header}
    )
    assert "Content-Encoding" not in response.headers and response.json["comments"]
    assert not response.headers["ETag"].endswith('-gz"')


def test_gzipped_and_plain_pages_have_different_strong_etags(client, post) -> None:
    post("one")
    plain = read_thread(client).headers["ETag"]
    gzipped = client.get(
        "/api/sites/blog/thread", query_string={"url": PAGE}, headers={"Accept-Encoding": "gzip"}
    ).headers["ETag"]
    assert plain != gzipped and not gzipped.startswith("W/")
    revalidated = client.get(
        "/api/sites/blog/thread",
        query_string={"url": PAGE},
        headers={"Accept-Encoding": "gzip", "If-None-Match": gzipped},
    )
    assert revalidated.status_code == 304 and revalidated.headers["ETag"] == gzipped


def test_deleted_comment_with_replies_stays_as_placeholder(client, post) -> None:
    parent = post("parent").json
    post("child", parent=parent["id"])
    lonely = post("lonely").json
    for comment in (parent, lonely):
        response = client.delete(
            f"/api/comments/{comment['id']}", headers={"X-Edit-Token": comment["edit_token"]}
        )
        assert response.status_code == 204
    comments = read_thread(client).json["comments"]
    assert [c["id"] for c in comments] == [parent["id"]]
    assert comments[0]["status"] == "deleted" and comments[0]["html"] == ""
    assert comments[0]["author"]["name"] is None
    assert comments[0]["replies"][0]["html"] == "<p>child</p>"


def test_thread_refuses_page_of_another_origin(client, site) -> None:
    response = read_thread(client, url="https://evil.example/posts/hello")
    assert response.status_code == 400
    assert response.content_type == "application/problem+json"
    assert "not on an origin" in response.json["detail"]


def test_thread_bad_queries_get_problem_details(client, site) -> None:
    cases = [
        client.get("/api/sites/blog/thread"),
        read_thread(client, url="javascript:alert(1)"),
        read_thread(client, url="x" * 5000),
        read_thread(client, limit="0"),
        read_thread(client, limit="abc"),
        read_thread(client, after="-1"),
        client.get("/api/sites/nope/thread", query_string={"url": PAGE}),
    ]
    assert [r.status_code for r in cases] == [400, 400, 400, 400, 400, 400, 404]
    assert all(r.content_type == "application/problem+json" for r in cases)


def test_counts_for_many_pages_in_one_call(client, post) -> None:
    post("a")
    post("b")
    other = "https://blog.example.org/other"
    response = client.get("/api/sites/blog/counts", query_string=[("url", PAGE), ("url", other)])
    assert response.json == {PAGE: 2, other: 0}


def test_counts_refuse_foreign_and_missing_urls(client, site) -> None:
    assert client.get("/api/sites/blog/counts").status_code == 400
    foreign = client.get("/api/sites/blog/counts", query_string={"url": "https://x.example/"})
    assert foreign.status_code == 400
    too_many = [("url", f"{PAGE}/{i}") for i in range(101)]
    assert client.get("/api/sites/blog/counts", query_string=too_many).status_code == 400


def test_hidden_comments_are_not_counted_or_shown(client, post, app) -> None:
    from commentsvc.extensions import db
    from commentsvc.models import ModerationMode
    from commentsvc.services.sites import get_site, update_site

    update_site(get_site("blog"), moderation=ModerationMode.ALL)
    db.session.commit()
    response = post("held")
    assert response.status_code == 202 and response.json["status"] == "pending"
    document = read_thread(client).json
    assert document["comments"] == [] and document["thread"]["count"] == 0
