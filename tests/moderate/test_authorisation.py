"""Operators see and act on their own sites only; commenters and strangers get nothing;
every form needs its CSRF token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g

from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Ban, Comment, CommentStatus, Mention, Site
from tests.moderate.conftest import add_comment, add_mention, csrf_token, post_form, sign_in


@pytest.fixture
def shop_items(other_site: Site, other_operator):
    """Held items and a ban on site "shop", which the blog's operator does not moderate."""
    comment = add_comment(other_site, "Buy shoes", url="https://shop.example.org/shoes")
    mention = add_mention(other_site, url="https://shop.example.org/shoes")
    ban = Ban(site_id=other_site.id, email="x@example.net")
    db.session.add(ban)
    db.session.commit()
    return {"comment": comment.id, "mention": mention.id, "ban": ban.id}


def _other_site_pages(ids: dict[str, int]) -> list[str]:
    return [
        f"/moderate/comments/{ids['comment']}",
        "/moderate/sites/shop/policy",
        "/moderate/?site=shop",
        "/moderate/audit?site=shop",
    ]


def _other_site_actions(ids: dict[str, int]) -> list[tuple[str, dict]]:
    c, m = f"c:{ids['comment']}", f"m:{ids['mention']}"
    return [
        ("/moderate/act", {"do": f"approve:{c}"}),
        ("/moderate/act", {"do": f"spam:{m}"}),
        ("/moderate/act", {"action": "delete", "selected": [c, m]}),
        ("/moderate/act", {"action": "approve", "scope": "all", "site": "shop"}),
        (f"/moderate/comments/{ids['comment']}/edit", {"body": "rewritten"}),
        (f"/moderate/comments/{ids['comment']}/reply", {"body": "as the site"}),
        ("/moderate/bans", {"site": "shop", "email": "victim@example.net"}),
        (f"/moderate/bans/{ids['ban']}/lift", {}),
        (
            "/moderate/sites/shop/policy",
            {"moderation": "none", "edit_window": "5", "link_limit": "9", "blocklist": ""},
        ),
    ]


def _shop_untouched(ids: dict[str, int]) -> None:
    db.session.expire_all()
    assert db.session.get(Comment, ids["comment"]).status == CommentStatus.PENDING
    assert db.session.get(Comment, ids["comment"]).body_markdown == "Buy shoes"
    assert db.session.get(Mention, ids["mention"]).status == CommentStatus.PENDING
    assert db.session.get(Ban, ids["ban"]) is not None
    shop = db.session.scalar(sa.select(Site).where(Site.name == "shop"))
    assert shop.link_limit == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ban)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_operator_of_one_site_gets_404_for_every_page_of_another(
    operator_client, shop_items
) -> None:
    for path in _other_site_pages(shop_items):
        response = operator_client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"


def test_operator_of_one_site_cannot_act_on_another_sites_items(
    operator_client, shop_items
) -> None:
    for path, data in _other_site_actions(shop_items):
        response = post_form(operator_client, path, data)
        assert response.status_code == 404, (path, data)
    _shop_untouched(shop_items)


def test_a_selection_mixing_own_and_foreign_items_changes_nothing(
    operator_client, site, shop_items
) -> None:
    own = add_comment(site, "Mine to judge")
    response = post_form(
        operator_client,
        "/moderate/act",
        {"action": "approve", "selected": [f"c:{own.id}", f"c:{shop_items['comment']}"]},
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Comment, own.id).status == CommentStatus.PENDING


def test_queue_and_count_leave_out_other_sites(operator_client, site, shop_items) -> None:
    add_comment(site, "A blog comment")
    html = operator_client.get("/moderate/").get_data(as_text=True)
    assert "A blog comment" in html
    assert "Buy shoes" not in html
    assert "shop.example.org" not in html
    assert operator_client.get("/moderate/count.json").json == {"pending": 1}


