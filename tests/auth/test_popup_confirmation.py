"""A reader already signed in on the service: no URL hands an embedding page a token unless the
reader confirms on the service's own page, and each popup completes only the flow it started."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from commentsvc.extensions import db
from commentsvc.services.accounts import create_account
from commentsvc.services.sites import create_site
from commentsvc.tokens import read_token
from tests.auth.conftest import (
    SITE_ORIGIN,
    consent,
    csrf_token,
    local_path,
    popup_message,
    sign_in_popup,
)

SHOP_ORIGIN = "https://shop.example.net"
SHOP = urlencode({"site": "shop", "origin": SHOP_ORIGIN})


@pytest.fixture
def shop(app, site):
    created = create_site("shop", [SHOP_ORIGIN])
    db.session.commit()
    return created


@pytest.fixture
def returning(app, shop):
    """A browser that signed in once through the blog's popup (the service session remains)."""
    client = app.test_client()
    sign_in_popup(client, "twitter")
    return client


def test_a_completion_url_gives_a_returning_reader_only_the_question(returning) -> None:
    opened = returning.get(f"/auth/login/twitter?{SHOP}")
    completed = returning.get("/auth/complete")

    for page in (opened, completed):
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "commentsvc:signed-in" not in html and "postMessage" not in html
        assert "Continue as Alice Example on https://shop.example.net" in html
        assert '<button type="submit" id="continue" disabled>' in html  # armed after a moment
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def test_confirming_hands_over_a_token_for_the_site_shown(returning) -> None:
    question = returning.get(f"/auth/login/twitter?{SHOP}").get_data(as_text=True)

    answer = returning.post(
        f"/auth/continue/twitter?{SHOP}", data={"csrf_token": csrf_token(question)}
    )

    message = popup_message(answer.get_data(as_text=True))
    assert message["account"]["name"] == "Alice Example"
    grant = read_token(message["token"])
    assert (grant.site, grant.origin) == ("shop", SHOP_ORIGIN)
    assert f'var origin = "{SHOP_ORIGIN}";' in answer.get_data(as_text=True)


def test_a_confirmation_without_the_pages_csrf_token_is_refused(returning) -> None:
    answer = returning.post(f"/auth/continue/twitter?{SHOP}")

    assert answer.status_code == 400
    assert "commentsvc:signed-in" not in answer.get_data(as_text=True)


def test_a_confirmation_for_an_origin_not_of_the_site_is_refused(returning) -> None:
    question = returning.get(f"/auth/login/twitter?{SHOP}").get_data(as_text=True)
    forged = urlencode({"site": "shop", "origin": SITE_ORIGIN})

    answer = returning.post(
        f"/auth/continue/twitter?{forged}", data={"csrf_token": csrf_token(question)}
    )

    assert answer.status_code == 403


def test_a_completion_url_without_a_signed_in_reader_gives_nothing(app, shop) -> None:
    client = app.test_client()
    client.get(f"/auth/login/twitter?{SHOP}")

    answer = client.get("/auth/complete")

    assert answer.status_code == 400
    assert "commentsvc:signed-in" not in answer.get_data(as_text=True)


def test_another_account_can_be_chosen_instead(returning) -> None:
    answer = returning.get(f"/auth/login/twitter?{SHOP}&switch=1")

    assert answer.status_code == 302  # on to the provider, as a new sign-in
    message = popup_message(
        returning.get(local_path(consent(answer.headers["Location"], "bob"))).get_data(as_text=True)
    )
    assert message["account"]["name"] == "Bob Example"
    assert read_token(message["token"]).site == "shop"


def test_choosing_another_account_but_coming_back_as_the_same_reader_still_asks(returning) -> None:
    """A provider that re-approves a returning user without a click (X can) must not turn
    "use another account" into a token for the page that opened the popup."""
    answer = returning.get(f"/auth/login/twitter?{SHOP}&switch=1")

    back = returning.get(local_path(consent(answer.headers["Location"], "alice")))

    html = back.get_data(as_text=True)
    assert "commentsvc:signed-in" not in html and "postMessage" not in html
    assert "Continue as Alice Example on https://shop.example.net" in html


def test_a_site_account_reader_is_asked_too_and_may_sign_in_as_another(app, shop) -> None:
    create_account("ann@example.org", "Ann", "correct horse battery", is_email_verified=True)
    db.session.commit()
    client = app.test_client()
    blog = "/auth/login/site?" + urlencode({"site": "blog", "origin": SITE_ORIGIN})
    form = client.get(blog).get_data(as_text=True)
    data = {"email": "ann@example.org", "password": "correct horse battery"}
    assert client.post(blog, data={**data, "csrf_token": csrf_token(form)}).status_code == 200

    question = client.get(f"/auth/login/site?{SHOP}").get_data(as_text=True)
    other = client.get(f"/auth/login/site?{SHOP}&switch=1").get_data(as_text=True)

    assert "Continue as Ann on https://shop.example.net" in question
    assert "commentsvc:signed-in" not in question
    assert 'name="password"' in other and "To comment on" in other


def test_each_callback_completes_the_flow_its_own_popup_started(app, shop) -> None:
    """Another window opening a sign-in for another site meanwhile cannot take over the one the
    reader is doing: the token goes to the site of the popup the reader signed in with."""
    client = app.test_client()
    reader = client.get(f"/auth/login/twitter?site=blog&origin={SITE_ORIGIN}")
    client.get(f"/auth/login/twitter?{SHOP}")  # opened by the other site's page

    done = client.get(local_path(consent(reader.headers["Location"])))

    message = popup_message(done.get_data(as_text=True))
    assert read_token(message["token"]).site == "blog"
    assert f'var origin = "{SITE_ORIGIN}";' in done.get_data(as_text=True)
