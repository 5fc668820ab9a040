"""Imported comments count for the "first-time" moderation policy: a commenter approved on the
old blog stays approved here, as a guest giving the same address or signed in to an account
whose address is verified."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.imports.run import run_import
from commentsvc.models import ModerationMode
from commentsvc.services.accounts import create_account
from commentsvc.services.sites import update_site
from commentsvc.tokens import issue_token

ORIGIN = "https://blog.example.org"
PAGE = f"{ORIGIN}/2/"  # a page the old blog's readers never commented on


@pytest.fixture
def imported_site(app, make_site, wxr_writer, tmp_path):
    """A first-time site whose old blog had approved comments by reader0 and reader1."""
    site = make_site(ORIGIN)
    run_import("wordpress", wxr_writer(tmp_path / "old.xml", 1, 2, ORIGIN), site)
    update_site(site, moderation=ModerationMode.FIRST_TIME)
    db.session.commit()
    return site


def post(client, body: str, token: str | None = None, **fields):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    payload = {"url": PAGE, "body": body, "name": "Reader", **fields}
    return client.post("/api/sites/old/comments", json=payload, headers=headers)


def test_guest_approved_on_the_old_blog_is_not_held_as_first_time(client, imported_site) -> None:
    assert post(client, "Back again", email="Reader0@Example.org").status_code == 201
    assert post(client, "Hello", email="someone.new@example.org").status_code == 202


def test_account_with_verified_address_of_an_imported_commenter_is_not_held(
    client, imported_site
) -> None:
    known = create_account("reader1@example.org", "Reader One", None, is_email_verified=True)
    unverified = create_account("reader0@example.org", "Not Proven", None)
    stranger = create_account("new@example.org", "New", None, is_email_verified=True)
    db.session.commit()
    tokens = {
        name: issue_token(account, "old", ORIGIN)[0]
        for name, account in (("known", known), ("unverified", unverified), ("new", stranger))
    }

    assert post(client, "Signed in now", tokens["known"]).status_code == 201
    assert post(client, "Claiming an address", tokens["unverified"]).status_code == 202
    assert post(client, "First words", tokens["new"]).status_code == 202
