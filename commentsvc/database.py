"""Engine set-up that differs by database: SQLite gets WAL and a busy timeout."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from commentsvc.extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def configure(app: Flask) -> None:
    from commentsvc.services.thread_cache import install_commit_hooks

    install_commit_hooks()
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)


def is_ready() -> bool:
    """True when the database answers a trivial query (for ``/readyz``)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    return True