def test_other_operator_sees_only_their_own_site(client, site, other_operator, shop_items) -> None:
    add_comment(site, "A blog comment")
    sign_in(client, other_operator)
    html = client.get("/moderate/").get_data(as_text=True)
    assert "Buy shoes" in html
    assert "A blog comment" not in html
    assert client.get("/moderate/count.json").json == {"pending": 2}


def test_commenter_gets_none_of_moderate(client, operator, commenter, site, shop_items) -> None:
    comment = add_comment(site, "held")
    sign_in(client, operator)
    token = csrf_token(client)  # a valid token, so that only the role is in question
    sign_in(client, commenter)
    for path in ["/moderate/", "/moderate/count.json", f"/moderate/comments/{comment.id}",
                 "/moderate/bans", "/moderate/sites", "/moderate/sites/blog/policy",
                 "/moderate/audit"]:  # fmt: skip
        assert client.get(path).status_code == 403, path
    response = client.post(
        "/moderate/act", data={"csrf_token": token, "do": f"approve:c:{comment.id}"}
    )
    assert response.status_code == 403
    page = client.get("/moderate/").get_data(as_text=True)  # a way out, not a dead end
    assert "who moderates no site" in page and 'href="/auth/logout?next=/moderate/"' in page
    assert client.get("/moderate/count.json").json["status"] == 403
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == CommentStatus.PENDING


def test_stranger_is_sent_to_sign_in(client, site) -> None:
    response = client.get("/moderate/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login/site?next=/moderate/"
    response = client.get("/moderate/audit?site=blog")
    assert response.headers["Location"] == "/auth/login/site?next=/moderate/audit%3Fsite%3Dblog"
    count = client.get("/moderate/count.json")
    assert count.status_code == 401
    assert count.mimetype == "application/problem+json"


def test_signed_out_everywhere_session_no_longer_works(operator_client, operator) -> None:
    operator.token_generation += 1
    db.session.commit()
    g.pop("account", None)
    assert operator_client.get("/moderate/").status_code == 302


def test_posts_without_csrf_token_are_refused(operator_client, site, shop_items) -> None:
    comment = add_comment(site, "held")
    own_actions = [
        ("/moderate/act", {"do": f"approve:c:{comment.id}"}),
        ("/moderate/act", {"action": "delete", "scope": "all"}),
        (f"/moderate/comments/{comment.id}/edit", {"body": "rewritten"}),
        (f"/moderate/comments/{comment.id}/reply", {"body": "as the site"}),
        ("/moderate/bans", {"site": "blog", "email": "victim@example.net"}),
        ("/moderate/sites/blog/policy", {"moderation": "all", "edit_window": "5",
                                         "link_limit": "1", "blocklist": ""}),
    ]  # fmt: skip
    for path, data in own_actions:
        response = operator_client.post(path, data=data)
        assert response.status_code == 400, path
        assert "CSRF" in response.get_data(as_text=True)
        forged = operator_client.post(path, data={**data, "csrf_token": "forged"})
        assert forged.status_code == 400, path
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == CommentStatus.PENDING
    assert db.session.get(Comment, comment.id).body_markdown == "held"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_hostile_ids_get_clear_client_errors(operator_client, site) -> None:
    for path in ["/moderate/comments/99999999999999999999999", "/moderate/comments/0"]:
        assert operator_client.get(path).status_code == 404
    for key in ["c:abc", "x:1", "c:²", "c:٣", "c:" + "9" * 5000, "", "c:99999999999999999999"]:
        response = post_form(operator_client, "/moderate/act", {"do": f"approve:{key}"})
        assert response.status_code in {400, 404}, key
    for query in ["page=0", "page=²", "page=٢", "page=" + "9" * 5000, "status=bogus", "kind=x",
                  "order=up"]:  # fmt: skip
        assert operator_client.get(f"/moderate/?{query}").status_code == 400, query
    response = post_form(operator_client, "/moderate/act", {"action": "explode", "selected": "c:1"})
    assert response.status_code == 400
    response = post_form(operator_client, "/moderate/bans/99999999999999999999999/lift")
    assert response.status_code == 404
