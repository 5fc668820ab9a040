"""The ``commentsvc`` console script: serve, worker, demo, db, site, user, mentions."""

from __future__ import annotations

from typing import Any

import click
import redis
import sqlalchemy as sa
from flask.cli import ScriptInfo
from flask_migrate.cli import db

from commentsvc.cli.demo import demo
from commentsvc.cli.exports import export
from commentsvc.cli.imports import import_command
from commentsvc.cli.mentions import mentions
from commentsvc.cli.serve import serve
from commentsvc.cli.site import site
from commentsvc.cli.threads import threads
from commentsvc.cli.user import user
from commentsvc.cli.worker import worker
from commentsvc.config import ConfigError
from commentsvc.database import is_unavailable
from commentsvc.logs import redact


def _create_app():
    from commentsvc import create_app

    return create_app()


class CommandLine(click.Group):
    """A plain click group that gives its commands this service's app (``with_appcontext``).

    Not Flask's ``FlaskGroup``: that one offers ``--env-file`` (python-dotenv, not installed),
    ``--app`` and ``--debug``, which mean nothing here, reports Flask's version, and loads every
    installed ``flask.commands`` plugin (Flask-Limiter's ``limiter`` group among them)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # One ScriptInfo per run: it keeps the app it built.
        extra.setdefault(
            "obj",
            ScriptInfo(create_app=_create_app, set_debug_flag=False, load_dotenv_defaults=False),
        )
        return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        """What an operator is likely to get wrong, said in a line instead of a traceback: a
        setting, an unreachable database or Redis (never the URL: it may hold a password)."""
        try:
            return super().invoke(ctx)
        except ConfigError as error:
            raise click.ClickException(str(error)) from None
        except sa.exc.OperationalError as error:
            if not is_unavailable(error):  # a fault of ours, not of the settings: the traceback
                raise
            reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
            raise click.ClickException(
                f"The database (COMMENTSVC_DATABASE_URL) cannot be used: {redact(reason)}"
            ) from None
        except redis.exceptions.ConnectionError as error:
            raise click.ClickException(
                f"Redis (COMMENTSVC_REDIS_URL) cannot be reached: {redact(str(error))}"
            ) from None


main = click.version_option(
    package_name="commentsvc",
    prog_name="commentsvc",
    message="%(prog)s %(version)s",
    help="Show this service's name and version, then exit.",
)(CommandLine(name="commentsvc", help="Self-hosted comments, pingbacks and webmentions."))
for command in (serve, worker, demo, db, site, user, mentions, export, import_command, threads):
    main.add_command(command)
