"""Hostile sign-in attempts: each refused with a clear 4xx."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Identity
from tests.auth.conftest import SITE_ORIGIN, consent, csrf_token, local_path


def start(client, provider: str = "twitter", origin: str = SITE_ORIGIN, site: str = "blog"):
    return client.get(f"/auth/login/{provider}?" + urlencode({"site": site, "origin": origin}))


def test_callback_with_a_state_this_browser_did_not_start_is_refused(app, site) -> None:
    victim, attacker = app.test_client(), app.test_client()
    start(victim)
    attacker_start = start(attacker)
    callback = consent(attacker_start.headers["Location"])

    answer = victim.get(local_path(callback))  # login CSRF: the attacker's code in the victim

    assert answer.status_code == 400
    assert "not started in this browser" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Identity)) == 0


def test_callback_with_a_tampered_state_is_refused(client, site) -> None:
    callback = consent(start(client).headers["Location"])
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    query["state"] = ["forged" + query["state"][0][6:]]

    answer = client.get(f"{parts.path}?{urlencode(query, doseq=True)}")

    assert answer.status_code == 400


def test_replayed_authorization_code_is_refused(app, site, oauth_providers) -> None:
    client = app.test_client()
    callback = consent(start(client).headers["Location"])
    cookie_before = client.get_cookie("session").value
    assert client.get(local_path(callback)).status_code == 200

    # The same callback again: the state was used up.
    assert client.get(local_path(callback)).status_code == 400
    # Even with the session cookie from before the first use, the provider refuses the code.
    client.set_cookie("session", cookie_before)
    replay = client.get(local_path(callback))
    assert replay.status_code == 400
    assert "Invalid &#39;code&#39;" in replay.get_data(as_text=True)  # invalid_grant
    assert len(oauth_providers["twitter"].used_codes) == 1


def test_consent_denied_at_the_provider_is_reported(client, site) -> None:
    authorize = start(client).headers["Location"]
    denied = requests.post(authorize, data={"confirm": "no"}, allow_redirects=False, timeout=5)

    answer = client.get(local_path(denied.headers["Location"]))

    assert answer.status_code == 400
    assert "denied the request" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example",
        "https://blog.example.org.evil.example",
        "null",
        "javascript:alert(1)",
    ],
)
def test_popup_for_an_origin_outside_the_site_is_refused(client, site, origin) -> None:
    answer = start(client, origin=origin)

    assert answer.status_code in {400, 403}
    assert "Location" not in answer.headers


def test_popup_without_site_or_for_unknown_site_is_refused(client, site) -> None:
    assert client.get(f"/auth/login/twitter?origin={SITE_ORIGIN}").status_code == 400
    assert start(client, site="nope").status_code == 404


def test_provider_not_offered_by_the_site_is_refused(client, site) -> None:
    site.providers = ["facebook"]
    db.session.commit()

    assert start(client, "twitter").status_code == 403
    assert start(client, "facebook").status_code == 302


def test_unconfigured_provider_is_not_found(client, site) -> None:
    assert start(client, "github").status_code == 404


def test_completion_without_a_sign_in_is_refused(client, site) -> None:
    answer = client.get("/auth/complete")

    assert answer.status_code == 400
    assert "postMessage" not in answer.get_data(as_text=True)


def test_origin_removed_from_site_during_sign_in_gets_no_token(client, site) -> None:
    callback = consent(start(client).headers["Location"])
    site.origins = ["https://other.example"]
    db.session.commit()

    answer = client.get(local_path(callback))

    assert answer.status_code == 403
    assert "commentsvc:signed-in" not in answer.get_data(as_text=True)


def test_id_token_with_a_wrong_nonce_is_refused(client, site, oauth_providers) -> None:
    authorize = start(client, "acme").headers["Location"]
    parts = urlsplit(authorize)
    query = parse_qs(parts.query)
    query["nonce"] = ["not-the-nonce-the-client-sent"]
    forged = f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query, doseq=True)}"

    answer = client.get(local_path(consent(forged)))

    assert answer.status_code == 400
    assert "nonce" in answer.get_data(as_text=True).lower()


def test_unreachable_oidc_issuer_is_a_clear_502(app_config) -> None:
    from tests.conftest import free_port, make_app

    broken = make_app(
        {
            **app_config,
            "OIDC_DOWN_ISSUER": f"http://127.0.0.1:{free_port()}",
            "OIDC_DOWN_CLIENT_ID": "x",
            "OIDC_DOWN_CLIENT_SECRET": "y",
        }
    )
    with broken.app_context():
        answer = broken.test_client().get("/auth/login/down")

    assert answer.status_code == 502
    assert "cannot be reached" in answer.get_data(as_text=True)


def test_next_off_this_service_is_refused_for_provider_sign_in_and_sign_out(client) -> None:
    assert client.get("/auth/login/twitter?next=https://evil.example/").status_code == 400
    html = client.get("/auth/logout").get_data(as_text=True)
    answer = client.post("/auth/logout?next=//evil.example/", data={"csrf_token": csrf_token(html)})
    assert answer.status_code == 200  # signed out, and no redirect anywhere
    assert "Location" not in answer.headers
