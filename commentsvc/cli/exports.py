"""``commentsvc export --site NAME [--format json|wxr] [-o FILE]``.

Writes as it reads (the export is never whole in memory). With ``-o`` the file appears only
once complete (written beside it under a temporary name, then renamed), so an interrupted
export never leaves a truncated file that looks like a good one; a link is followed (the
link stays a link), and a device or pipe is written to as it is.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import TextIO

import click
from flask.cli import with_appcontext

from commentsvc.cli.serve import upgrade_embedded_database
from commentsvc.errors import ServiceError
from commentsvc.exports.formats import FORMATS, ExportFormat
from commentsvc.models import Site
from commentsvc.services.sites import get_site


def _write_file(chosen: ExportFormat, site: Site, target: Path) -> None:
    """Write the export to ``target``: a link's target, not the link; a device or a pipe as
    it is (``/dev/stdout``); a file under a temporary name, renamed once whole, keeping the
    mode of the file it replaces."""
    real = target.resolve()
    try:
        if real.exists() and not real.is_file():
            with real.open("w", encoding="utf-8", newline="\n") as out:
                _write_chunks(chosen, site, out)
            return
        _replace_file(chosen, site, real)
    except OSError as error:
        reason = error.strerror or str(error)
        raise click.ClickException(f"Could not write {target}: {reason}.") from error


def _replace_file(chosen: ExportFormat, site: Site, real: Path) -> None:
    folder = real.parent
    if not folder.is_dir():
        raise click.UsageError(f"{folder} is not a folder: cannot write {real.name} there.")
    mode = stat.S_IMODE(real.stat().st_mode) if real.exists() else _new_file_mode()
    handle, name = tempfile.mkstemp(prefix=f".{real.name}.", dir=folder)
    temporary = Path(name)
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            _write_chunks(chosen, site, out)
        temporary.replace(real)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _new_file_mode() -> int:
    """What ``open()`` would give a new file: 0666 less the umask (``mkstemp`` gives 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _write_chunks(chosen: ExportFormat, site: Site, out: TextIO) -> None:
    for chunk in chosen.write(site):
        out.write(chunk)


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
