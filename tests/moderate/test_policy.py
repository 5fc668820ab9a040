"""Site policies: edited in the moderation UI, applied to new comments posted through the API
(honeypot, minimum fill-in time, link limit, blocklist of words and domains, moderation mode)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import current_app, g

from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Comment, ModerationMode
from tests.moderate.conftest import post_form

PAGE = "https://blog.example.org/post"
POLICY = {
    "moderation": "first-time",
    "guests": "on",
    "providers": ["site"],
    "edit_window": "30",
    "link_limit": "2",
    "blocklist": "Casino\n  spam.example \n\ncasino",
}


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "MIN_FILL_IN_SECONDS": 3}


def _post(client, body: str = "A fair point.", **fields):
    """A guest's comment through the API, from a browser with no session of its own."""
    payload = {"url": PAGE, "body": body, "name": "Ann", "elapsed_ms": 8000, **fields}
    g.pop("account", None)  # requests share the test's app context: no operator left over
    return current_app.test_client().post("/api/sites/blog/comments", json=payload)


def _held_reason(response) -> str | None:
    db.session.expire_all()
    return db.session.get(Comment, response.json["id"]).held_reason


def test_policy_form_saves_every_setting_and_audits_the_change(operator_client, site) -> None:
    page = operator_client.get("/moderate/sites/blog/policy").get_data(as_text=True)
    assert 'name="moderation"' in page and 'value="site"' in page

    response = post_form(operator_client, "/moderate/sites/blog/policy", POLICY)

    assert response.status_code == 302
    db.session.expire_all()
    assert site.moderation == ModerationMode.FIRST_TIME
    assert site.is_guest_allowed is True
    assert site.providers == ["site"]
    assert site.edit_window_seconds == 30 * 60
    assert site.link_limit == 2
    assert site.blocklist == ["casino", "spam.example"]
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.action, entry.target_kind) == ("policy", "site")
    assert entry.before["moderation"] == "none" and entry.after["moderation"] == "first-time"
    assert "is_guest_allowed" not in entry.after  # unchanged settings are not logged


def test_unticking_guests_makes_guests_sign_in(operator_client, site) -> None:
    post_form(operator_client, "/moderate/sites/blog/policy", {**POLICY, "guests": ""})
    db.session.expire_all()
    assert site.is_guest_allowed is False
    assert _post(operator_client).status_code == 401


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("moderation", "sometimes", "Moderation is none, first-time or all"),
        ("edit_window", "-1", "edit window is a whole number"),
        ("edit_window", "99999999", "edit window is a whole number"),
        ("link_limit", "many", "link limit is a whole number"),
        ("providers", ["site", "myspace"], "Offer only providers"),
        ("blocklist", "x" * 101, "at most 100 characters"),
    ],
)
def test_policy_form_refuses_bad_values_with_a_reason(
    operator_client, site, field, value, message
) -> None:
    response = post_form(operator_client, "/moderate/sites/blog/policy", {**POLICY, field: value})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert site.link_limit == 3


def test_honeypot_filled_goes_to_spam(client, site) -> None:
    response = _post(client, hp="http://bot.example")
    assert response.status_code == 202
    assert _held_reason(response) == "honeypot field filled"


def test_comment_written_too_fast_is_held(client, site) -> None:
    response = _post(client, elapsed_ms=900)
    assert response.status_code == 202
    assert _held_reason(response) == "filled in too fast"
    assert _post(client, elapsed_ms=3000).status_code == 201
    assert _post(client).status_code == 201  # API clients that do not time the form


def test_too_many_links_are_held(client, site) -> None:
    site.link_limit = 2
    db.session.commit()
    body = "see https://a.example https://b.example and [c](https://c.example)"
    response = _post(client, body)
    assert response.status_code == 202
    assert _held_reason(response) == "more than 2 links"


@pytest.mark.parametrize(
    ("fields", "entry"),
    [
        ({"body": "Best CASINO bonus"}, "casino"),
        ({"body": "read [this](https://www.spam.example/x)"}, "spam.example"),
        ({"body": "see www.spam.example/offer"}, "spam.example"),
        ({"body": "hi", "website": "https://shop.spam.example"}, "spam.example"),
        ({"body": "hi", "email": "bot@mail.spam.example"}, "spam.example"),
    ],
)
def test_blocklisted_words_and_domains_are_held(client, site, fields, entry) -> None:
    site.blocklist = ["casino", "spam.example"]
    db.session.commit()
    response = _post(client, **fields)
    assert response.status_code == 202
    assert _held_reason(response) == f"blocklist: {entry}"


def test_blocklist_matches_whole_words_and_whole_domains(client, site) -> None:
    site.blocklist = ["casino", "spam.example"]
    db.session.commit()
    assert _post(client, "Occasionally I read https://notspam.example/").status_code == 201


def test_first_time_commenters_wait_until_one_comment_is_approved(operator_client, site) -> None:
    site.moderation = ModerationMode.FIRST_TIME
    db.session.commit()
    first = _post(operator_client, email="ann@example.net")
    assert first.status_code == 202
    assert _held_reason(first) == "first-time commenter"
    post_form(operator_client, "/moderate/act", {"do": f"approve:c:{first.json['id']}"})
    assert _post(operator_client, email="ann@example.net").status_code == 201
    assert _post(operator_client, email="bob@example.net").status_code == 202


def test_moderate_all_holds_everyone(client, site) -> None:
    site.moderation = ModerationMode.ALL
    db.session.commit()
    response = _post(client)
    assert response.status_code == 202
    assert _held_reason(response) == "site moderates every comment"


def test_sites_page_lists_the_operators_sites_with_their_waiting_count(
    operator_client, site
) -> None:
    site.moderation = ModerationMode.ALL
    db.session.commit()
    _post(operator_client)
    html = operator_client.get("/moderate/sites").get_data(as_text=True)
    assert "https://blog.example.org" in html
    assert '<a href="/moderate/?site=blog">1</a>' in html
