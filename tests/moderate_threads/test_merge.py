"""A site's pages (address, title, count) and merging one thread into another."""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Comment, Mention, Thread

OLD = "https://blog.example.org/posts/old-slug"
NEW = "https://blog.example.org/posts/new-slug"


def test_pages_list_shows_each_thread_with_title_and_count(
    operator_client, add_comment, add_mention, thread_of, other_site
) -> None:
    thread_of(NEW, "The new post")
    add_comment(NEW)
    add_comment(NEW)
    add_mention(NEW, status="pending")  # held: not counted
    add_comment(OLD)
    thread_of("https://shop.example.org/cart", on=other_site)

    sites = operator_client.get("/moderate/sites").get_data(as_text=True)
    assert 'href="/moderate/sites/blog/threads"' in sites
    page = operator_client.get("/moderate/sites/blog/threads").get_data(as_text=True)

    assert page.index(NEW) < page.index(OLD)  # by address: /new-slug, /old-slug
    row = page[page.index(f">{NEW}<") :].split("</tr>")[0]
    assert "<td>The new post</td>" in row and "<td>2</td>" in row and "Merge into…" in row
    assert "shop.example.org" not in page
    found = operator_client.get("/moderate/sites/blog/threads?q=old-").get_data(as_text=True)
    assert OLD in found and NEW not in found


def test_operator_merges_a_thread_into_another(
    operator_client, post_form, add_comment, add_mention, thread_of, client
) -> None:
    into = thread_of(NEW, "The new post")
    add_comment(NEW, "Already here")
    first = add_comment(OLD, "First")
    add_comment(OLD, "Reply", parent=first)
    mention = add_mention(OLD, status="visible")
    source_id = thread_of(OLD).id

    form = operator_client.get(f"/moderate/threads/{source_id}/merge").get_data(as_text=True)
    assert f'<option value="{NEW}">' in form and f'<option value="{OLD}">' not in form
    answer = post_form(operator_client, f"/moderate/threads/{source_id}/merge", {"into": NEW})

    assert answer.status_code == 302
    shown = operator_client.get(answer.location).get_data(as_text=True)
    assert f"Merged {OLD} into {NEW}: 2 comments and 1 mention moved." in shown
    db.session.expire_all()
    assert db.session.get(Thread, source_id) is None
    assert db.session.get(Thread, into.id).visible_count == 4
    assert db.session.get(Mention, mention.id).thread_id == into.id
    counts = client.get("/api/sites/blog/counts", query_string={"url": [NEW, OLD]}).get_json()
    assert counts == {NEW: 4, OLD: 0}
    log = operator_client.get("/moderate/audit").get_data(as_text=True)
    assert "thread.merge" in log and "Olga Ops" in log


def test_merge_refuses_itself_an_unknown_page_and_a_foreign_one_with_a_clear_400(
    operator_client, post_form, add_comment, thread_of
) -> None:
    add_comment(OLD)
    thread_of(NEW)
    source_id = thread_of(OLD).id
    refused = [
        (OLD, "cannot be merged into itself"),
        ("https://blog.example.org/nowhere", "has no thread on blog yet"),
        ("https://shop.example.org/posts/new-slug", "is not on an origin of site"),
        ("", "Give the address"),
    ]

    for into, message in refused:
        answer = post_form(operator_client, f"/moderate/threads/{source_id}/merge", {"into": into})

        assert answer.status_code == 400 and answer.mimetype == "text/html", into
        assert message in answer.get_data(as_text=True), into
    db.session.expire_all()
    assert db.session.get(Thread, source_id) is not None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1
