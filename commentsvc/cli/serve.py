"""``commentsvc serve``: the development server (gunicorn on commentsvc.wsgi:app in production)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from commentsvc.cli.dev_server import request_handler
from commentsvc.config import DEFAULTS
from commentsvc.jobs import start_in_process_sweeper
from commentsvc.logs import configure_logging

# werkzeug's threaded server gives every connection a thread of its own, so open live streams
# take none from the requests that work; the web processes' cap (a few of gunicorn's threads)
# would turn live threads off for a fifth reader of the development server or the demo.
THREADED_SERVER_STREAMS = 256


def allow_streams_of_a_threaded_server(app: Flask) -> None:
    """Raise the cap on open streams, unless the operator chose one."""
    if app.config["LIVE_MAX_STREAMS"] == DEFAULTS["LIVE_MAX_STREAMS"]:
        app.config["LIVE_MAX_STREAMS"] = THREADED_SERVER_STREAMS


def upgrade_embedded_database() -> None:
    """The embedded default needs no set-up step: every command that uses the database brings
    its SQLite file to the newest schema first (production runs `commentsvc db upgrade`)."""
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
    allow_streams_of_a_threaded_server(current_app._get_current_object())
    start_in_process_sweeper(current_app._get_current_object())  # no-op when workers sweep
    # Flask ignores app.run() inside its own CLI, so start werkzeug's server directly.
    app = current_app._get_current_object()
    run_simple(host, port, app, threaded=True, request_handler=request_handler(app))
