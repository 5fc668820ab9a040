"""``commentsvc serve``: the development server (gunicorn on commentsvc.wsgi:app in production)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from commentsvc.logs import configure_logging


def upgrade_embedded_database() -> None:
    """The embedded default needs no set-up step: bring its SQLite file to the newest schema."""
    from flask_migrate import upgrade

    if current_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        upgrade()


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int) -> None:
    """Run the web app with the development server."""
    configure_logging()
    upgrade_embedded_database()
    current_app.run(host=host, port=port, threaded=True, use_reloader=False)
