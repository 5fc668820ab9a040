"""The posting floors: bare Flask apps that take a comment as the service's API does, under the
same gunicorn settings, and do nothing else. ``BENCH_FLOOR_STORE`` says how far they go:

- ``none``: parse the JSON and answer 201 with the comment (what Flask, gunicorn and a new
  connection per request cost);
- ``transaction``: also store the comment with one INSERT ... RETURNING in a transaction of
  its own on ``BENCH_FLOOR_DATABASE_URL``, checked out with a pre-ping as the service's pool
  does (ping, BEGIN, INSERT, COMMIT: four round trips);
- ``statement``: the same INSERT alone in autocommit, without the ping (one round trip): the
  least any post that stores a comment durably can do;
- ``service-sql``: the service's own statements for a guest's post, on the service's database,
  with the pre-ping, and nothing around them. On PostgreSQL each commits alone: the site,
  thread and ban read, then the comment's INSERT with its thread's count (ping, two
  statements); on SQLite one transaction reads, inserts and recounts.

A post of the service does more (limits, Markdown, the site's policy, the thread's count, the
live event); the floors show how much of its time that takes, and what the stack leaves.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, request

from commentsvc.models import CommentStatus, Thread
from commentsvc.models.base import utcnow
from commentsvc.services.bans import ban_values

# The very statements a post runs (private to the service: this floor is their only other user).
from commentsvc.services.comments import (
    _COUNTED_PREFIX,
    _NEW_COMMENT,
    _insert_counted_statement,
    _insert_statement,
    _target_query,
)
from commentsvc.services.threads import _recount
from commentsvc.urls import page_identity

STORE = os.environ.get("BENCH_FLOOR_STORE", "none")
COMMENTS = sa.Table(
    "posting_floor_comment",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("url", sa.String(2048), nullable=False, index=True),
    sa.Column("author_name", sa.String(200)),
    sa.Column("body_markdown", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


def _engine() -> sa.Engine | None:
    """The floor's pool; its table is created by the bench before any floor starts."""
    if STORE == "none":
        return None
    url = os.environ["BENCH_FLOOR_DATABASE_URL"]
    if STORE == "statement":
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT", pool_use_lifo=True)
    else:
        engine = sa.create_engine(url, pool_pre_ping=True, pool_use_lifo=True)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _as_the_service_runs_sqlite)
    return engine


def _as_the_service_runs_sqlite(connection: Any, _record: object) -> None:
    """WAL and synchronous=NORMAL, the service's own SQLite settings."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")


engine = _engine()
app = Flask(__name__)


def _store(pool: sa.Engine, document: dict[str, Any]) -> int:
    row = {
        "url": document["url"],
        "author_name": document.get("name"),
        "body_markdown": document["body"],
        "created_at": utcnow(),
    }
    statement = COMMENTS.insert().returning(COMMENTS.c.id)
    with pool.begin() if STORE == "transaction" else pool.connect() as connection:
        return connection.execute(statement, row).scalar_one()


def _guest_comment(document: dict[str, Any], ip_hash: str) -> dict[str, Any]:
    """The columns the service gives a guest's visible top-level comment."""
    return {
        "created_at": utcnow(),
        "parent_id": None,
        "depth": 0,
        "account_id": None,
        "body_markdown": document["body"],
        "body_html": document["body"],
        "status": CommentStatus.VISIBLE,
        "held_reason": None,
        "is_notify": False,
        "ip_hash": ip_hash,
        "edit_token_hash": ip_hash,
        "voter_hash": None,
        "author_name": document.get("name"),
        "author_email": None,
        "author_website": None,
        "author_avatar": "",
        "author_provider": None,
    }


def _store_as_the_service(pool: sa.Engine, site: str, document: dict[str, Any]) -> int:
    url = document["url"]
    identity = page_identity(url)
    ip_hash = hashlib.sha256((request.remote_addr or "").encode()).hexdigest()[:32]
    target = _target_query(False, False, False)  # no parent, a guest without an email
    values = {"site_name": site, "page_identity": identity, "parent_id": None,
              **ban_values(account=None, email=None, ip_hash=ip_hash)}  # fmt: skip
    is_postgresql = pool.dialect.name == "postgresql"
    options = {"isolation_level": "AUTOCOMMIT"} if is_postgresql else {}
    with pool.connect().execution_options(**options) as connection:
        found = connection.execute(target, values).one()._mapping
        site_id = found[target.selected_columns[0]]  # Site's columns come first, its id first
        thread_id = found[Thread.__table__.c.id]
        if thread_id is None:
            thread_id = connection.execute(
                sa.insert(Thread.__table__).returning(Thread.__table__.c.id),
                {"site_id": site_id, "url": url, "identity": identity, "created_at": utcnow()},
            ).scalar_one()
        comment = {**_NEW_COMMENT, **_guest_comment(document, ip_hash), "thread_id": thread_id}
        if is_postgresql:
            counted = _insert_counted_statement(tuple(comment))
            named = {_COUNTED_PREFIX + name: value for name, value in comment.items()}
            comment_id = connection.execute(counted, named).one().id
        else:
            comment_id = connection.execute(_insert_statement(), comment).scalar_one()
            connection.execute(_recount(), {"thread_id": thread_id})
        connection.commit()
    return comment_id


@app.post("/api/sites/<site>/comments")
def post(site: str) -> tuple[dict[str, Any], int]:
    document = request.get_json()
    if engine is None:
        comment_id = 1
    elif STORE == "service-sql":
        comment_id = _store_as_the_service(engine, site, document)
    else:
        comment_id = _store(engine, document)
    return {"id": comment_id, "site": site, "body": document["body"]}, 201
