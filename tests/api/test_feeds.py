"""Atom feeds of a site and of one thread."""

from __future__ import annotations

from defusedxml import ElementTree

from tests.api.conftest import PAGE

ATOM = "{http://www.w3.org/2005/Atom}"


def _entries(response) -> list:
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    return ElementTree.fromstring(response.data).findall(f"{ATOM}entry")


def test_site_feed_lists_visible_comments_newest_first(client, post) -> None:
    post("first")
    post("second <script>alert(1)</script>")
    entries = _entries(client.get("/feeds/blog.atom"))
    contents = [entry.find(f"{ATOM}content").text for entry in entries]
    assert len(contents) == 2 and "second" in contents[0]
    assert "<script>" not in contents[0]
    assert entries[0].find(f"{ATOM}link").get("href").startswith(PAGE + "#comment-")


def test_thread_feed_has_only_that_thread(client, post) -> None:
    post("here")
    post("elsewhere", url="https://blog.example.org/other")
    entries = _entries(client.get("/feeds/blog/thread.atom", query_string={"url": PAGE}))
    assert len(entries) == 1


def test_feeds_of_unknown_site_or_bad_url_are_4xx(client, site) -> None:
    assert client.get("/feeds/nope.atom").status_code == 404
    assert client.get("/feeds/blog/thread.atom").status_code == 400
    foreign = client.get("/feeds/blog/thread.atom", query_string={"url": "https://x.example/"})
    assert foreign.status_code == 400


def test_empty_thread_feed_is_valid(client, site) -> None:
    assert _entries(client.get("/feeds/blog/thread.atom", query_string={"url": PAGE})) == []


def test_feeds_answer_304_while_nothing_new_is_shown(client, post) -> None:
    post("first")
    etag = client.get("/feeds/blog.atom").headers["ETag"]
    unchanged = client.get("/feeds/blog.atom", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and not unchanged.data
    post("second")
    assert client.get("/feeds/blog.atom", headers={"If-None-Match": etag}).status_code == 200
    garbage = client.get("/feeds/blog.atom", headers={"If-None-Match": '"x", W/, ,'})
    assert garbage.status_code == 200


def test_every_answer_says_not_to_sniff_its_type(client, post) -> None:
    post("one")
    for path in ["/feeds/blog.atom", "/api/sites/blog/thread?url=" + PAGE, "/api/nothing",
                 "/healthz", "/avatar/0123456789abcdef0123.svg"]:  # fmt: skip
        assert client.get(path).headers["X-Content-Type-Options"] == "nosniff", path
