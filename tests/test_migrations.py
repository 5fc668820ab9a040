"""The migrations build the same schema as the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade

from commentsvc import create_app
from commentsvc.extensions import db
from tests.conftest import base_config


def _emptied(tmp_path: Path, database_url: str) -> Flask:
    """An app on an empty database (the PostgreSQL one is shared with tests that build from
    models), for a test to upgrade."""
    app = create_app(base_config(tmp_path, database_url))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
    return app


def test_migrations_reach_head_and_match_models(tmp_path: Path, database_url: str) -> None:
    app = _emptied(tmp_path, database_url)
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []


def test_upgrade_keeps_addresses_unique_whatever_their_case_and_warns_of_nothing(
    tmp_path: Path, database_url: str
) -> None:
    app = _emptied(tmp_path, database_url)
    with app.app_context():
        with warnings.catch_warnings():
            warnings.simplefilter("error", sa.exc.SAWarning)
            upgrade()
        insert = sa.text(
            "INSERT INTO account (display_name, email, is_email_verified, token_generation,"
            " created_at) VALUES ('Ann', :email, false, 0, '2026-01-01 00:00:00')"
        )
        with db.engine.begin() as connection:
            connection.execute(insert, {"email": "Ann@Example.org"})
        with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
            connection.execute(insert, {"email": "ann@example.org"})
        db.engine.dispose()


FIRST_RELEASE = "01f90fcbf7b5"
NOW = "2026-01-01 00:00:00"


def _first_release_rows(connection, emails: list[str]) -> None:
    """What a first-release database holds: a site, accounts, a titled thread, a mention."""
    connection.execute(sa.text(
        "INSERT INTO site (id, name, origins, moderation, is_guest_allowed, edit_window_seconds,"
        " max_depth, link_limit, blocklist, providers, mentions_display, is_gravatar_enabled,"
        " revision, created_at) VALUES (1, 'blog', '[\"https://blog.example.org\"]', 'none',"
        " true, 900, 5, 3, '[]', '[]', 'separate', false, 0, :now)"
    ), {"now": NOW})  # fmt: skip
    for number, email in enumerate(emails, start=1):
        connection.execute(sa.text(
            "INSERT INTO account (id, display_name, email, is_email_verified, failed_logins,"
            " token_generation, created_at) VALUES (:id, 'Ada', :email, true, 0, 0, :now)"
        ), {"id": number, "email": email, "now": NOW})  # fmt: skip
    connection.execute(sa.text(
        "INSERT INTO thread (id, site_id, url, title, visible_count, revision, created_at)"
        " VALUES (1, 1, 'https://blog.example.org/post/', :title, 1, 1, :now)"
    ), {"title": "Hello\r\nBcc: x@example.org", "now": NOW})  # fmt: skip
    connection.execute(sa.text(
        "INSERT INTO mention (id, thread_id, source, target, kind, type, verification, status,"
        " is_check_pending, check_seq, attempts, created_at, updated_at) VALUES (1, 1,"
        " 'https://other.example/a', 'https://blog.example.org/post', 'pingback', 'mention',"
        " 'verified', 'visible', false, 1, 1, :now, :now)"
    ), {"now": NOW})  # fmt: skip


def _at_first_release(tmp_path: Path, database_url: str) -> Flask:
    app = _emptied(tmp_path, database_url)
    with app.app_context():
        upgrade(revision=FIRST_RELEASE)
    return app


def test_upgrade_from_the_first_release_carries_its_data_over(
    tmp_path: Path, database_url: str
) -> None:
    app = _at_first_release(tmp_path, database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            _first_release_rows(connection, ["Ada@Example.ORG"])
        upgrade()
        with db.engine.connect() as connection:
            email = connection.scalar(sa.text("SELECT email FROM account WHERE id = 1"))
            title = connection.scalar(sa.text("SELECT title FROM thread WHERE id = 1"))
            mention = connection.execute(
                sa.text("SELECT site_id, target, claim_key FROM mention WHERE id = 1")
            ).one()
        db.engine.dispose()
    assert email == "ada@example.org"
    assert title == "Hello Bcc: x@example.org"
    assert mention.site_id == 1
    assert mention.target == "https://blog.example.org/post/"
    assert len(mention.claim_key) == 64


def test_upgrade_stops_and_names_accounts_whose_addresses_differ_only_in_case(
    tmp_path: Path, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _at_first_release(tmp_path, database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            _first_release_rows(connection, ["opa@example.org", "OPA@example.org"])
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error, then exits non-zero
            upgrade()
        db.engine.dispose()
    assert "1 and 2 (opa@example.org)" in caplog.text


BEFORE_IDENTITY = "ddb4c284f540"


def _before_identity(tmp_path: Path, database_url: str) -> Flask:
    """A first-release site, account, thread and mention, upgraded to just before threads
    were keyed by page identity."""
    app = _at_first_release(tmp_path, database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            _first_release_rows(connection, ["ada@example.org"])
        upgrade(revision=BEFORE_IDENTITY)
    return app


def _split_thread_rows(connection) -> None:
    """One page under two spellings (http and https, with and without the slash): two threads,
    a comment on each, and the same source's pingback on each (the first release's rows hold
    the first thread and its mention)."""
    connection.execute(sa.text(
        "INSERT INTO thread (id, site_id, url, visible_count, revision, created_at)"
        " VALUES (2, 1, 'http://blog.example.org/post', 0, 1, :now)"
    ), {"now": NOW})  # fmt: skip
    for number, thread_id in ((1, 1), (2, 2)):
        connection.execute(sa.text(
            "INSERT INTO comment (id, thread_id, depth, body_markdown, body_html, status,"
            " is_notify, ip_hash, created_at) VALUES (:id, :thread, 0, 'hi', '<p>hi</p>',"
            " 'visible', false, 'x', :now)"
        ), {"id": number, "thread": thread_id, "now": NOW})  # fmt: skip
    connection.execute(sa.text(
        "INSERT INTO mention (id, site_id, thread_id, source, target, claim_key, kind, type,"
        " verification, status, is_check_pending, check_seq, attempts, created_at, updated_at)"
        " VALUES (2, 1, 2, 'https://other.example/a', 'http://blog.example.org/post', 'k2',"
        " 'pingback', 'mention', 'queued', 'pending', true, 1, 0, :now, :now)"
    ), {"now": NOW})  # fmt: skip


def test_upgrade_merges_threads_that_are_spellings_of_one_page(
    tmp_path: Path, database_url: str
) -> None:
    app = _before_identity(tmp_path, database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            _split_thread_rows(connection)
        upgrade()
        with db.engine.connect() as connection:
            threads = connection.execute(
                sa.text("SELECT id, identity, visible_count FROM thread")
            ).all()
            comments = connection.scalars(sa.text("SELECT thread_id FROM comment")).all()
            mentions = connection.execute(
                sa.text("SELECT id, thread_id, verification FROM mention")
            ).all()
        db.engine.dispose()
    assert [tuple(row) for row in threads] == [(1, "blog.example.org/post", 3)]
    assert comments == [1, 1]
    assert [tuple(row) for row in mentions] == [(1, 1, "verified")]  # the verified one stays


def test_upgrade_spells_origins_and_links_as_urls_are_now_compared(
    tmp_path: Path, database_url: str
) -> None:
    app = _before_identity(tmp_path, database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            connection.execute(sa.text(
                "UPDATE site SET origins = '[\"https://b\u00fccher.example\"]' WHERE id = 1"
            ))  # fmt: skip
            connection.execute(sa.text(
                "INSERT INTO thread (id, site_id, url, visible_count, revision, created_at)"
                " VALUES (2, 1, 'https://b\u00fccher.example/caf\u00e9/?lang=fr', 0, 1, :now)"
            ), {"now": NOW})  # fmt: skip
        upgrade()
        with db.engine.connect() as connection:
            origins = connection.scalar(sa.text("SELECT origins FROM site WHERE id = 1"))
            link = connection.scalar(sa.text("SELECT url FROM thread WHERE id = 2"))
        db.engine.dispose()
    assert "https://xn--bcher-kva.example" in origins
    assert link == "https://xn--bcher-kva.example/caf%C3%A9/"


def test_upgrade_writes_account_emails_in_composed_unicode(
    tmp_path: Path, database_url: str
) -> None:
    """Sign-in and registration read addresses composed: stored ones are made so, unless
    another account holds the composed form (two accounts are never merged here)."""
    app = _at_first_release(tmp_path, database_url)
    with app.app_context():
        with db.engine.begin() as connection:
            _first_release_rows(
                connection, ["ann@exa\u0308mple.org", "bo@exa\u0308mple.org", "bo@ex\u00e4mple.org"]
            )
        upgrade()
        with db.engine.connect() as connection:
            emails = connection.scalars(sa.text("SELECT email FROM account ORDER BY id")).all()
        db.engine.dispose()
    assert emails == ["ann@ex\u00e4mple.org", "bo@exa\u0308mple.org", "bo@ex\u00e4mple.org"]
