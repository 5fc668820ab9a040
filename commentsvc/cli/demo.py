"""``commentsvc demo`` (the widget issue builds it out)."""

from __future__ import annotations

import click


@click.command()
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--blog-port", default=None, type=int)
def demo(port: int, blog_port: int | None) -> None:
    """Run the service and a sample blog that embeds it."""
    raise click.ClickException("not built yet: issue 3 (widget and demo) fills this in")
