"""The operators moderation, thread and vote tests sign in as: one of the site ``blog`` (the
``site`` fixture of the test's folder) and one of another site, ``shop``, to show that neither
reaches the other's items. A plugin (``pytest_plugins`` in tests/conftest.py), so each folder
does not define them again."""

from __future__ import annotations

import pytest
from flask import Flask, g
from flask.testing import FlaskClient

from commentsvc.extensions import db
from commentsvc.models import Account, Site
from commentsvc.services.accounts import create_account
from commentsvc.services.sites import create_site

PASSWORD = "correct horse battery"


@pytest.fixture
def other_site(app: Flask) -> Site:
    created = create_site("shop", ["https://shop.example.org"])
    db.session.commit()
    return created


@pytest.fixture
def operator(site: Site) -> Account:
    account = create_account("ops@blog.example.org", "Olga Ops", PASSWORD, operator_of=["blog"])
    db.session.commit()
    return account


@pytest.fixture
def other_operator(other_site: Site) -> Account:
    account = create_account("ops@shop.example.org", "Sam Shop", PASSWORD, operator_of=["shop"])
    db.session.commit()
    return account


def sign_in(client: FlaskClient, account: Account) -> FlaskClient:
    """What the sign-in page leaves in the session cookie."""
    with client.session_transaction() as session:
        session["account_id"] = account.id
        session["generation"] = account.token_generation
    # Requests share the fixture's app context: forget the account cached by the last one.
    g.pop("account", None)
    return client
