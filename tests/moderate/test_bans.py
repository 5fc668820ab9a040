"""Bans per site, by account, email or IP hash, for good or until a date; banned posts are
refused with a message the poster can understand."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g

from commentsvc.clientip import ip_hash
from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Ban
from commentsvc.models.base import utcnow
from commentsvc.tokens import issue_token
from tests.moderate.conftest import post_form

PAGE = "https://blog.example.org/post"


def _post_as_guest(client, email: str = "troll@example.net", site: str = "blog"):
    url = PAGE if site == "blog" else "https://shop.example.org/p"
    g.pop("account", None)  # requests share the test's app context: no operator left over
    return current_app.test_client().post(
        f"/api/sites/{site}/comments",
        json={"url": url, "body": "hello", "name": "T", "email": email, "elapsed_ms": 9000},
    )


def test_banned_email_cannot_post_and_is_told_why(operator_client, site) -> None:
    response = post_form(
        operator_client, "/moderate/bans", {"site": "blog", "email": "Troll@Example.net"}
    )
    assert response.status_code == 302

    refused = _post_as_guest(operator_client)

    assert refused.status_code == 403
    assert refused.json["code"] == "banned"
    assert "blocked you from commenting" in refused.json["detail"]
    assert _post_as_guest(operator_client, "friend@example.net").status_code == 201


def test_ban_by_ip_hash_until_a_date_says_until_when(operator_client, site) -> None:
    address_hash = ip_hash("127.0.0.1")  # the test client's address
    until = (utcnow() + timedelta(days=3)).date()
    post_form(
        operator_client,
        "/moderate/bans",
        {"site": "blog", "ip_hash": address_hash, "until": until.isoformat(), "reason": "abuse"},
    )
    ban = db.session.scalar(sa.select(Ban))
    assert ban.expires_at.date() == until + timedelta(days=1)
    refused = _post_as_guest(operator_client, "anyone@example.net")
    assert refused.status_code == 403
    assert f"until {until + timedelta(days=1):%Y-%m-%d} 00:00 UTC" in refused.json["detail"]


def test_an_ip_hash_that_is_not_hex_bans_no_one(operator_client, site) -> None:
    for bad in ("é" * 10, "١٢٣", "zz" * 16):
        response = post_form(operator_client, "/moderate/bans", {"site": "blog", "ip_hash": bad})
        assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ban)) == 0


def test_ban_of_an_account_by_number(operator_client, site, commenter) -> None:
    post_form(operator_client, "/moderate/bans", {"site": "blog", "account_id": str(commenter.id)})
    ban = db.session.scalar(sa.select(Ban))
    assert (ban.account_id, ban.email, ban.ip_hash) == (commenter.id, None, None)


def test_a_banned_account_cannot_post_even_a_reply(operator_client, site, commenter) -> None:
    post_form(operator_client, "/moderate/bans", {"site": "blog", "account_id": str(commenter.id)})
    token, _ = issue_token(commenter, "blog", "https://blog.example.org")
    g.pop("account", None)
    first = _post_as_guest(operator_client, "friend@example.net")

    signed_in = current_app.test_client().post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "me again", "parent": first.json["id"]},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert signed_in.status_code == 403 and signed_in.json["code"] == "banned"


def test_expired_ban_no_longer_refuses(operator_client, site) -> None:
    db.session.add(
        Ban(site_id=site.id, email="troll@example.net", expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert _post_as_guest(operator_client).status_code == 201
    assert "No bans in force." in operator_client.get("/moderate/bans").get_data(as_text=True)


def test_a_ban_holds_on_its_own_site_only(operator_client, site, other_site) -> None:
    post_form(operator_client, "/moderate/bans", {"site": "blog", "email": "troll@example.net"})
    assert _post_as_guest(operator_client, site="shop").status_code == 201


def test_lifting_a_ban_lets_the_commenter_back_and_is_audited(operator_client, site) -> None:
    post_form(operator_client, "/moderate/bans", {"site": "blog", "email": "troll@example.net"})
    ban = db.session.scalar(sa.select(Ban))
    listing = operator_client.get("/moderate/bans").get_data(as_text=True)
    assert "troll@example.net" in listing

    post_form(operator_client, f"/moderate/bans/{ban.id}/lift")

    assert _post_as_guest(operator_client).status_code == 201
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["ban", "unban"]


def test_ban_form_refuses_nonsense_with_a_reason(operator_client, site) -> None:
    cases = [
        ({"site": "blog"}, "needs an account, an email address or an IP hash"),
        ({"site": "blog", "email": "not-an-address"}, "is not an email address"),
        ({"site": "blog", "ip_hash": "<script>"}, "IP hash"),
        ({"site": "blog", "account_id": "abc"}, "account is given by its number"),
        ({"site": "blog", "account_id": "424242"}, "There is no account 424242"),
        ({"site": "blog", "email": "a@b.example", "until": "yesterday"}, "YYYY-MM-DD"),
        ({"site": "blog", "email": "a@b.example", "until": "2001-01-01"}, "in the future"),
    ]
    for data, message in cases:
        response = post_form(operator_client, "/moderate/bans", data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Ban)) == 0


def test_ban_form_can_be_prefilled_from_a_mention_in_the_queue(operator_client, site) -> None:
    from tests.moderate.conftest import add_mention

    mention = add_mention(site)
    mention.ip_hash = "cd34" * 8
    db.session.commit()
    queue = operator_client.get("/moderate/").get_data(as_text=True)
    link = f"/moderate/bans?site=blog&amp;ip_hash={'cd34' * 8}"
    assert link in queue
    form = operator_client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert f'name="ip_hash" value="{"cd34" * 8}"' in form
    assert '<option value="blog" selected>' in form
