"""Engine set-up that differs by database (SQLite gets WAL and a busy timeout), and telling a
database that went away (a restart, a failover) from a fault in the request.

The pool tests each connection before lending it (``pool_pre_ping``, set with the engine
options in config.py), so after a restart requests get fresh connections instead of dead ones.
A connection can still break under a request; :func:`may_retry` says whether that request
can simply run again.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, has_request_context, request

from commentsvc.extensions import db

# Methods that change nothing: running one again after a lost connection is safe.
RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a 503 tells clients to wait: a fast restart of PostgreSQL takes a few seconds.
RETRY_AFTER_SECONDS = 5


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
    if not sa.event.contains(sa.orm.Session, "after_commit", _note_commit):
        sa.event.listen(sa.orm.Session, "after_commit", _note_commit)
    app.teardown_appcontext(_close_session)  # last registered, first run: before Flask-SQLAlchemy's
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)


def statement_by_statement() -> None:
    """From the request's first statement on, commit each statement as it runs (PostgreSQL's
    autocommit): for a request whose only write is one statement, which then commits alone
    and needs no BEGIN and COMMIT round trips (two of a guest's post's five). Anything that
    must write more than one statement calls :func:`as_one_transaction` first. A no-op on
    SQLite (no round trips to save) and once the request has run a statement."""
    session = db.session()
    if session.in_transaction() or session.get_bind().dialect.name != "postgresql":
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def as_one_transaction() -> None:
    """What the request writes from here on commits, or rolls back, as one: leaves the mode
    :func:`statement_by_statement` set (the connection is between statements then, so the
    driver begins a transaction before the next one; the session's commit or rollback ends it,
    and the pool restores the connection's isolation level when it gets it back)."""
    connection = db.session.connection()
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        connection.connection.dbapi_connection.autocommit = False


def is_ready() -> bool:
    """True when the database answers a trivial query (for ``/readyz``)."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return False
    return True


def is_unavailable(error: BaseException) -> bool:
    """The database went away, through no fault of the request.

    A connection that broke under a statement comes back flagged ``connection_invalidated``
    (and the pool drops its other connections, which died with it); one that could not be
    opened at all (server down or starting up) fails with no statement.
    """
    return isinstance(error, sa.exc.DBAPIError) and (
        error.connection_invalidated or error.statement is None
    )


def _close_session(_error: BaseException | None) -> None:
    """End the request's session even if the database died after its last statement.

    Closing rolls back, and a rollback on a dead connection raises: that would turn a request
    already answered into a 500. The failed rollback has invalidated the connection, so a
    second close only discards the session.
    """
    try:
        db.session.remove()
    except sa.exc.DBAPIError as error:
        if not is_unavailable(error):
            raise
        db.session.remove()


# Marks kept on the request itself, not on ``g``: an app context can outlive one request.
_COMMITTED = "commentsvc.database_committed"
_RETRIED = "commentsvc.database_retried"


def _note_commit(_session: sa.orm.Session) -> None:
    if has_request_context():
        request.environ[_COMMITTED] = True


def may_retry() -> bool:
    """True once per request, for one that changes nothing and has committed nothing yet.

    A GET that committed (a confirmation link) is not run twice: its second run would find
    its own first one done.
    """
    marks = request.environ
    if request.method not in RETRYABLE_METHODS or marks.get(_COMMITTED) or marks.get(_RETRIED):
        return False
    marks[_RETRIED] = True
    return True
