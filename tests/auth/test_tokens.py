"""Bearer tokens: renewal, revocation on sign-out, expiry and forgery, and the binding of a
token to the site and origin it was issued for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer

from commentsvc import tokens
from commentsvc.extensions import db
from commentsvc.services.accounts import create_account, grant_operator
from commentsvc.services.sites import create_site
from commentsvc.tokens import issue_token
from tests.auth.conftest import SITE_ORIGIN, sign_in_popup

OTHER_ORIGIN = "https://shop.example.net"
PAGE = f"{SITE_ORIGIN}/posts/1"
OTHER_PAGE = f"{OTHER_ORIGIN}/items/1"


def issue(account, site: str = "blog", origin: str = SITE_ORIGIN) -> str:
    return issue_token(account, site, origin)[0]


@pytest.fixture
def account(app, site):
    created = create_account(
        "ann@example.org", "Ann", "correct horse battery", is_email_verified=True
    )
    db.session.commit()
    return created


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_refresh_returns_a_new_working_token(client, account) -> None:
    token = issue(account)

    answer = client.post("/api/auth/refresh", headers=bearer(token))

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["token"] and body["expires_at"].endswith("Z")
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    me = client.get("/api/me", headers=bearer(body["token"])).get_json()
    assert me["authenticated"] is True and me["account"]["name"] == account.display_name


def test_logout_revokes_the_token_and_every_other_one(client, account) -> None:
    token = issue(account)
    other = issue(account)

    assert client.post("/api/auth/logout", headers=bearer(token)).status_code == 204

    assert client.get("/api/me", headers=bearer(other)).get_json() == {"authenticated": False}
    assert client.post("/api/auth/refresh", headers=bearer(token)).status_code == 401


def test_refresh_refuses_missing_forged_and_expired_tokens(app, client, account) -> None:
    token = issue(account)
    payload = {"a": account.id, "g": account.token_generation, "s": "blog", "o": SITE_ORIGIN}
    forged = URLSafeTimedSerializer("another-key", salt=tokens._SALT).dumps(payload)
    expired = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens._SALT).dumps(payload)

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
    token = issue(account)
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
    operator = create_account(
        "op@example.org", "Op", "correct horse battery", is_email_verified=True
    )
    grant_operator(operator, "blog")
    db.session.commit()
    token = issue(operator)
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=bearer).get_json()["authenticated"] is True
    assert client.get("/moderate/", headers=bearer).status_code == 302  # to the sign-in page
    assert client.get("/moderate/count.json", headers=bearer).status_code == 401
    assert client.get("/auth/account/export", headers=bearer).status_code in {302, 401}


# ---------------------------------------------------------------- bound to a site and origin


@pytest.fixture
def shop(app):
    """A second site, on another origin."""
    created = create_site("shop", [OTHER_ORIGIN])
    db.session.commit()
    return created


def test_tokens_issued_before_the_site_binding_no_longer_work(app, client, account) -> None:
    """Tokens of the old format (no site) live an hour at most: they are refused at once."""
    unbound = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="commentsvc.api-token").dumps(
        {"a": account.id, "g": account.token_generation}
    )
    same_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=tokens._SALT).dumps(
        {"a": account.id, "g": account.token_generation}
    )

    assert client.get("/api/me", headers=bearer(unbound)).get_json() == {"authenticated": False}
    assert client.post("/api/auth/refresh", headers=bearer(same_salt)).status_code == 401


def test_a_token_is_refused_on_another_sites_threads_and_comments(client, account, shop) -> None:
    blog_token = issue(account)
    shop_token = issue(account, "shop", OTHER_ORIGIN)
    on_shop = client.post(
        "/api/sites/shop/comments",
        json={"url": OTHER_PAGE, "body": "hi"},
        headers=bearer(shop_token),
    )
    assert on_shop.status_code == 201
    shop_comment = on_shop.get_json()["id"]

    posted = client.post(
        "/api/sites/shop/comments",
        json={"url": OTHER_PAGE, "body": "as Ann"},
        headers=bearer(blog_token),
    )
    edited = client.patch(
        f"/api/comments/{shop_comment}", json={"body": "rewritten"}, headers=bearer(blog_token)
    )
    deleted = client.delete(f"/api/comments/{shop_comment}", headers=bearer(blog_token))
    read = client.get(f"/api/sites/shop/thread?url={OTHER_PAGE}", headers=bearer(blog_token))

    for answer in (posted, edited, deleted, read):
        assert answer.status_code == 403, answer.get_json()
        assert answer.headers["Content-Type"] == "application/problem+json"
        assert "site 'blog'" in answer.get_json()["detail"]
    own = client.post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "at home"},
        headers=bearer(blog_token),
    )
    assert own.status_code == 201
    assert own.get_json()["author"]["name"] == "Ann"


def test_a_token_sent_from_another_origin_is_refused(client, account, shop) -> None:
    token = issue(account)

    answer = client.get("/api/me", headers={**bearer(token), "Origin": OTHER_ORIGIN})

    assert answer.status_code == 403
    assert (
        client.get("/api/me", headers={**bearer(token), "Origin": SITE_ORIGIN}).status_code == 200
    )


def test_a_token_dies_with_the_origin_it_was_issued_for(client, account, site) -> None:
    token = issue(account)
    site.origins = ["https://blog.example.com"]
    db.session.commit()

    assert client.get("/api/me", headers=bearer(token)).get_json() == {"authenticated": False}


def test_refresh_keeps_the_site_and_origin(client, account, shop) -> None:
    renewed = client.post("/api/auth/refresh", headers=bearer(issue(account))).get_json()["token"]

    grant = tokens.read_token(renewed)
    assert (grant.site, grant.origin) == ("blog", SITE_ORIGIN)
    answer = client.post(
        "/api/sites/shop/comments", json={"url": OTHER_PAGE, "body": "x"}, headers=bearer(renewed)
    )
    assert answer.status_code == 403


def test_me_shows_an_embedding_page_nothing_it_does_not_need(app, client, account) -> None:
    grant_operator(account, "blog")
    db.session.commit()

    by_token = client.get("/api/me", headers=bearer(issue(account))).get_json()
    with client.session_transaction() as session:  # the service's own pages
        session["account_id"], session["generation"] = account.id, account.token_generation
    by_session = client.get("/api/me").get_json()

    assert by_token["site"] == "blog"
    assert by_token["operator"] is True  # of this site only: the widget offers Pin
    assert set(by_token["account"]) == {"name", "avatar"}  # no id, email, providers or roles
    assert by_session["account"]["operator_of"] == ["blog"]
    assert by_session["account"]["id"] == account.id


def test_an_api_route_that_names_no_site_refuses_reader_tokens(app, client, account) -> None:
    """Fail closed: a new /api/ route that forgets to name its site does not take any site's
    token as its own."""
    app.add_url_rule("/api/unscoped", endpoint="api.unscoped", view_func=lambda: {"ok": True})

    refused = client.get("/api/unscoped", headers=bearer(issue(account)))

    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert client.get("/api/unscoped").status_code == 200
