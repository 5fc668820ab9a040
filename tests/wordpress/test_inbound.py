"""WordPress pings the service: a post of a real WordPress links to a page of a site on the
service, and WordPress discovers the endpoint, pings, sends its trackback, and records the page
as pinged; the response shows on the page's own thread."""

from __future__ import annotations

import xmlrpc.client
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from werkzeug.wrappers import Request, Response

from commentsvc.extensions import db
from commentsvc.models import Mention, Verification
from tests.mentions.helpers import wait_for

pytestmark = pytest.mark.wordpress

WIDGET = (
    '<div id="comments"></div><script src="{service}/embed.js" data-site="blog" async></script>'
)


def blog_page(service: str, title: str, head: str | None = None) -> str:
    """A page of the blog that embeds the service and advertises its pingback endpoint."""
    head = head if head is not None else f'<link rel="pingback" href="{service}/pingback/blog">'
    return (
        f"<!doctype html><html><head><meta charset=utf-8><title>{title}</title>{head}</head>"
        f"<body><article><h1>{title}</h1><p>Words.</p></article>"
        f"{WIDGET.format(service=service)}</body></html>"
    )


def thread_mentions(client, url: str) -> list[dict]:
    answer = client.get("/api/sites/blog/thread", query_string={"url": url})
    return answer.get_json()["mentions"] if answer.status_code == 200 else []


def wait_until_checked(source: str) -> None:
    """Until the service's worker has checked the ping from ``source`` (either way)."""
    query = sa.select(Mention.verification).where(Mention.source == source)
    wait_for(lambda: db.session.scalar(query) in set(Verification) - {Verification.QUEUED}, 10)


def checked_mentions(client, source: str, url: str) -> list[dict]:
    """The mentions on the thread of ``url`` once the ping from ``source`` is checked."""
    wait_until_checked(source)
    return thread_mentions(client, url)


def pings_to(wordpress, url: str) -> list[dict]:
    """WordPress's XML-RPC calls to ``url``, from its request log."""
    return [entry for entry in wordpress.requests() if entry["url"] == url]


def test_pingback_and_trackback_from_wordpress_make_one_verified_response(
    wordpress, service, blog, pages, client
):
    target = pages.html("/posts/hello-wp", blog_page(service.url, "Hello"))
    post = wordpress.publish(
        "Replying to hello",
        f'<p>I read <a href="{target}">the page</a>. It says it well.</p>',
        to_ping=(f"{service.url}/trackback/blog?url={target}",),
        date="2009-06-01 12:00:00",
    )
    assert target in post["pung"]  # WordPress recorded the page as pinged
    assert not post["to_ping"]  # and the trackback as sent
    (mention,) = checked_mentions(client, post["url"], target)
    assert mention["source"] == post["url"] and mention["kind"] == "pingback"
    assert mention["title"] == "Replying to hello"
    assert mention["author"]["name"] == "Ada Lovelace"  # the theme's vcard (microformats 1)
    assert mention["created"].startswith("2009-06-01")  # its time.published
    assert "the page. It says it well" in mention["excerpt"]
    wait_for(lambda: db.session.scalar(sa.select(sa.func.count(Mention.id))) == 1)
    assert len(thread_mentions(client, target)) == 1  # the trackback merged into it
    trackbacks = service.received_at("/trackback/blog")
    assert len(trackbacks) == 1 and f"url={quote(post['url'], safe='')}" in trackbacks[0]["body"]


def test_a_repeated_ping_of_a_wordpress_post_gets_fault_48(wordpress, service, blog, pages, client):
    target = pages.html("/posts/again", blog_page(service.url, "Again"))
    post = wordpress.publish("Twice", f'<p>See <a href="{target}">again</a>.</p>')
    assert len(checked_mentions(client, post["url"], target)) == 1
    endpoint = xmlrpc.client.ServerProxy(f"{service.url}/pingback/blog")
    with pytest.raises(xmlrpc.client.Fault) as fault:
        endpoint.pingback.ping(post["url"], target)
    assert fault.value.faultCode == 48  # WordPress treats it as a success (add_ping)
    assert target in post["pung"]


def test_wordpress_gets_its_answer_within_3_seconds_while_its_post_takes_10(
    wordpress, service, blog, pages, client
):
    target = pages.html("/posts/slow-source", blog_page(service.url, "Slow"))
    try:
        post = wordpress.publish("Slow to serve", f'<p><a href="{target}">Link</a>.</p>', delay=10)
        (ping,) = pings_to(wordpress, f"{service.url}/pingback/blog")[-1:]
        assert ping["status"] == 200 and ping["seconds"] < 3, ping
        assert target in post["pung"]  # WordPress's 3 s timeout did not strike
    finally:
        wordpress.release.touch()  # the post is served now: the check finishes
    try:
        (mention,) = checked_mentions(client, post["url"], target)
        assert mention["source"] == post["url"]
    finally:
        wordpress.release.unlink()


def _redirect_to_slash(request: Request) -> Response:
    return Response("", status=301, headers={"Location": f"{request.path}/"})


@pytest.mark.parametrize(
    ("written", "served", "widget"),
    [
        # as typed: an IRI, the way WordPress keeps it in the post
        ("/posts/café-x", "/posts/café-x", "/posts/caf%C3%A9-x"),
        # lower-case escapes
        ("/posts/caf%c3%a9-y", "/posts/café-y", "/posts/caf%C3%A9-y"),
        # no trailing slash: the blog redirects to the slash form
        ("/posts/slash-x", "/posts/slash-x/", "/posts/slash-x/"),
    ],
    ids=["iri", "lower-case-escapes", "redirect-to-slash"],
)
def test_each_target_form_wordpress_writes_lands_on_the_pages_own_thread(
    wordpress, service, blog, pages, client, written, served, widget
):
    pages.html(served, blog_page(service.url, "Target form"))
    if served != written and served.endswith("/"):
        pages.handle(written, _redirect_to_slash)
    post = wordpress.publish("Forms", f'<p>A link: <a href="{pages.base}{written}">there</a>.</p>')
    (ping,) = pings_to(wordpress, f"{service.url}/pingback/blog")[-1:]
    assert ping["status"] == 200
    (mention,) = checked_mentions(client, post["url"], pages.url(widget))  # the widget's URL
    assert mention["source"] == post["url"]
