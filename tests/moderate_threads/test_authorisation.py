"""An operator of one site can neither see nor change another site's pages and responses."""

from __future__ import annotations

from commentsvc.extensions import db
from commentsvc.models import Comment, Mention, Thread

OLD = "https://blog.example.org/posts/old-slug"
NEW = "https://blog.example.org/posts/new-slug"
SHOP = "https://shop.example.org/posts/new-slug"


def test_operator_of_another_site_gets_404_for_every_move_and_merge(
    other_operator_client, post_form, add_comment, add_mention, thread_of
) -> None:
    target = thread_of(NEW)
    comment = add_comment(OLD)
    mention = add_mention(OLD)
    source_id = comment.thread_id
    client = other_operator_client

    assert client.get("/moderate/sites/blog/threads").status_code == 404
    assert client.get(f"/moderate/threads/{source_id}/merge").status_code == 404
    assert client.get(f"/moderate/mentions/{mention.id}/move").status_code == 404
    for path, data in [
        (f"/moderate/threads/{source_id}/merge", {"into": NEW}),
        (f"/moderate/comments/{comment.id}/move", {"to": NEW}),
        (f"/moderate/mentions/{mention.id}/move", {"to": NEW}),
    ]:
        assert post_form(client, path, data).status_code == 404, path

    db.session.expire_all()
    assert db.session.get(Thread, source_id) is not None
    assert db.session.get(Comment, comment.id).thread_id == source_id
    assert db.session.get(Mention, mention.id).thread_id == source_id
    assert db.session.get(Thread, target.id).visible_count == 0


def test_nothing_moves_or_merges_into_a_page_of_another_site(
    operator_client, post_form, add_comment, thread_of, other_site
) -> None:
    thread_of(SHOP, on=other_site)  # it exists, on the shop
    comment = add_comment(OLD)

    answer = post_form(operator_client, f"/moderate/comments/{comment.id}/move", {"to": SHOP})
    merge = post_form(
        operator_client, f"/moderate/threads/{comment.thread_id}/merge", {"into": SHOP}
    )

    assert answer.status_code == merge.status_code == 400
    assert "is not on an origin of site &#39;blog&#39;" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).thread_id == thread_of(OLD).id


def test_strangers_are_sent_to_sign_in(client, add_comment) -> None:
    comment = add_comment(OLD)

    answer = client.post(f"/moderate/comments/{comment.id}/move", data={"to": NEW})

    assert answer.status_code in {302, 400}  # sign-in, or the CSRF check before it
    assert db.session.get(Comment, comment.id).thread_id == comment.thread_id
    assert client.get("/moderate/sites/blog/threads").status_code == 302
