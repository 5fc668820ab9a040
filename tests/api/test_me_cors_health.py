"""/api/me, CORS for the site's origins only, and the health probes."""

from __future__ import annotations

from commentsvc.extensions import db
from commentsvc.services.accounts import create_account, grant_operator
from commentsvc.services.sites import create_site
from commentsvc.tokens import issue_token
from tests.api.conftest import PAGE
from tests.conftest import SITE_ORIGIN


def test_me_as_guest(client) -> None:
    assert client.get("/api/me").json == {"authenticated": False}


def test_me_with_a_bearer_token(client, site) -> None:
    account = create_account("op@example.org", "Op", "long enough password")
    grant_operator(account, "blog")
    db.session.commit()
    token, _ = issue_token(account, "blog", SITE_ORIGIN)
    document = client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).json
    assert document["authenticated"] is True
    assert document["account"]["name"] == "Op"
    assert document["site"] == "blog"
    assert "operator_of" not in document["account"]  # the embedding page needs no roles


def test_me_with_a_forged_token_is_a_guest(client) -> None:
    headers = {"Authorization": "Bearer forged.token.value"}
    assert client.get("/api/me", headers=headers).json == {"authenticated": False}


def test_signed_in_comment_carries_the_account(client, site) -> None:
    account = create_account("ann@example.org", "Ann Account", "long enough password")
    db.session.commit()
    token, _ = issue_token(account, "blog", SITE_ORIGIN)
    response = client.post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "as me", "name": "ignored"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201
    assert response.json["author"]["name"] == "Ann Account"
    assert response.json["author"]["provider"] == "site"
    assert "edit_token" not in response.json
    edit = client.patch(
        f"/api/comments/{response.json['id']}",
        json={"body": "edited"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert edit.status_code == 200


def test_cors_allows_the_site_origin_only(client, site) -> None:
    query = {"url": PAGE}
    allowed = client.get(
        "/api/sites/blog/thread", query_string=query, headers={"Origin": "https://blog.example.org"}
    )
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://blog.example.org"
    assert "Origin" in allowed.headers["Vary"]
    foreign = client.get(
        "/api/sites/blog/thread", query_string=query, headers={"Origin": "https://evil.example"}
    )
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_cors_preflight_for_posting(client, site) -> None:
    response = client.options(
        "/api/sites/blog/comments",
        headers={
            "Origin": "https://blog.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, authorization",
        },
    )
    assert response.status_code == 200
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_only_the_comments_own_site_may_vote_on_it_or_edit_it_from_a_page(client, site) -> None:
    """A page of another site on the service must not make its visitors' browsers vote on
    this site's comments: the preflight names no origin but the comment's site's."""
    create_site("shop", ["https://shop.example.org"])
    db.session.commit()
    comment = client.post(
        "/api/sites/blog/comments", json={"url": PAGE, "body": "hi", "name": "Ann"}
    ).json["id"]
    for origin, is_allowed in [
        ("https://blog.example.org", True),
        ("https://shop.example.org", False),
    ]:
        for method, path in [("PUT", f"/api/comments/{comment}/vote"),
                             ("PATCH", f"/api/comments/{comment}")]:  # fmt: skip
            preflight = client.options(
                path, headers={"Origin": origin, "Access-Control-Request-Method": method}
            )
            allowed = preflight.headers.get("Access-Control-Allow-Origin")
            assert allowed == (origin if is_allowed else None), (origin, path)
    missing = client.options(
        "/api/comments/999999/vote",
        headers={"Origin": "https://blog.example.org", "Access-Control-Request-Method": "PUT"},
    )
    assert "Access-Control-Allow-Origin" not in missing.headers


def test_health_and_readiness(client) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": True, "queue": True}


def test_readiness_reports_an_unreachable_queue(app_config, tmp_path) -> None:
    from tests.conftest import free_port, make_app

    app_config["REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    application = make_app(app_config)
    response = application.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["queue"] is False


def test_avatar_is_served_without_third_parties(client) -> None:
    response = client.get("/avatar/0123456789abcdef0123.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert "http" not in response.get_data(as_text=True).replace("http://www.w3.org/2000/svg", "")
    assert client.get("/avatar/<script>.svg").status_code == 404


def test_avatars_stored_without_a_public_url_never_take_the_callers_host(app_config) -> None:
    """A guest's comment keeps its identicon's URL for every later reader: no Host header of
    the poster's may choose where their browsers fetch it from."""
    from tests.conftest import make_app

    application = make_app({**app_config, "PUBLIC_URL": ""})
    with application.app_context():
        create_site("blog", [SITE_ORIGIN])
        db.session.commit()
    response = application.test_client().post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "hi", "name": "Eve"},
        headers={"Host": "evil.example:666"},
    )
    assert response.status_code == 201, response.json
    assert response.json["author"]["avatar"].startswith("/avatar/")


def test_unknown_route_and_method_get_problem_details(client) -> None:
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    wrong = client.put("/api/sites/blog/comments")
    assert wrong.status_code == 405 and "Allow" in wrong.headers
