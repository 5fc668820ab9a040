"""An IPv6 client holds a whole /64 and may post from any address in it: the IP hash a comment
shows, and so a ban by it, covers that network (as every rate limit does). Bans set before,
on one address's hash, still hold for that address."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, g

from commentsvc.clientip import ip_hash, network_hash
from commentsvc.extensions import db
from commentsvc.models import Ban, Comment
from tests.moderate.conftest import post_form

PAGE = "https://blog.example.org/post"
HOME = "2001:db8:1:2::1"


def _post_from(address: str, body: str = "hello"):
    g.pop("account", None)  # requests share the test's app context: no operator left over
    return current_app.test_client().post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": body, "name": "T", "elapsed_ms": 9000},
        environ_base={"REMOTE_ADDR": address},
    )


def test_a_ban_by_the_hash_a_comment_shows_covers_the_posters_ipv6_network(
    operator_client, site
) -> None:
    posted = _post_from(HOME)
    assert posted.status_code == 201
    shown = db.session.get(Comment, posted.json["id"]).ip_hash
    assert shown == network_hash(HOME) != ip_hash(HOME)

    post_form(operator_client, "/moderate/bans", {"site": "blog", "ip_hash": shown})

    same_network = _post_from("2001:db8:1:2:ffff:ffff:ffff:fffe")
    assert same_network.status_code == 403 and same_network.json["code"] == "banned"
    assert _post_from("2001:db8:1:3::1").status_code == 201  # the next /64: someone else


def test_an_ipv4_comment_shows_its_address_hash_and_a_ban_holds_that_address_only(
    operator_client, site
) -> None:
    posted = _post_from("203.0.113.7")
    shown = db.session.get(Comment, posted.json["id"]).ip_hash
    assert shown == ip_hash("203.0.113.7")

    post_form(operator_client, "/moderate/bans", {"site": "blog", "ip_hash": shown})

    assert _post_from("203.0.113.7").status_code == 403
    assert _post_from("203.0.113.8").status_code == 201


def test_a_ban_set_before_on_one_ipv6_address_still_holds_for_it(operator_client, site) -> None:
    with current_app.test_request_context():
        db.session.add(Ban(site_id=site.id, ip_hash=ip_hash(HOME)))
    db.session.commit()

    assert _post_from(HOME).status_code == 403
    assert _post_from("2001:db8:1:2::2").status_code == 201
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment)) == 1


def test_an_edit_from_a_banned_network_is_refused(operator_client, site) -> None:
    posted = _post_from(HOME)
    token = posted.json["edit_token"]
    post_form(operator_client, "/moderate/bans", {"site": "blog", "ip_hash": network_hash(HOME)})

    g.pop("account", None)
    edited = current_app.test_client().patch(
        f"/api/comments/{posted.json['id']}",
        json={"body": "changed"},
        headers={"X-Edit-Token": token},
        environ_base={"REMOTE_ADDR": "2001:db8:1:2::9"},
    )

    assert edited.status_code == 403 and edited.json["code"] == "banned"
