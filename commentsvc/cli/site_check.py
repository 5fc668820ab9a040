"""``commentsvc site check URL``: does a page advertise this service's endpoints correctly?

Fetches the page through the same guarded fetcher the workers use, reads the ``Link`` and
``X-Pingback`` headers and the ``<link rel>`` tags (as a sender would: a document that is
not HTML by its headers only), and compares them with the endpoints of the site that owns
the page. Exits non-zero when something is missing or wrong; a header or tag that is no URL
reads as missing.
"""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.urls import normalise_url, origin_of


def _site_of(url: str) -> Site | None:
    origin = origin_of(url)
    for candidate in db.session.scalars(sa.select(Site).order_by(Site.name)):
        if origin in (candidate.origins or []):
            return candidate
    return None


def _expected(site: Site, kind: str) -> str:
    public = current_app.config.get("PUBLIC_URL") or ""
    return f"{public}/{kind}/{site.name}"


def _verdict(kind: str, found: str | None, expected: str) -> bool:
    if found is None:
        click.echo(f"✗ {kind}: not advertised; add the tag or header shown below")
        return False
    if found == expected or (not expected.startswith("http") and found.endswith(expected)):
        click.echo(f"✓ {kind}: {found}")
        return True
    click.echo(f"✗ {kind}: advertises {found}, expected {expected}")
    return False


@click.command("check")
@click.argument("url")
@with_appcontext
def check(url: str) -> None:
    """Check that the page at URL advertises pingback and webmention endpoints."""
    # The fetcher lives with the workers (the one place that fetches URLs we are given).
    from workers.discovery import discover_endpoints
    from workers.fetch import FetchError, FetchPolicy, fetch

    try:
        page = normalise_url(url)
    except InvalidInput as error:
        raise click.ClickException(error.detail) from error
    site = _site_of(page)
    if site is None:
        raise click.ClickException(f"No site has the origin {origin_of(page)}; add it first.")
    try:
        result = fetch(page, FetchPolicy.from_config(current_app.config), any_type=True)
    except FetchError as error:
        raise click.ClickException(f"Could not fetch {page}: {error.reason}") from error
    found = discover_endpoints(
        result.body,
        result.charset,
        result.url,
        list(result.links),
        result.headers.get("x-pingback"),
        result.content_type,
    )
    pingback, webmention = _expected(site, "pingback"), _expected(site, "webmention")
    click.echo(f"{page} (site {site.name}, HTTP {result.status})")
    is_ok = _verdict("pingback", found.pingback, pingback)
    is_ok = _verdict("webmention", found.webmention, webmention) and is_ok
    if not is_ok:
        click.echo("\nAdd to the page's <head>:")
        click.echo(f'  <link rel="pingback" href="{pingback}">')
        click.echo(f'  <link rel="webmention" href="{webmention}">')
        click.echo("or send the headers:")
        click.echo(f"  X-Pingback: {pingback}")
        click.echo(f'  Link: <{webmention}>; rel="webmention"')
        raise SystemExit(1)
