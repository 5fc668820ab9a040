"""A pingback while PostgreSQL restarts: the sender gets an XML-RPC fault, never a 500.

A restart drops every open connection and refuses new ones until the server is back. Here the
same happens for real to the test's database: its connections are terminated and new ones
refused (``ALLOW_CONNECTIONS false``) while a pingback arrives, then connections are allowed
again and the next pingback goes through.
"""

from __future__ import annotations

import logging
import os
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from tests.mentions.helpers import TARGET
from tests.workers.pages import link_page


@pytest.fixture
def database_url(postgres_url: str) -> str:
    """PostgreSQL only: SQLite has no server to restart."""
    return postgres_url


@contextmanager
def database_down(database: str) -> Iterator[None]:
    admin = sa.create_engine(
        os.environ["COMMENTSVC_TEST_POSTGRES_URL"], isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS false'))
            connection.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": database},
            )
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'ALTER DATABASE "{database}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


def test_pingback_while_the_database_restarts_gets_an_upstream_fault(
    app, site, serve, pages, caplog
):
    source = pages.html("/p", link_page(TARGET))
    server = serve(app)
    database = db.engine.url.database
    with xmlrpc.client.ServerProxy(f"{server.url}/pingback/blog") as proxy:
        assert "being checked" in proxy.pingback.ping(pages.url("/warm-up"), TARGET)
        db.session.remove()  # the test's own connection goes down with the others
        with database_down(database), pytest.raises(xmlrpc.client.Fault) as raised:
            proxy.pingback.ping(source, TARGET)
        assert raised.value.faultCode == 0x0032
        assert "upstream error" in raised.value.faultString.lower()
        assert any(
            record.levelno == logging.ERROR and "failed inside" in record.getMessage()
            for record in caplog.records
        )
        assert "being checked" in proxy.pingback.ping(source, TARGET)  # back: it goes through
        proxy("close")()
