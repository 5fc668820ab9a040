"""``commentsvc threads merge``: one thread per page, for pages whose responses were split."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from commentsvc.cli.serve import upgrade_embedded_database
from commentsvc.errors import ServiceError
from commentsvc.extensions import db
from commentsvc.models import Site, Thread
from commentsvc.services.sites import get_site
from commentsvc.services.thread_merge import (
    MergeResult,
    merge_threads,
    rekey_threads,
    split_pages,
)
from commentsvc.services.threads import find_thread, page_key

ACTOR = "cli"


@click.group()
@with_appcontext
def threads() -> None:
    """Look after the threads of a site's pages."""
    upgrade_embedded_database()


def _describe(thread: Thread) -> str:
    return f"thread {thread.id} ({thread.url})"


def _moved(result: MergeResult) -> str:
    return (
        f"{result.comments} comments, {result.mentions} mentions moved, "
        f"{result.dropped_mentions} duplicate mentions dropped"
    )


def _thread_at(site: Site, url: str, option: str) -> Thread:
    """The thread of ``url`` by its identity, else one stored under exactly that link (a split
    thread whose stored identity predates today's rules)."""
    try:
        thread = find_thread(site, url) or db.session.scalar(
            sa.select(Thread).where(Thread.site_id == site.id, Thread.url == page_key(site, url))
        )
    except ServiceError as error:
        raise click.BadParameter(error.detail, param_hint=option) from error
    if thread is None:
        raise click.BadParameter(f"site {site.name!r} has no thread for {url}", param_hint=option)
    return thread


@threads.command("merge")
@click.option("--site", "site_name", required=True, help="The site's name.")
@click.option("--from", "from_url", help="Merge the thread of this page ...")
@click.option("--into", "into_url", help="... into the thread of this one.")
@click.option("--dry-run", is_flag=True, help="Print what would be merged; change nothing.")
@with_appcontext
def merge(site_name: str, from_url: str | None, into_url: str | None, dry_run: bool) -> None:
    """Merge the threads that are one page under today's keys (all of the site's), or the
    thread of --from into the thread of --into (any two pages: the operator decides)."""
    if (from_url is None) != (into_url is None):
        raise click.UsageError("Give both --from and --into, or neither.")
    try:
        site = get_site(site_name)
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    if from_url is not None:
        _merge_two(site, from_url, into_url, dry_run)
    else:
        _merge_split(site, dry_run)
    if dry_run:
        db.session.rollback()
        click.echo("dry run: nothing was changed")
    else:
        db.session.commit()


def _merge_two(site: Site, from_url: str, into_url: str, dry_run: bool) -> None:
    source = _thread_at(site, from_url, "--from")
    into = _thread_at(site, into_url, "--into")
    if source.id == into.id:
        raise click.ClickException(f"{from_url} and {into_url} are one thread already.")
    line = f"{_describe(source)} into {_describe(into)}"
    if dry_run:
        click.echo(f"would merge {line}")
        return
    result = merge_threads(source, into, actor=ACTOR)
    click.echo(f"merged {line}: {_moved(result)}")


def _merge_split(site: Site, dry_run: bool) -> None:
    split, stale = split_pages(site.id)
    merged: set[int] = set()
    for page in split:
        into_line = _describe(page.into)
        for source in page.sources:
            line = f"{_describe(source)} into {into_line}"
            if dry_run:
                click.echo(f"would merge {line}")
                continue
            click.echo(f"merged {line}: {_moved(merge_threads(source, page.into, actor=ACTOR))}")
            merged.add(source.id)
    if not dry_run:
        rekey_threads([thread for thread in stale if thread.id not in merged])
    merges = sum(len(page.sources) for page in split)
    verb = "would merge" if dry_run else "merged"
    click.echo(
        f"{site.name}: {verb} {merges} threads into {len(split)} pages; "
        f"{len(stale)} threads had a stale key"
    )
