"""``commentsvc site add|list|update|token``."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from commentsvc.cli.serve import upgrade_embedded_database
from commentsvc.errors import ServiceError
from commentsvc.extensions import db
from commentsvc.models import ModerationMode, Site, ThreadOrder
from commentsvc.services.feeds import add_feed, feeds_of, remove_feed
from commentsvc.services.site_tokens import rotate_token
from commentsvc.services.sites import create_site, get_site, update_site

MODERATION_CHOICE = click.Choice([mode.value for mode in ModerationMode])
ORDER_CHOICE = click.Choice([order.value for order in ThreadOrder])


def _describe(site: Site) -> str:
    guests = "guests allowed" if site.is_guest_allowed else "no guests"
    feeds = " ".join(feed.url for feed in feeds_of(site)) or "-"
    return (
        f"{site.name}\t{' '.join(site.origins)}\tmoderation={site.moderation.value}\t{guests}"
        f"\tfeeds={feeds}\tsort={site.default_order.value}"
        f"\tvotes={'on' if site.is_voting_enabled else 'off'}"
    )


@click.group()
@with_appcontext
def site() -> None:
    """Manage the sites that embed the service."""
    upgrade_embedded_database()


@site.command("add")
@click.argument("name")
@click.option(
    "--origin", "origins", multiple=True, required=True, help="e.g. https://blog.example.org"
)
@click.option("--moderation", type=MODERATION_CHOICE, default="none", show_default=True)
@click.option("--no-guests", is_flag=True, help="Only signed-in commenters may post.")
@with_appcontext
def add(name: str, origins: tuple[str, ...], moderation: str, no_guests: bool) -> None:
    """Create a site."""
    try:
        created = create_site(
            name, origins, ModerationMode(moderation), is_guest_allowed=not no_guests
        )
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    db.session.commit()
    click.echo(f"created {_describe(created)}")


@site.command("list")
@with_appcontext
def list_sites() -> None:
    """List the sites."""
    for each in db.session.scalars(sa.select(Site).order_by(Site.name)):
        click.echo(_describe(each))


@site.command("update")
@click.argument("name")
@click.option("--origin", "origins", multiple=True, help="Replaces the origins when given.")
@click.option("--moderation", type=MODERATION_CHOICE)
@click.option("--guests/--no-guests", default=None)
@click.option("--edit-window", type=click.IntRange(0, 7 * 24 * 3600), help="Seconds.")
@click.option("--feed", "feeds", multiple=True, help="Watch this feed (RSS, Atom, JSON, h-feed).")
@click.option("--no-feed", "no_feeds", multiple=True, help="Stop watching this feed.")
@click.option("--feed-interval", type=int, help="Seconds between checks of the --feed feeds.")
@click.option("--sort", "order", type=ORDER_CHOICE, help="The order threads open in.")
@click.option("--votes/--no-votes", default=None, help="Whether readers may vote on comments.")
@with_appcontext
def update(
    name: str,
    origins: tuple[str, ...],
    moderation: str | None,
    guests: bool | None,
    edit_window: int | None,
    feeds: tuple[str, ...],
    no_feeds: tuple[str, ...],
    feed_interval: int | None,
    order: str | None,
    votes: bool | None,
) -> None:
    """Change a site's origins, policies or feeds."""
    changes: dict[str, object] = {}
    if origins:
        changes["origins"] = list(origins)
    if moderation:
        changes["moderation"] = ModerationMode(moderation)
    if guests is not None:
        changes["is_guest_allowed"] = guests
    if edit_window is not None:
        changes["edit_window_seconds"] = edit_window
    if order:
        changes["default_order"] = ThreadOrder(order)
    if votes is not None:
        changes["is_voting_enabled"] = votes
    if feed_interval is not None and not feeds:
        raise click.UsageError("--feed-interval applies to the feeds given with --feed.")
    try:
        updated = update_site(get_site(name), **changes)
        for url in no_feeds:
            remove_feed(None, updated, url)
        for url in feeds:
            add_feed(None, updated, url, interval_seconds=feed_interval)
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    db.session.commit()
    click.echo(f"updated {_describe(updated)}")


@site.command("token")
@click.argument("name")
@with_appcontext
def token(name: str) -> None:
    """Print a new token for the site's builds to ask for a pass (the old one stops working)."""
    try:
        new_token = rotate_token(get_site(name))
    except ServiceError as error:
        raise click.ClickException(error.detail) from error
    db.session.commit()
    click.echo(new_token)
    click.echo(
        "Shown once; keep it in your build's secrets. Use it as "
        f"`Authorization: Bearer <token>` on POST /api/sites/{name}/outbound/ping.",
        err=True,
    )


from commentsvc.cli.site_check import check  # noqa: E402 - registered on the group above

site.add_command(check)
