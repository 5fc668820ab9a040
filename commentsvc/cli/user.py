"""``commentsvc user add``."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from commentsvc.cli.serve import upgrade_embedded_database
from commentsvc.errors import ServiceError
from commentsvc.extensions import db
from commentsvc.services.accounts import create_account


@click.group()
@with_appcontext
def user() -> None:
    """Manage accounts."""
    upgrade_embedded_database()


@user.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--operator", "operator_of", multiple=True, metavar="SITE", help="Moderates SITE.")
@with_appcontext
def add(email: str, name: str, operator_of: tuple[str, ...]) -> None:
    """Create an account; the password is read from standard input (prompted on a terminal)."""
    if sys.stdin.isatty():
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise click.ClickException(
            "no password was given: write it as one line on standard input "
            "(or run the command on a terminal to be asked for it)"
        )
    try:
        account = create_account(
            email, name, password, operator_of=operator_of, is_email_verified=True
        )
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    db.session.commit()
    roles = f" operator of {', '.join(operator_of)}" if operator_of else ""
    click.echo(f"created account {account.id} {account.email}{roles}")
