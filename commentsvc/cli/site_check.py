"""``commentsvc site check URL``: will senders find this service's endpoints on a page?

Fetches the page through the same guarded fetcher the workers use and says what each kind of
sender will do with it:

- the specifications (Pingback 1.0, W3C Webmention): the ``X-Pingback`` and ``Link`` headers and
  the ``<link rel>`` tags, parsed properly (a document that is not HTML by its headers only);
- WordPress, which sends most pingbacks on the web and finds the endpoint with a plain text
  search (:mod:`commentsvc.cli.wordpress_discovery`): markup the specification accepts can
  still make WordPress ping the wrong URL or nothing.

Each is compared with the endpoints of the site that owns the page, as absolute URLs of the
service (``PUBLIC_URL``, or ``--service-url``): a relative endpoint would point at the blog.
Exits non-zero when something is missing or wrong, and prints the tags to paste. A page on a
private network or on this machine (the demo's blog) is fetched only with ``--allow-private``.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import time

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from commentsvc.chars import printable
from commentsvc.cli.wordpress_discovery import TIMEOUT_SECONDS, can_post_to, wordpress_pingback
from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.urls import normalise_url, origin_of

# What --allow-private lets this one fetch reach: loopback and private networks. Not
# link-local: no blog is served there, but cloud metadata (169.254.169.254) is, and a page's
# redirect must not lead the check to it.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(block)
    for block in ("127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                  "::1/128", "fc00::/7")
)  # fmt: skip


def _site_of(url: str) -> Site | None:
    origin = origin_of(url)
    for candidate in db.session.scalars(sa.select(Site).order_by(Site.name)):
        if origin in (candidate.origins or []):
            return candidate
    return None


def _service_url(option: str | None) -> str:
    """The service's own absolute URL: endpoints must name it, never the blog."""
    public = (option or current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    if not public:
        raise click.UsageError(
            "The service's public URL is unknown, and endpoints must be absolute URLs of the "
            "service (a relative one points at the blog): set COMMENTSVC_PUBLIC_URL or pass "
            "--service-url, e.g. --service-url https://comments.example.org."
        )
    if not can_post_to(public):
        raise click.UsageError(f"--service-url must be an http(s) URL, not {public!r}.")
    return public


def _verdict(label: str, found: str | None, expected: str) -> bool:
    if found is None:
        click.echo(f"✗ {label}: not advertised; add the tag or header shown below")
        return False
    if found == expected:
        click.echo(f"✓ {label}: {found}")
        return True
    click.echo(f"✗ {label}: advertises {printable(found)}, expected {expected}")
    return False


def _wordpress_verdict(result, expected: str, seconds: float) -> bool:
    label = "pingback, as WordPress finds it"
    finding = wordpress_pingback(result.body, result.headers.get("x-pingback"), result.content_type)
    url, reason = printable(finding.url or ""), printable(finding.reason)  # the page's words
    if seconds > TIMEOUT_SECONDS:
        click.echo(f"✗ {label}: the page took {seconds:.1f} s; WordPress gives up after 2 s")
        return False
    if finding.url is None:
        click.echo(f"✗ {label}: sends no pingback: {reason}")
        return False
    if not can_post_to(finding.url):
        click.echo(
            f"✗ {label}: sends no pingback: it takes {url!r} ({reason}) "
            "unresolved, and can only post to an absolute http(s) URL"
        )
        return False
    if finding.url != expected:
        click.echo(f"✗ {label}: posts to {url}, not {expected}: {reason}")
        return False
    click.echo(f"✓ {label}: {finding.url}")
    return True


def _policy(is_private_allowed: bool):
    from workers.fetch import FetchPolicy

    policy = FetchPolicy.from_config(current_app.config)
    if not is_private_allowed:
        return policy
    return dataclasses.replace(policy, allow_networks=policy.allow_networks + PRIVATE_NETWORKS)


@click.command("check")
@click.argument("url")
@click.option(
    "--service-url",
    help="This service's public URL, when COMMENTSVC_PUBLIC_URL is not set here.",
)
@click.option(
    "--allow-private",
    is_flag=True,
    help="Fetch a page on this machine or a private network (the demo's blog).",
)
@with_appcontext
def check(url: str, service_url: str | None, allow_private: bool) -> None:
    """Check that the page at URL advertises pingback and webmention endpoints that the
    specifications and WordPress both find."""
    # The fetcher lives with the workers (the one place that fetches URLs we are given).
    from workers.discovery import discover_endpoints
    from workers.fetch import FetchError, RefusedAddress, fetch

    service = _service_url(service_url)
    try:
        page = normalise_url(url)
    except InvalidInput as error:
        raise click.ClickException(error.detail) from error
    site = _site_of(page)
    if site is None:
        raise click.ClickException(f"No site has the origin {origin_of(page)}; add it first.")
    started = time.monotonic()
    try:
        result = fetch(page, _policy(allow_private), any_type=True)
    except RefusedAddress as error:
        hint = "" if allow_private else " Pass --allow-private to check a page on this machine."
        raise click.ClickException(f"Could not fetch {page}: {error.reason}{hint}") from error
    except FetchError as error:
        raise click.ClickException(f"Could not fetch {page}: {error.reason}") from error
    seconds = time.monotonic() - started
    found = discover_endpoints(
        result.body,
        result.charset,
        result.url,
        list(result.links),
        result.headers.get("x-pingback"),
        result.content_type,
    )
    pingback, webmention = f"{service}/pingback/{site.name}", f"{service}/webmention/{site.name}"
    click.echo(f"{page} (site {site.name}, HTTP {result.status})")
    is_ok = _verdict("pingback", found.pingback, pingback)
    is_ok = _wordpress_verdict(result, pingback, seconds) and is_ok
    is_ok = _verdict("webmention", found.webmention, webmention) and is_ok
    if not is_ok:
        click.echo("\nAdd to the page's <head> (rel before href, quoted, absolute URLs):")
        click.echo(f'  <link rel="pingback" href="{pingback}">')
        click.echo(f'  <link rel="webmention" href="{webmention}">')
        click.echo("or send the headers:")
        click.echo(f"  X-Pingback: {pingback}")
        click.echo(f'  Link: <{webmention}>; rel="webmention"')
        raise SystemExit(1)
