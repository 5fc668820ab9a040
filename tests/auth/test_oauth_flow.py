"""The popup sign-in through local Twitter-, Facebook- and OIDC-shaped providers."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Account, Identity, Photo
from commentsvc.tokens import read_token
from tests.auth.conftest import SITE_ORIGIN, consent, local_path, sign_in_popup


@pytest.mark.parametrize(
    ("provider", "subject", "name", "avatar"),
    [
        ("twitter", "1001", "Alice Example", "/img/alice_normal.gif"),
        ("facebook", "fb1001", "Alice Example", "/img/fb-alice.gif"),
        ("acme", "oidc-1001", "Alice Example", "/img/oidc-alice.gif"),
    ],
)
def test_popup_sign_in_creates_account_from_provider_profile(
    client, site, provider, subject, name, avatar
) -> None:
    message = sign_in_popup(client, provider)

    assert message["type"] == "commentsvc:signed-in"
    assert message["expires_at"].endswith("Z")
    assert message["account"]["name"] == name
    # The provider's picture (at {provider}{avatar}), as the service serves its copy of it.
    assert message["account"]["avatar"].startswith("http://comments.test/photos/")
    photo = db.session.scalars(sa.select(Photo.url)).one()
    assert photo.startswith("http://127.0.0.1:") and photo.endswith(avatar)
    assert set(message["account"]) == {"name", "avatar"}  # nothing that identifies across sites
    identity = db.session.scalars(sa.select(Identity)).one()
    assert (identity.provider, identity.subject) == (provider, subject)
    assert read_token(message["token"]).account.id == identity.account_id


def test_completion_page_posts_only_to_the_checked_origin_under_a_nonce_csp(client, site) -> None:
    start = client.get(f"/auth/login/twitter?site=blog&origin={SITE_ORIGIN}")
    page = client.get(local_path(consent(start.headers["Location"])))
    html = page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    nonce = csp.split("'nonce-")[1].split("'")[0]

    assert f'<script nonce="{nonce}">' in html
    assert "script-src 'nonce-" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert f'var origin = "{SITE_ORIGIN}";' in html
    assert "window.opener.postMessage(message, origin)" in html
    assert page.headers["Cache-Control"] == "no-store"


def test_signing_in_again_reuses_the_identity_and_account(app, site) -> None:
    first = sign_in_popup(app.test_client(), "twitter")
    second = sign_in_popup(app.test_client(), "twitter")

    assert read_token(first["token"]).account.id == read_token(second["token"]).account.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1


def test_different_provider_users_get_different_accounts(app, site) -> None:
    alice = sign_in_popup(app.test_client(), "twitter", "alice")
    bob = sign_in_popup(app.test_client(), "twitter", "bob")

    assert read_token(alice["token"]).account.id != read_token(bob["token"]).account.id


@pytest.mark.parametrize("provider", ["twitter", "facebook", "acme"])
def test_every_provider_is_asked_with_pkce(client, site, provider) -> None:
    """A code intercepted on its way back is worth nothing without this session's verifier
    (the stand-ins require it of Twitter and Facebook, as the real ones check it)."""
    start = client.get(f"/auth/login/{provider}?site=blog&origin={SITE_ORIGIN}")
    query = parse_qs(urlsplit(start.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
