"""Site accounts: register, confirm by mail, sign in (popup and page), reset a password,
lock-out, and no user enumeration. Mail goes through a real local SMTP server."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from commentsvc.errors import Conflict
from commentsvc.extensions import db
from commentsvc.models import Account
from commentsvc.models.account import LoginFailure
from commentsvc.services.accounts import MAX_FAILED_LOGINS, create_account, set_password
from commentsvc.tokens import issue_token, read_token
from tests.auth.conftest import SITE_ORIGIN, csrf_token, local_path, popup_message
from tests.conftest import make_app
from workers.mail import send_mail

PASSWORD = "correct horse battery"


def form_post(client, path: str, data: dict[str, str], page: str | None = None):
    """Submit a form the way a browser does: fetch it, then post with its CSRF token."""
    html = client.get(page or path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_token(html)})


def link_in(message, path: str) -> str:
    body = message.get_payload(decode=True).decode()
    match = re.search(rf"http://comments\.test{path}\S+", body)
    assert match, body
    return local_path(match.group(0))


@pytest.fixture
def ann(app):
    account = create_account("ann@example.org", "Ann", PASSWORD, is_email_verified=True)
    db.session.commit()
    return account


def register(client, email="new@example.org", name="Newcomer", password=PASSWORD):
    return form_post(client, "/auth/register", {"email": email, "name": name, "password": password})


def test_register_confirm_by_mailed_link_then_sign_in(client, mailbox) -> None:
    answer = register(client)
    assert answer.status_code == 200
    assert "Check your email" in answer.get_data(as_text=True)

    (message,) = mailbox.wait_for(1)
    assert message["To"] == "new@example.org"
    assert message["From"] == "Comments <comments@comments.test>"
    link = link_in(message, "/auth/verify/")
    asked = client.get(link)  # what a mail scanner fetches: it only asks
    assert asked.status_code == 200 and "Confirm my address" in asked.get_data(as_text=True)
    assert not db.session.get(Account, 1).is_email_verified
    confirmed = client.post(link)
    assert confirmed.status_code == 200
    db.session.expire_all()
    assert db.session.get(Account, 1).is_email_verified

    signed_in = form_post(
        client, "/auth/login/site", {"email": "new@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/auth/account"


def test_unconfirmed_account_cannot_sign_in_and_gets_a_new_link(client, mailbox) -> None:
    register(client)
    mailbox.wait_for(1)

    answer = form_post(
        client, "/auth/login/site", {"email": "new@example.org", "password": PASSWORD}
    )

    assert answer.status_code == 401
    assert "Follow the link we mailed to confirm the address" in answer.get_data(as_text=True)
    mailbox.wait_for(2)


def test_registering_then_signing_in_tells_no_one_whether_the_address_was_taken(
    client, ann
) -> None:
    """A stranger registers an address with a password of their choosing, then signs in with
    it: a free address (an unconfirmed account now) and a taken one answer alike."""
    answers = []
    for email in ("ann@example.org", "free@example.org"):
        register(client, email=email, password="the strangers pass")
        data = {"email": email, "password": "the strangers pass"}
        answers.append(form_post(client, "/auth/login/site", data))
    taken, free = answers
    assert free.status_code == taken.status_code == 401

    def alert(answer) -> str:
        return re.search(r'role="alert">([^<]*)<', answer.get_data(as_text=True))[1]

    assert alert(free) == alert(taken)


def test_a_registration_that_loses_the_race_for_its_address_answers_as_a_taken_one(
    client, ann, mailbox, monkeypatch
) -> None:
    """Two registrations of one address at once: the second one's insert hits the unique
    index, and it answers as a registration of a taken address does (no 500, no tell)."""
    monkeypatch.setattr(
        "commentsvc.auth.site_views.find_account_by_email", lambda email: None, raising=True
    )
    answer = register(client, email="ann@example.org")
    assert answer.status_code == 200
    assert "Check your email" in answer.get_data(as_text=True)
    assert db.session.query(Account).count() == 1


def test_registering_a_taken_address_looks_the_same_and_mails_the_owner(
    client, ann, mailbox
) -> None:
    fresh = register(client, email="someone@example.org")
    taken = register(client, email="ANN@example.org".lower())

    assert taken.status_code == fresh.status_code == 200
    assert taken.get_data(as_text=True) == fresh.get_data(as_text=True)
    messages = mailbox.wait_for(2)
    owner_mail = next(m for m in messages if m["To"] == "ann@example.org")
    assert owner_mail["Subject"] == "You already have an account"
    assert db.session.query(Account).count() == 2


def test_wrong_password_unknown_email_and_locked_account_get_the_same_answer(client, ann) -> None:
    wrong = form_post(
        client, "/auth/login/site", {"email": "ann@example.org", "password": "x" * 12}
    )
    unknown = form_post(
        client, "/auth/login/site", {"email": "zed@example.org", "password": "x" * 12}
    )

    assert wrong.status_code == unknown.status_code == 401
    text = "do not match a confirmed account"
    assert text in wrong.get_data(as_text=True) and text in unknown.get_data(as_text=True)


def test_unknown_email_takes_about_as_long_as_a_wrong_password(client, ann) -> None:
    def timed(email: str) -> float:
        html = client.get("/auth/login/site").get_data(as_text=True)
        data = {"email": email, "password": "wrong password!", "csrf_token": csrf_token(html)}
        started = time.perf_counter()
        client.post("/auth/login/site", data=data)
        return time.perf_counter() - started

    timed("zed@example.org")  # warm the dummy hash
    known = sorted(timed("ann@example.org") for _ in range(5))[2]
    unknown = sorted(timed("zed@example.org") for _ in range(5))[2]

    # Without the throw-away hash an unknown email answers in a few milliseconds, a
    # twentieth of an argon2 check: the medians must be of the same order.
    assert unknown > known * 0.4, (known, unknown)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, ann) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        form_post(client, "/auth/login/site", {"email": "ann@example.org", "password": "nope" * 3})

    right = form_post(
        client, "/auth/login/site", {"email": "ann@example.org", "password": PASSWORD}
    )

    assert right.status_code == 401
    lock = db.session.scalars(sa.select(LoginFailure)).one()
    assert lock.account_id == ann.id and lock.locked_until is not None


def sign_in_from(client, address: str, email: str, password: str):
    """The sign-in form fetched and posted from client ``address``."""
    address_of = {"REMOTE_ADDR": address}
    html = client.get("/auth/login/site", environ_overrides=address_of).get_data(as_text=True)
    data = {"email": email, "password": password, "csrf_token": csrf_token(html)}
    return client.post("/auth/login/site", data=data, environ_overrides=address_of)


def test_wrong_passwords_from_elsewhere_do_not_lock_the_operator_out(client, site) -> None:
    create_account("op@example.org", "Olga", PASSWORD, operator_of=["blog"], is_email_verified=True)
    db.session.commit()
    for _ in range(MAX_FAILED_LOGINS + 2):
        assert (
            sign_in_from(client, "203.0.113.9", "op@example.org", "guess " * 3).status_code == 401
        )

    owner = sign_in_from(client, "198.51.100.7", "op@example.org", PASSWORD)
    guesser = sign_in_from(client, "203.0.113.9", "op@example.org", PASSWORD)

    assert owner.status_code == 302
    assert guesser.status_code == 401  # the guessing address stays locked, right password or not


def test_one_ipv6_client_cannot_dodge_the_lock_by_changing_its_interface_address(
    client, ann
) -> None:
    for host in range(1, MAX_FAILED_LOGINS + 1):
        sign_in_from(client, f"2001:db8:1:2::{host}", "ann@example.org", "guess " * 3)

    same_network = sign_in_from(client, "2001:db8:1:2::ffff", "ann@example.org", PASSWORD)
    other_network = sign_in_from(client, "2001:db8:1:3::1", "ann@example.org", PASSWORD)

    assert same_network.status_code == 401
    assert other_network.status_code == 302


def test_a_password_reset_lifts_the_locks(client, ann) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        sign_in_from(client, "203.0.113.9", "ann@example.org", "guess " * 3)

    set_password(ann, "a brand new password")
    db.session.commit()

    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginFailure)) == 0
    assert (
        sign_in_from(client, "203.0.113.9", "ann@example.org", "a brand new password").status_code
        == 302
    )


# ---------------------------------------------------------------- addresses without regard to case


def test_an_address_in_other_case_registers_no_second_account(client, ann, mailbox) -> None:
    answer = register(client, email="ANN@Example.org")

    assert "Check your email" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1
    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "You already have an account"
    assert message["To"] == "ann@example.org"


def test_sign_in_and_reset_find_the_account_whatever_the_case(client, ann) -> None:
    signed_in = form_post(
        client, "/auth/login/site", {"email": "Ann@EXAMPLE.org", "password": PASSWORD}
    )

    assert signed_in.status_code == 302
    with pytest.raises(Conflict):
        create_account("aNN@example.org", "Twin", PASSWORD)


def test_new_addresses_are_stored_lower_cased(app) -> None:
    account = create_account("Opa@Example.ORG", "Opa", PASSWORD)

    assert account.email == "opa@example.org"


def test_the_database_refuses_two_addresses_differing_in_case(app, ann) -> None:
    db.session.add(Account(email="ANN@example.org", display_name="Twin"))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


# ---------------------------------------------------------------- mail to unconfirmed addresses


def test_mail_to_an_unconfirmed_address_carries_nothing_the_registrant_chose(
    client, mailbox
) -> None:
    chosen = "Cheap pills at spam.example"
    register(client, email="victim@example.org", name=chosen)
    register(client, email="victim@example.org", name="Other")  # the "already have" mail
    form_post(client, "/auth/forgot", {"email": "victim@example.org"})

    messages = mailbox.wait_for(3)
    for message in messages:
        body = message.get_payload(decode=True).decode()
        assert chosen not in body and chosen not in message["Subject"], body
        assert body.startswith("Hello,\r\n")


def test_sign_in_posts_are_rate_limited_per_address(app_config) -> None:
    limited = make_app({**app_config, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        client = limited.test_client()
        data = {"email": "x@example.org", "password": "p" * 12}
        statuses = [form_post(client, "/auth/login/site", data).status_code for _ in range(11)]

    assert statuses == [401] * 10 + [429]


def test_one_inbox_gets_a_bounded_number_of_account_mails(app_config, mailbox) -> None:
    """Clients at many addresses asking for resets of one account flood no inbox: past its
    share the form answers as ever (it tells no one whether the account exists), unsent."""
    limited = make_app({**app_config, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        create_account("ann@example.org", "Ann", PASSWORD, is_email_verified=True)
        db.session.commit()
    answers = []
    for n in range(8):  # each request in an app context of its own, as a server runs them
        client = limited.test_client()
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n + 1}"
        answers.append(form_post(client, "/auth/forgot", {"email": "ann@example.org"}))

    assert [answer.status_code for answer in answers] == [200] * 8
    assert len(mailbox.wait_for(5)) == 5
    time.sleep(1)  # the jobs run in process: any sixth mail would be there by now
    assert len(mailbox.messages) == 5


def test_password_reset_by_mailed_link_works_once_and_signs_out_elsewhere(
    client, site, ann, mailbox
) -> None:
    old_token, _ = issue_token(ann, "blog", SITE_ORIGIN)
    answer = form_post(client, "/auth/forgot", {"email": "ann@example.org"})
    assert "If an account uses that address" in answer.get_data(as_text=True)
    (message,) = mailbox.wait_for(1)
    reset = link_in(message, "/auth/reset/")

    done = form_post(client, reset, {"password": "a brand new password"})
    assert done.status_code == 200
    again = client.get(reset)
    assert again.status_code == 400
    assert client.get("/api/me", headers={"Authorization": f"Bearer {old_token}"}).get_json() == {
        "authenticated": False
    }
    fresh = form_post(
        client, "/auth/login/site", {"email": "ann@example.org", "password": "a brand new password"}
    )
    assert fresh.status_code == 302


def test_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(
    client, ann, mailbox
) -> None:
    known = form_post(client, "/auth/forgot", {"email": "ann@example.org"})
    unknown = form_post(client, "/auth/forgot", {"email": "zed@example.org"})

    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    mailbox.wait_for(1)
    time.sleep(0.2)
    assert [m["To"] for m in mailbox.messages] == ["ann@example.org"]


def test_site_sign_in_in_the_popup_hands_a_token_to_the_widget(client, site, ann) -> None:
    path = "/auth/login/site?" + urlencode({"site": "blog", "origin": SITE_ORIGIN})
    answer = form_post(client, path, {"email": "ann@example.org", "password": PASSWORD})

    assert answer.status_code == 200  # the answer to the posted form hands the token over
    message = popup_message(answer.get_data(as_text=True))
    assert message["account"]["name"] and "email" not in message["account"]
    assert read_token(message["token"]).site == "blog"


def test_operator_sign_in_page_goes_on_to_next(client, site, ann) -> None:
    answer = form_post(
        client,
        "/auth/login/site?next=/moderate/",
        {"email": "ann@example.org", "password": PASSWORD},
    )

    assert answer.headers["Location"] == "/moderate/"
    with client.session_transaction() as session:
        assert session["account_id"] == ann.id
        assert session["generation"] == ann.token_generation


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
     "/\r\nLocation: https://evil.example", "http:/evil.example"],
)  # fmt: skip
def test_next_pointing_anywhere_but_this_service_is_refused(client, ann, target) -> None:
    answer = client.get("/auth/login/site?" + urlencode({"next": target}))

    assert answer.status_code == 400


def test_forms_without_the_csrf_token_are_refused(client, ann) -> None:
    for path, data in [
        ("/auth/login/site", {"email": "ann@example.org", "password": PASSWORD}),
        ("/auth/register", {"email": "b@example.org", "name": "B", "password": PASSWORD}),
        ("/auth/forgot", {"email": "ann@example.org"}),
    ]:
        answer = client.post(path, data=data)
        assert answer.status_code == 400, path
        assert "form expired" in answer.get_data(as_text=True)


def test_confirmation_link_confirms_but_does_not_sign_in(client, mailbox) -> None:
    register(client)
    link = link_in(mailbox.wait_for(1)[0], "/auth/verify/")

    assert client.post(link).status_code == 200
    assert client.get("/auth/account").status_code == 302  # still signed out


def test_forged_confirmation_and_reset_links_are_refused(client, ann) -> None:
    assert client.get("/auth/verify/eyJhIjoxfQ.forged.sig").status_code == 400
    assert client.post("/auth/verify/eyJhIjoxfQ.forged.sig").status_code == 400
    assert client.get("/auth/reset/eyJhIjoxfQ.forged.sig").status_code == 400
    assert not db.session.get(Account, ann.id).password_hash.startswith("forged")


@pytest.mark.redis
def test_mail_is_queued_by_the_request_and_sent_by_an_rq_worker(
    app_config, redis_url, mailbox
) -> None:
    from rq import SimpleWorker

    from commentsvc.jobs import queue

    queued = make_app({**app_config, "REDIS_URL": redis_url})
    with queued.app_context():
        answer = register(queued.test_client())
        assert answer.status_code == 200
        assert mailbox.messages == []  # the request only queued the job
        assert queue(queued).count == 1

        SimpleWorker([queue(queued)], connection=queue(queued).connection).work(burst=True)

    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "Confirm your email address"


@pytest.mark.parametrize(
    "email",
    [
        "me@evil.example,stranger@victim.example",
        "undisclosed:g1@victim.example,g2@victim.example;",
        "Me <me@evil.example>",
        "me@evil.example\r\nBcc: x@evil.example",
        "me\u2028you@evil.example",
        '"me you"@evil.example',
    ],
)
def test_registration_takes_one_plain_address_and_mails_nobody_else(client, mailbox, email) -> None:
    answer = register(client, email=email)
    assert answer.status_code == 400
    assert "one email address" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0
    assert mailbox.envelopes == []


def test_mail_goes_to_the_one_stored_address_only(app, mailbox) -> None:
    """An address stored before they were checked this strictly is never mailed as a list."""
    send_mail("ann@example.org", "Hello", "text")
    send_mail("ann@example.org,bob@example.org", "Hello", "text")
    mailbox.wait_for(1)
    assert [recipients for _, recipients in mailbox.envelopes] == [["ann@example.org"]]


def test_one_inbox_spelt_in_decomposed_unicode_is_the_same_address(client) -> None:
    assert register(client, email="ann@exa\u0308mple.org").status_code == 200
    assert register(client, email="ANN@ex\u00e4mple.org").status_code == 200
    assert db.session.scalars(sa.select(Account.email)).all() == ["ann@ex\u00e4mple.org"]


def test_a_database_error_carries_no_values_into_the_log(app) -> None:
    """The traceback of a failed statement is logged: it must not show a password's hash."""
    create_account("ann@example.org", "Ann", PASSWORD)
    db.session.commit()
    secret_hash = "$argon2id$v=19$secret-hash-value"
    duplicate = Account(email="ann@example.org", display_name="Ann", password_hash=secret_hash)
    db.session.add(duplicate)
    with pytest.raises(sa.exc.IntegrityError) as raised:
        db.session.flush()
    db.session.rollback()
    assert secret_hash not in str(raised.value)
    assert "hidden due to hide_parameters" in str(raised.value)


def test_a_display_name_is_one_line(client) -> None:
    assert register(client, name="Ann\nBcc: x@evil.example").status_code == 200
    assert db.session.scalars(sa.select(Account.display_name)).one() == "Ann Bcc: x@evil.example"
