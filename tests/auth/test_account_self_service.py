"""Account self-service on the service's origin: profile, linked providers, export, delete,
sign-out; every form CSRF-protected."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Account, Comment, CommentRevision, CommentStatus, Identity
from commentsvc.tokens import read_token
from tests.auth.conftest import SITE_ORIGIN, consent, csrf_token, local_path, sign_in_popup

PAGE = f"{SITE_ORIGIN}/post"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def post_comment(client, token: str | None, body: str, parent: int | None = None, **extra):
    payload = {"url": PAGE, "body": body, "elapsed_ms": 60_000, **extra}
    if parent is not None:
        payload["parent"] = parent
    headers = bearer(token) if token else {}
    answer = client.post("/api/sites/blog/comments", json=payload, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def sign_in_page(client, provider: str, user: str = "alice", **query: str) -> None:
    """Sign in on the service itself (no popup): ends on the account page."""
    start = client.get(f"/auth/login/{provider}?" + urlencode({"next": "/auth/account", **query}))
    assert start.status_code == 302, start.get_data(as_text=True)
    back = client.get(local_path(consent(start.headers["Location"], user)))
    assert back.status_code == 302, back.get_data(as_text=True)


def submit(client, path: str, data: dict[str, str]):
    html = client.get("/auth/account").get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_token(html)})


def test_account_page_needs_a_sign_in(client) -> None:
    answer = client.get("/auth/account")

    assert answer.status_code == 302
    assert answer.headers["Location"] == "/auth/login/site?next=%2Fauth%2Faccount"


def test_commenter_changes_the_name_and_avatar_the_provider_gave(client, site) -> None:
    sign_in_page(client, "twitter")

    answer = submit(
        client, "/auth/account/profile", {"name": "Ally", "avatar": "https://img.example/a.png"}
    )

    assert answer.status_code == 302
    account = db.session.scalars(sa.select(Account)).one()
    assert (account.display_name, account.avatar_url) == ("Ally", "https://img.example/a.png")
    again = app_client_sign_in_again(client)
    assert again.display_name == "Ally"  # a later sign-in does not overwrite the choice


def app_client_sign_in_again(client) -> Account:
    sign_in_page(client, "twitter")
    account = db.session.scalars(sa.select(Account)).one()
    db.session.refresh(account)
    return account


def test_avatar_must_be_an_https_address(client, site) -> None:
    sign_in_page(client, "twitter")

    answer = submit(client, "/auth/account/profile", {"name": "Ally", "avatar": "javascript:x"})

    assert answer.status_code == 400


def test_several_providers_link_to_one_account(client, site) -> None:
    sign_in_page(client, "twitter")
    sign_in_page(client, "facebook", link="1")
    sign_in_page(client, "acme", link="1")

    identities = db.session.scalars(sa.select(Identity).order_by(Identity.provider)).all()
    assert [i.provider for i in identities] == ["acme", "facebook", "twitter"]
    assert len({i.account_id for i in identities}) == 1
    fresh = db.session.get(Account, identities[0].account_id)
    message = sign_in_popup(client.application.test_client(), "facebook")
    assert read_token(message["token"]).account.id == fresh.id
    me = client.get("/api/me").get_json()  # the service's own pages: the session cookie
    assert me["account"]["providers"] == ["acme", "facebook", "twitter"]


def test_an_identity_of_another_account_is_not_stolen_by_linking(app, site) -> None:
    sign_in_page(app.test_client(), "facebook", user="alice")
    bob = app.test_client()
    sign_in_page(bob, "twitter", user="bob")

    start = bob.get("/auth/login/facebook?" + urlencode({"link": "1", "next": "/auth/account"}))
    answer = bob.get(local_path(consent(start.headers["Location"], "alice")))

    assert answer.status_code == 409
    facebook = db.session.scalars(sa.select(Identity).where(Identity.provider == "facebook")).one()
    assert facebook.account.display_name == "Alice Example"


def test_linking_needs_a_signed_in_account(client, site) -> None:
    assert client.get("/auth/login/facebook?link=1").status_code == 401


def test_export_contains_the_account_identities_and_comments(client, site) -> None:
    message = sign_in_popup(client, "twitter")
    post_comment(client, message["token"], "My *first* comment")

    answer = client.get("/auth/account/export")

    assert answer.status_code == 200
    assert "attachment" in answer.headers["Content-Disposition"]
    data = json.loads(answer.get_data(as_text=True))
    assert data["account"]["display_name"] == "Alice Example"
    assert data["identities"][0]["provider"] == "twitter"
    assert data["comments"][0]["body_markdown"] == "My *first* comment"
    assert data["comments"][0]["page"] == PAGE


@pytest.mark.parametrize(
    ("choice", "status", "name", "body"),
    [
        ("anonymise", CommentStatus.VISIBLE, "deleted user", "Keep my words"),
        ("remove", CommentStatus.DELETED, None, ""),
    ],
)
def test_delete_account_keeps_or_removes_comments_as_chosen(
    client, site, choice, status, name, body
) -> None:
    message = sign_in_popup(client, "twitter")
    first = post_comment(client, message["token"], "Keep my words")
    guest = client.application.test_client()
    post_comment(guest, None, "A guest reply", parent=first["id"], name="Guest")
    db.session.add(CommentRevision(comment_id=first["id"], body_markdown="older words"))
    held = db.session.get(Comment, first["id"])
    held.pending_body_markdown, held.pending_body_html = "held words", "<p>held words</p>"
    db.session.commit()

    answer = submit(client, "/auth/account/delete", {"comments": choice})

    assert answer.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 0
    comment = db.session.get(Comment, first["id"])
    assert (comment.status, comment.author_name, comment.body_markdown) == (status, name, body)
    assert comment.account_id is None and comment.author_email is None
    assert comment.author_avatar is None and comment.author_provider is None
    if choice == "remove":
        assert comment.pending_body_markdown is None and comment.edited_at is None
    revisions = db.session.scalar(sa.select(sa.func.count()).select_from(CommentRevision))
    assert revisions == (1 if choice == "anonymise" else 0)
    thread = client.get("/api/sites/blog/thread", query_string={"url": PAGE}).get_json()
    assert thread["comments"][0]["replies"][0]["html"].startswith("<p>A guest reply")
    assert client.get("/api/me", headers=bearer(message["token"])).get_json() == {
        "authenticated": False
    }


def test_a_deleted_accounts_session_and_token_do_not_fit_the_next_account(client, site) -> None:
    """SQLite gives the deleted account's id to the next one: its old cookie and token must
    not sign anyone in as that new account (an operator's, say)."""
    from commentsvc.services.accounts import create_account

    message = sign_in_popup(client, "twitter")
    sign_in_page(client, "twitter")
    old_id = db.session.scalars(sa.select(Account.id)).one()
    assert submit(client, "/auth/account/delete", {"comments": "remove"}).status_code == 200

    newcomer = create_account("next@example.org", "Next", password="a long enough one")
    db.session.commit()

    if db.engine.dialect.name == "sqlite":
        assert newcomer.id == old_id  # the id comes back, which is what made this dangerous
    assert client.get("/api/me", headers=bearer(message["token"])).get_json() == {
        "authenticated": False
    }
    assert client.get("/auth/account").status_code == 302  # the old cookie signs no one in


def test_account_forms_without_csrf_token_are_refused(client, site) -> None:
    sign_in_page(client, "twitter")

    for path, data in [
        ("/auth/account/profile", {"name": "Mallory"}),
        ("/auth/account/delete", {"comments": "remove"}),
        ("/auth/logout", {}),
    ]:
        assert client.post(path, data=data).status_code == 400, path
    assert db.session.scalars(sa.select(Account)).one().display_name == "Alice Example"


def test_sign_out_page_revokes_tokens_and_the_session(client, site) -> None:
    message = sign_in_popup(client, "twitter")

    html = client.get("/auth/logout").get_data(as_text=True)
    answer = client.post("/auth/logout?next=/auth/account", data={"csrf_token": csrf_token(html)})

    assert answer.headers["Location"] == "/auth/account"
    assert client.get("/auth/account").status_code == 302  # signed out here too
    assert client.get("/api/me", headers=bearer(message["token"])).get_json() == {
        "authenticated": False
    }


def test_unlinking_keeps_at_least_one_way_to_sign_in(client, site) -> None:
    sign_in_page(client, "twitter")
    sign_in_page(client, "facebook", link="1")
    twitter, facebook = db.session.scalars(sa.select(Identity).order_by(Identity.provider.desc()))

    assert submit(client, f"/auth/account/unlink/{facebook.id}", {}).status_code == 302
    last = submit(client, f"/auth/account/unlink/{twitter.id}", {})

    assert last.status_code == 409
    assert [i.provider for i in db.session.scalars(sa.select(Identity))] == ["twitter"]
