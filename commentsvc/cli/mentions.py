"""``commentsvc mentions send NAME [--url POST-URL]``: one pass of outbound mentions, now.

Without ``--url`` the site's feeds are read (conditional GET kept: an unchanged feed still has
its listed posts read again, since a static site may change a page without its feed), and
every post whose content is new or changed sends to its links and to the links it lost. With
``--url`` only that post is read, and it sends to every link it has even if nothing changed
(an explicit request). Sends run here, one after the other, through the same code the workers
run, and each prints one line: target, endpoint, protocol, outcome. Only a usage error (no
such site, a URL off the site's origins, a site without feeds) exits non-zero: a target that
refuses is an outcome, not an error of this command.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from commentsvc.cli.serve import upgrade_embedded_database
from commentsvc.errors import ServiceError
from commentsvc.extensions import db
from commentsvc.models import OutboundPost, Site, SiteFeed
from commentsvc.services.feeds import post_for_scan, request_pass
from commentsvc.services.sites import get_site


@click.group()
@with_appcontext
def mentions() -> None:
    """Send webmentions and pingbacks for a site's posts."""
    upgrade_embedded_database()


def _post_ids(site: Site, url: str | None) -> list[int]:
    """The posts this pass reads: the one named, or those the site's feeds list now."""
    from workers.feeds import read_feed

    if url:
        post = post_for_scan(site, url)
        db.session.commit()
        return [post.id]
    post_ids: list[int] = []
    feed_ids = request_pass(site)
    db.session.commit()
    for feed_id in feed_ids:
        feed = db.session.get(SiteFeed, feed_id)
        if feed is None:
            continue
        found = read_feed(feed)
        db.session.commit()
        if feed.last_error:
            click.echo(f"feed {feed.url}: {feed.last_error}")
        post_ids.extend(found)
    return post_ids


def _describe_post(post: OutboundPost) -> None:
    if post.last_error:
        click.echo(f"post {post.url}: {post.last_error}")
    if post.dropped_links:
        click.echo(
            f"post {post.url}: {post.dropped_links} more link(s) beyond "
            "OUTBOUND_MAX_LINKS_PER_POST were not sent"
        )


@mentions.command("send")
@click.argument("name")
@click.option("--url", "post_url", help="Read only this post, and send to all its links.")
@with_appcontext
def send(name: str, post_url: str | None) -> None:
    """Read the site's feeds (or one post) and send what changed, now; a line per link."""
    from workers.outbound import send_now
    from workers.post_links import claim, read_one

    try:
        site = get_site(name)
        post_ids = _post_ids(site, post_url)
    except ServiceError as error:
        db.session.rollback()
        raise click.UsageError(error.detail) from error
    sent = 0
    for post_id in dict.fromkeys(post_ids):
        post = claim(post_id)
        if post is None:
            taken = db.session.get(OutboundPost, post_id)
            if taken is not None:
                click.echo(f"post {taken.url}: a worker is reading it (or just read it); it sends")
            continue
        send_ids = read_one(post)
        db.session.commit()
        _describe_post(post)
        for send_id in send_ids:
            outcome = send_now(send_id)
            db.session.commit()
            detail = f" ({outcome.detail})" if outcome.detail else ""
            click.echo(
                f"{outcome.target_url}\t{outcome.endpoint or '-'}\t{outcome.protocol or '-'}"
                f"\t{outcome.state}{detail}"
            )
            sent += 1
    click.echo(f"{len(set(post_ids))} post(s) read, {sent} link(s) sent to.", err=True)
