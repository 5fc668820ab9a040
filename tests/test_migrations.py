"""The migrations build the same schema as the models, on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from commentsvc import create_app
from commentsvc.extensions import db
from tests.conftest import base_config


def test_migrations_reach_head_and_match_models(tmp_path: Path, database_url: str) -> None:
    app = create_app(base_config(tmp_path, database_url))
    with app.app_context():
        db.drop_all()  # the PostgreSQL database is shared with tests that build from models
        with db.engine.begin() as connection:
            connection.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
        db.engine.dispose()
    assert diff == []
