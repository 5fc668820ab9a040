"""The posting floors: bare Flask apps that take a comment as the service's API does, under the
same gunicorn settings, and do nothing else. ``BENCH_FLOOR_STORE`` says how far they go:

- ``none``: parse the JSON and answer 201 with the comment (what Flask, gunicorn and a new
  connection per request cost);
- ``transaction``: also store the comment with one INSERT ... RETURNING in a transaction of
  its own on ``BENCH_FLOOR_DATABASE_URL``, checked out with a pre-ping as the service's pool
  does (ping, BEGIN, INSERT, COMMIT: four round trips);
- ``statement``: the same INSERT alone in autocommit, without the ping (one round trip): the
  least any post that stores a comment durably can do.

A post of the service does more (limits, Markdown, the site's policy, the thread's count, the
live event); the floors show how much of its time that takes, and what the stack leaves.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, request

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
        "created_at": datetime.now(UTC).replace(tzinfo=None),
    }
    statement = COMMENTS.insert().returning(COMMENTS.c.id)
    with pool.begin() if STORE == "transaction" else pool.connect() as connection:
        return connection.execute(statement, row).scalar_one()


@app.post("/api/sites/<site>/comments")
def post(site: str) -> tuple[dict[str, Any], int]:
    document = request.get_json()
    comment_id = _store(engine, document) if engine is not None else 1
    return {"id": comment_id, "site": site, "body": document["body"]}, 201
