"""``commentsvc worker``: runs the RQ workers (the mentions issue builds it out)."""

from __future__ import annotations

import click


@click.command()
def worker() -> None:
    """Run the background workers (needs COMMENTSVC_REDIS_URL)."""
    raise click.ClickException("not built yet: issue 4 (pingback and webmention) fills this in")
