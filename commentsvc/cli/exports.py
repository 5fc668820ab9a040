"""``commentsvc export --site NAME [--format json|wxr] [-o FILE]``.

Writes as it reads (the export is never whole in memory). With ``-o`` the file appears only
once complete (written beside it under a temporary name, then renamed), so an interrupted
export never leaves a truncated file that looks like a good one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click
from flask.cli import with_appcontext

from commentsvc.cli.serve import upgrade_embedded_database
from commentsvc.errors import ServiceError
from commentsvc.exports.formats import FORMATS, ExportFormat
from commentsvc.models import Site
from commentsvc.services.sites import get_site


def _write_file(chosen: ExportFormat, site: Site, target: Path) -> None:
    folder = target.resolve().parent
    if not folder.is_dir():
        raise click.UsageError(f"{folder} is not a folder: cannot write {target.name} there.")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            for chunk in chosen.write(site):
                out.write(chunk)
        temporary.replace(target)
    except BaseException:
        temporary.unlink()
        raise


@click.command("export")
@click.option("--site", "site_name", required=True, metavar="NAME", help="The site to export.")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(sorted(FORMATS)),
    default="json",
    show_default=True,
    help="json: this service's own (imports back with nothing lost); wxr: for WordPress.",
)
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout."
)
@with_appcontext
def export(site_name: str, format_name: str, output: Path | None) -> None:
    """Export a site's threads, comments and mentions."""
    upgrade_embedded_database()
    try:
        site = get_site(site_name)
    except ServiceError as error:
        raise click.UsageError(error.detail) from error
    chosen = FORMATS[format_name]
    if output is None:
        stream = click.get_binary_stream("stdout")
        for chunk in chosen.write(site):
            stream.write(chunk.encode("utf-8"))
        stream.flush()
        return
    _write_file(chosen, site, output)
    click.echo(f"exported site {site.name} ({chosen.name}) to {output}", err=True)
