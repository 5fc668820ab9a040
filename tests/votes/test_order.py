"""Thread order: oldest, newest, top; replies under their parent; pinned first; paging."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.models import Comment, ThreadOrder
from commentsvc.services.sites import update_site


@pytest.fixture
def app_config(app_config):
    app_config["VOTE_SHOW_SECONDS"] = 0.0  # every read shows every vote: order tests see scores
    return app_config


def scored(comment_id: int, score: int, *, pinned: bool = False) -> None:
    comment = db.session.get(Comment, comment_id)
    comment.score = comment.shown_score = score  # as shown, with the new revision below
    comment.is_pinned = pinned
    comment.thread.revision += 1
    db.session.commit()


def ids(nodes) -> list[int]:
    return [node["id"] for node in nodes]


@pytest.fixture
def thread(posted):
    """Top-level a (score 1), b (score 5), c (score 3); a has replies r1 (0) then r2 (4)."""
    a, b, c = posted("a"), posted("b"), posted("c")
    r1, r2 = posted("r1", parent=a), posted("r2", parent=a)
    for comment_id, score in ((a, 1), (b, 5), (c, 3), (r2, 4)):
        scored(comment_id, score)
    return {"a": a, "b": b, "c": c, "r1": r1, "r2": r2}


def test_default_order_is_oldest_and_comments_carry_score_and_pinned(reader, thread) -> None:
    document = reader.thread().json
    assert document["sort"] == "oldest"
    assert document["site"]["sort"] == "oldest"
    assert document["site"]["votes"] is True
    assert ids(document["comments"]) == [thread["a"], thread["b"], thread["c"]]
    first = document["comments"][0]
    assert (first["score"], first["pinned"]) == (1, False)


def test_newest_puts_latest_top_level_first_replies_stay_oldest_first(reader, thread) -> None:
    comments = reader.thread(sort="newest").json["comments"]
    assert ids(comments) == [thread["c"], thread["b"], thread["a"]]
    assert ids(comments[2]["replies"]) == [thread["r1"], thread["r2"]]


def test_top_orders_by_score_and_replies_by_score_too(reader, thread) -> None:
    comments = reader.thread(sort="top").json["comments"]
    assert ids(comments) == [thread["b"], thread["c"], thread["a"]]
    assert ids(comments[2]["replies"]) == [thread["r2"], thread["r1"]]
    # the other orders' replies are untouched by top's
    oldest = reader.thread(sort="oldest").json["comments"]
    assert ids(oldest[0]["replies"]) == [thread["r1"], thread["r2"]]


def test_top_breaks_ties_oldest_first(reader, posted) -> None:
    first, second = posted("x"), posted("y")
    assert ids(reader.thread(sort="top").json["comments"]) == [first, second]


@pytest.mark.parametrize("order", ["oldest", "newest", "top"])
def test_pinned_comment_comes_first_and_marked_in_every_order(reader, thread, order) -> None:
    scored(thread["a"], 1, pinned=True)
    comments = reader.thread(sort=order).json["comments"]
    assert comments[0]["id"] == thread["a"]
    assert comments[0]["pinned"] is True
    assert not any(c["pinned"] for c in comments[1:])


def test_site_default_order_applies_when_reader_chooses_none(reader, thread, site) -> None:
    update_site(site, default_order=ThreadOrder.TOP)
    db.session.commit()
    document = reader.thread().json
    assert document["site"]["sort"] == "top"
    assert ids(document["comments"]) == [thread["b"], thread["c"], thread["a"]]
    assert ids(reader.thread(sort="oldest").json["comments"])[0] == thread["a"]


def test_unknown_sort_gets_400_problem(reader, thread) -> None:
    for value in ["best", "OLDEST", "1", "top;drop"]:
        response = reader.thread(sort=value)
        assert response.status_code == 400, value
        assert response.content_type == "application/problem+json"
        assert response.json["field"] == "sort"


def test_cursor_of_another_shape_gets_400_problem(reader, thread) -> None:
    for order, after in [
        ("oldest", "abc"),
        ("oldest", "1.2"),
        ("top", "12"),
        ("newest", "-3"),
        ("top", "q1.2"),
        ("oldest", "9" * 20),
        ("top", "1." + "9" * 19),
    ]:
        response = reader.thread(sort=order, after=after)
        assert response.status_code == 400, (order, after)
        assert response.json["field"] == "after"


@pytest.mark.parametrize("order", ["oldest", "newest", "top"])
def test_paging_walks_every_comment_once_in_order_pinned_first(reader, posted, order) -> None:
    created = [posted(f"c{n}") for n in range(7)]
    for n, comment_id in enumerate(created):
        scored(comment_id, (n * 3) % 5, pinned=n in (2, 5))
    whole = ids(reader.thread(sort=order, limit=50).json["comments"])
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        params = {"sort": order, "limit": 2, **({"after": after} if after else {})}
        document = reader.thread(**params).json
        seen += ids(document["comments"])
        assert document["total_top_level"] == 7
        pages += 1
        after = document["next"]
        if after is None:
            break
    assert seen == whole
    assert sorted(seen) == sorted(created)
    assert pages == 4
    assert set(whole[:2]) == {created[2], created[5]}


def test_oldest_cursor_is_the_plain_id_as_before(reader, posted) -> None:
    first, second, third = posted("1"), posted("2"), posted("3")
    document = reader.thread(limit=1).json
    assert document["next"] == str(first)
    assert ids(reader.thread(limit=1, after=str(first)).json["comments"]) == [second]
    assert ids(reader.thread(limit=5, after=str(second)).json["comments"]) == [third]


def test_pinned_comment_leads_page_one_and_later_pages_skip_it(reader, posted) -> None:
    pinned, other, last = posted("p"), posted("o"), posted("l")
    scored(last, 0, pinned=True)
    first_page = reader.thread(limit=1).json
    assert ids(first_page["comments"]) == [last]
    second = reader.thread(limit=1, after=first_page["next"]).json
    assert ids(second["comments"]) == [pinned]
    assert ids(reader.thread(limit=5, after=second["next"]).json["comments"]) == [other]


def test_each_order_and_page_has_its_own_etag(reader, thread) -> None:
    tags = {
        reader.thread(sort=order, **extra).headers["ETag"]
        for order in ("oldest", "newest", "top")
        for extra in ({}, {"limit": 1})
    }
    assert len(tags) == 6


def test_etag_changes_when_a_pin_or_the_site_order_changes(reader, thread, operator, site) -> None:
    before = reader.thread().headers["ETag"]
    reader.sign_in(operator).pin(thread["c"])
    pinned = reader.thread().headers["ETag"]
    assert pinned != before
    update_site(site, default_order=ThreadOrder.NEWEST)
    db.session.commit()
    assert reader.thread().headers["ETag"] != pinned
    tag = reader.thread(sort="top").headers["ETag"]
    assert reader.thread(sort="top", if_none_match=tag).status_code == 304
