"""``commentsvc import wordpress|disqus|isso|json FILE --site NAME [--url-map OLD=NEW]``.

A progress bar on a terminal (by bytes of the file read), a plain line every few seconds
otherwise (logs, CI), then the summary. A file that cannot be read is a clear message and
exit status 1; what earlier batches stored stays, and running the command again resumes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

from commentsvc.cli.serve import upgrade_embedded_database
from commentsvc.errors import ServiceError
from commentsvc.imports.records import Summary
from commentsvc.imports.run import KINDS, Progress, parse_url_map, run_import
from commentsvc.models import Site
from commentsvc.services.sites import get_site

PLAIN_EVERY_SECONDS = 5.0


def _describe(summary: Summary, dry_run: bool) -> list[str]:
    verb = "would import" if dry_run else "imported"
    lines = []
    for name in ("threads", "comments", "mentions"):
        lines.append(
            f"{name}: {summary.imported.get(name, 0)} {verb}, "
            f"{summary.already_there.get(name, 0)} already there"
        )
    skipped = sum(summary.skipped.values())
    lines.append(f"skipped: {skipped}")
    lines.extend(f"  {count}\t{reason}" for reason, count in sorted(summary.skipped.items()))
    if any("outside the site's origins" in reason for reason in summary.skipped):
        lines.append(
            "  pages of the old blog's address? map them: --url-map https://old.example=https://new.example"
        )
    if dry_run:
        lines.append("dry run: nothing was written")
    return lines


class _PlainProgress:
    """A line now and then, for output that is not a terminal."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        if now - self._last < PLAIN_EVERY_SECONDS:
            return
        self._last = now
        share = f" ({100 * progress.done // progress.total}%)" if progress.total else ""
        click.echo(f"read {progress.done}{share}, {progress.records} items", err=True)


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--site", "site_name", required=True, help="The site to import into.")
@click.option(
    "--url-map", "url_map", multiple=True, metavar="OLD=NEW", help="Rewrite page URL prefixes."
)
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@click.option(
    "--with-accounts",
    is_flag=True,
    help="json only: bring in the file's accounts and their sign-in identities (your own "
    "export only: the file decides which identity signs in to which account).",
)
@with_appcontext
def import_command(
    kind: str,
    file: Path,
    site_name: str,
    url_map: tuple[str, ...],
    dry_run: bool,
    with_accounts: bool,
) -> None:
    """Import a blog's comments and pingbacks from WordPress, Disqus, Isso or an export."""
    upgrade_embedded_database()
    if with_accounts and kind != "json":
        raise click.UsageError("--with-accounts applies to json imports only.")
    try:
        site = get_site(site_name)
        mapping = parse_url_map(url_map)
    except ServiceError as error:
        raise click.UsageError(error.detail) from error
    options = {"with_accounts": with_accounts}
    try:
        if sys.stderr.isatty():
            summary = _with_bar(kind, file, site, mapping, dry_run, options)
        else:
            summary = run_import(kind, file, site, mapping, dry_run, _PlainProgress(), **options)
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    except KeyboardInterrupt:
        raise click.ClickException(
            "Interrupted: what was stored so far stays; run the same command to resume."
        ) from None
    for line in _describe(summary, dry_run):
        click.echo(line)


def _with_bar(
    kind: str,
    file: Path,
    site: Site,
    mapping: list[tuple[str, str]],
    dry_run: bool,
    options: dict[str, bool],
) -> Summary:
    with click.progressbar(length=1, label=f"importing {file.name}", file=sys.stderr) as bar:
        shown = 0

        def advance(progress: Progress) -> None:
            nonlocal shown
            if progress.total:
                bar.length = progress.total
            bar.update(progress.done - shown)
            shown = progress.done

        return run_import(kind, file, site, mapping, dry_run, advance, **options)
