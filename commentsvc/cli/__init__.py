"""The ``commentsvc`` console script: serve, worker, demo, db, site, user, mentions."""

from __future__ import annotations

from flask.cli import FlaskGroup

from commentsvc.cli.demo import demo
from commentsvc.cli.exports import export
from commentsvc.cli.imports import import_command
from commentsvc.cli.mentions import mentions
from commentsvc.cli.serve import serve
from commentsvc.cli.site import site
from commentsvc.cli.user import user
from commentsvc.cli.worker import worker


def _create_app():
    from commentsvc import create_app

    return create_app()


main = FlaskGroup(
    name="commentsvc",
    help="Self-hosted comments, pingbacks and webmentions.",
    create_app=_create_app,
    add_default_commands=False,
    load_dotenv=False,
    set_debug_flag=False,
)
for command in (serve, worker, demo, site, user, mentions, export, import_command):
    main.add_command(command)
