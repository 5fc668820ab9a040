"""Bearer tokens: renewal, revocation on sign-out, expiry and forgery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from commentsvc.auth import tokens
from commentsvc.auth.tokens import issue_token
from commentsvc.extensions import db
from commentsvc.services.accounts import create_account
from tests.auth.conftest import SITE_ORIGIN, sign_in_popup


@pytest.fixture
def account(app):
    created = create_account(
        "ann@example.org", "Ann", "correct horse battery", is_email_verified=True
    )
    db.session.commit()
    return created


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_refresh_returns_a_new_working_token(client, account) -> None:
    token, _ = issue_token(account)

    answer = client.post("/api/auth/refresh", headers=bearer(token))

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["token"] and body["expires_at"].endswith("Z")
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    me = client.get("/api/me", headers=bearer(body["token"])).get_json()
    assert me["account"]["id"] == account.id


def test_logout_revokes_the_token_and_every_other_one(client, account) -> None:
    token, _ = issue_token(account)
    other, _ = issue_token(account)

    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204

    assert client.get("/api/me", headers=bearer(other)).get_json() == {"authenticated": False}
    assert client.post("/api/auth/refresh", headers=bearer(token)).status_code == 401


def test_refresh_refuses_missing_forged_and_expired_tokens(app, client, account) -> None:
    token, _ = issue_token(account)
    forged = URLSafeTimedSerializer("another-key", salt="commentsvc.api-token").dumps(
        {"a": account.id, "g": 0}
    )
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="commentsvc.api-token")
    expired = old.dumps({"a": account.id, "g": 0})

    assert client.post("/api/auth/refresh").status_code == 401
    assert client.post("/api/auth/refresh", headers=bearer(token[:-2] + "xx")).status_code == 401
    assert client.post("/api/auth/refresh", headers=bearer(forged)).status_code == 401
    real_lifetime = tokens.TOKEN_LIFETIME
    try:
        tokens.TOKEN_LIFETIME = timedelta(seconds=-1)
        assert client.post("/api/auth/refresh", headers=bearer(expired)).status_code == 401
    finally:
        tokens.TOKEN_LIFETIME = real_lifetime
    answer = client.post("/api/auth/refresh", headers=bearer(forged))
    assert answer.headers["Content-Type"] == "application/problem+json"


def test_token_api_answers_cors_for_site_origins_only(client, site, account) -> None:
    token, _ = issue_token(account)
    preflight = client.options(
        "/api/auth/refresh",
        headers={"Origin": SITE_ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization"},
    )  # fmt: skip
    assert preflight.headers["Access-Control-Allow-Origin"] == SITE_ORIGIN
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    foreign = client.post(
        "/api/auth/refresh", headers={**bearer(token), "Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_popup_token_stops_working_after_logout(app, site) -> None:
    client = app.test_client()
    message = sign_in_popup(client, "facebook")

    client.post("/api/auth/logout", headers=bearer(message["token"]))

    assert client.get("/api/me", headers=bearer(message["token"])).get_json() == {
        "authenticated": False
    }


def test_widget_token_opens_the_json_api_only(app, site) -> None:
    """The token sits in every embedding site's page: it must not moderate or run the account."""
    from commentsvc.services.accounts import create_account, grant_operator

    operator = create_account(
        "op@example.org", "Op", "correct horse battery", is_email_verified=True
    )
    grant_operator(operator, "blog")
    db.session.commit()
    token, _ = issue_token(operator)
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=bearer).get_json()["authenticated"] is True
    assert client.get("/moderate/", headers=bearer).status_code == 302  # to the sign-in page
    assert client.get("/moderate/count.json", headers=bearer).status_code == 401
    assert client.get("/auth/account/export", headers=bearer).status_code in {302, 401}
