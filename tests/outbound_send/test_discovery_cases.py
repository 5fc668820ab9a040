"""The webmention.rocks discovery tests 1-23 (and two more the Recommendation implies),
served by a loopback page server: each advertised endpoint must receive exactly one
correct webmention (source = the post, target = the link as the post has it) and no false
endpoint anything."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from werkzeug.wrappers import Request, Response

from commentsvc.extensions import db
from commentsvc.models import OutboundSend, SendProtocol, SendState
from commentsvc.services.outbound import enqueue_sends
from tests.outbound_send.helpers import POST_URL, posts_to


@dataclass(frozen=True)
class Case:
    """One discovery test: what the target page at ``/test/<name>`` serves, and which URL
    (relative to the server, query included) must receive the webmention."""

    name: str
    headers: tuple[tuple[str, str], ...] = ()
    html: str = ""
    endpoint: str = ""


def page(*parts: str) -> str:
    return (
        "<!doctype html><html><head>"
        + parts[0]
        + "</head><body>"
        + "".join(parts[1:])
        + ("<p>A post that links around.</p></body></html>")
    )


CASES = [
    Case("1", (("Link", "</test/1/webmention?head=true>; rel=webmention"),), page(""),
         "/test/1/webmention?head=true"),
    Case("2", (("Link", "<{base}/test/2/webmention?head=true>; rel=webmention"),), page(""),
         "/test/2/webmention?head=true"),
    Case("3", html=page('<link rel="webmention" href="/test/3/webmention">'),
         endpoint="/test/3/webmention"),
    Case("4", html=page('<link rel="webmention" href="{base}/test/4/webmention">'),
         endpoint="/test/4/webmention"),
    Case("5", html=page("", '<a rel="webmention" href="/test/5/webmention">endpoint</a>'),
         endpoint="/test/5/webmention"),
    Case("6", html=page("", '<a rel="webmention" href="{base}/test/6/webmention">endpoint</a>'),
         endpoint="/test/6/webmention"),
    Case("7", (("LinK", "<{base}/test/7/webmention?head=true>; REL=WebMention"),), page(""),
         "/test/7/webmention?head=true"),
    Case("8", (("Link", '<{base}/test/8/webmention?head=true>; rel="webmention"'),), page(""),
         "/test/8/webmention?head=true"),
    Case("9", html=page('<link rel="webmention somethingelse" href="/test/9/webmention">'),
         endpoint="/test/9/webmention"),
    Case("10", (("Link", '</test/10/webmention?head=true>; rel="webmention somethingelse"'),),
         page(""), "/test/10/webmention?head=true"),
    Case("11", (("Link", "</test/11/webmention/header>; rel=webmention"),),
         page('<link rel="webmention" href="/test/11/webmention/link">',
              '<a rel="webmention" href="/test/11/webmention/a">a</a>'),
         "/test/11/webmention/header"),
    Case("12", html=page('<link rel="not-webmention" href="/test/12/webmention/error">'
                         '<link rel="webmention" href="/test/12/webmention">'),
         endpoint="/test/12/webmention"),
    Case("13", html=page("", '<!-- <a rel="webmention" href="/test/13/webmention/error"></a> -->',
                         '<a rel="webmention" href="/test/13/webmention">endpoint</a>'),
         endpoint="/test/13/webmention"),
    Case("14", html=page("", '<code>&lt;a href="/test/14/webmention/error" rel="webmention"&gt;'
                             "&lt;/a&gt;</code>",
                         '<a rel="webmention" href="/test/14/webmention">endpoint</a>'),
         endpoint="/test/14/webmention"),
    Case("15", html=page('<link rel="webmention" href="">'), endpoint="/test/15"),
    Case("16", html=page("", '<a href="/test/16/webmention" rel="webmention">a</a>',
                         '<link rel="webmention" href="/test/16/webmention/error">'),
         endpoint="/test/16/webmention"),
    Case("17", html=page("", '<link rel="webmention" href="/test/17/webmention">',
                         '<a href="/test/17/webmention/error" rel="webmention">a</a>'),
         endpoint="/test/17/webmention"),
    Case("18", (("Link", '<{base}/test/18/webmention/error>; rel="other"'),
                ("Link", '<{base}/test/18/webmention>; rel="webmention"')), page(""),
         "/test/18/webmention"),
    Case("19", (("Link", '<{base}/test/19/webmention/error>; rel="other", '
                         '<{base}/test/19/webmention>; rel="webmention"'),), page(""),
         "/test/19/webmention"),
    Case("20", html=page('<link rel="webmention">',
                         '<a rel="webmention" href="/test/20/webmention">a</a>'),
         endpoint="/test/20/webmention"),
    Case("21", html=page('<link rel="webmention" href="/test/21/webmention?query=yes">'),
         endpoint="/test/21/webmention?query=yes"),
    Case("22", html=page('<link rel="webmention" href="22/webmention">'),
         endpoint="/test/22/webmention"),
    # 23 (the redirect) has its own test below. Beyond webmention.rocks: <base> is not
    # consulted (relative to the target URL, as the Recommendation says), and a comma or a
    # semicolon inside a quoted parameter does not split the header.
    Case("base", html=page('<base href="/elsewhere/"><link rel="webmention" href="webmention">'),
         endpoint="/test/webmention"),
    Case("quoted", (("Link", '</test/quoted/error>; title="a, b; rel=webmention"; rel=other, '
                             "</test/quoted/webmention>; rel=webmention"),), page(""),
         "/test/quoted/webmention"),
    # Only elements a browser builds count: <noscript> is raw text to it, <template> inert;
    # <title>, <textarea> and <xmp> hold text, never elements.
    Case("noscript", html=page('<noscript><link rel="webmention" href="/test/noscript/error">'
                               '</noscript><link rel="webmention" href="/test/noscript/wm">'),
         endpoint="/test/noscript/wm"),
    Case("noscript-body", html=page("", '<noscript><a rel="webmention" href="/error">a</a>'
                                        '</noscript><a rel="webmention" href="/test/ns/wm">a</a>'),
         endpoint="/test/ns/wm"),
    Case("template", html=page("", '<template><a rel="webmention" href="/error">a</a>'
                                   '</template><a rel="webmention" href="/test/tpl/wm">a</a>'),
         endpoint="/test/tpl/wm"),
    Case("text", html=page('<title><link rel="webmention" href="/error"></title>',
                           '<textarea><a rel="webmention" href="/error">a</a></textarea>',
                           '<xmp><a rel="webmention" href="/error">a</a></xmp>',
                           '<a rel="webmention" href="/test/text/wm">a</a>'),
         endpoint="/test/text/wm"),
    # An href that is no URL is skipped like a missing one, in a header or in the page.
    Case("bad-header", (("Link", '<http://[>; rel="webmention", </test/bh/wm>; rel=webmention'),),
         page(""), "/test/bh/wm"),
    Case("bad-href", html=page('<link rel="webmention" href="http://[">',
                               '<a rel="webmention" href="http://x:port/">a</a>',
                               '<a rel="webmention" href="/test/bad/wm">a</a>'),
         endpoint="/test/bad/wm"),
]  # fmt: skip


def serve_case(pages, received, case: Case) -> str:
    path = f"/test/{case.name}"
    expected_path = case.endpoint.split("?", 1)[0]
    recorder = received.endpoint()

    def target(request: Request) -> Response:
        if request.method == "POST":
            return recorder(request)
        response = Response(case.html.replace("{base}", pages.base), content_type="text/html")
        for name, value in case.headers:
            response.headers.add(name, value.replace("{base}", pages.base))
        return response

    pages.handle(path, target)
    if expected_path != path:
        pages.handle(expected_path, recorder)
    return pages.url(path)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_endpoint_receives_exactly_one_correct_webmention(
    app, pages, received, queue_one, case
):
    target = serve_case(pages, received, case)
    send_id = queue_one(target)
    enqueue_sends([send_id])  # inline in tests: the job itself runs
    path, _, query = case.endpoint.partition("?")
    assert received.items == [(path, query, POST_URL, target)]
    assert posts_to(pages) == [path]
    send = db.session.get(OutboundSend, send_id, populate_existing=True)
    assert send.state == SendState.SENT and send.protocol == SendProtocol.WEBMENTION
    assert send.endpoint == pages.url(case.endpoint) and send.http_status == 202


def test_endpoint_relative_to_the_final_url_of_a_redirected_target(app, pages, received, queue_one):
    """Test 23: the target redirects; its relative endpoint resolves against the page it
    landed on, and the webmention's target stays the URL the post links to."""
    final = "/test/23/page/final-page"
    pages.add("/test/23/page", status=302, headers={"Location": final})
    pages.html(final, page('<link rel="webmention" href="webmention-endpoint">'))
    pages.handle("/test/23/page/webmention-endpoint", received.endpoint())
    target = pages.url("/test/23/page")
    send_id = queue_one(target)
    enqueue_sends([send_id])
    assert received.items == [("/test/23/page/webmention-endpoint", "", POST_URL, target)]
    assert posts_to(pages) == ["/test/23/page/webmention-endpoint"]
    send = db.session.get(OutboundSend, send_id)
    assert send.endpoint == pages.url("/test/23/page/webmention-endpoint")


def test_sender_names_itself_and_its_public_url(app, pages, received, queue_one):
    target = serve_case(pages, received, CASES[2])
    enqueue_sends([queue_one(target)])
    agents = [r.headers.get("User-Agent") for r in pages.requests]
    assert len(agents) == 2  # the page, then the endpoint
    assert all(a.startswith("commentsvc/") and "+http://comments.test" in a for a in agents)
    assert all("(webmention and pingback sender;" in a for a in agents)


def test_created_answer_records_the_receivers_status_url(app, pages, received, queue_one):
    pages.html("/article", page('<link rel="webmention" href="/wm">'))
    pages.handle("/wm", received.endpoint(201, Location="/wm/status/7"))
    send_id = queue_one(pages.url("/article"))
    enqueue_sends([send_id])
    send = db.session.get(OutboundSend, send_id)
    assert send.state == SendState.SENT and send.http_status == 201
    assert send.status_url == pages.url("/wm/status/7") and send.sent_at is not None


def test_image_target_advertising_by_its_link_header_receives_the_webmention(
    app, pages, received, queue_one
):
    """W3C 3.1.2: any target may advertise in a Link header; an image is not read as HTML."""
    pages.handle("/wm", received.endpoint())
    target = pages.add(
        "/photo.png",
        b"\x89PNG\r\n\x1a\n" + b"\0" * 5000,
        content_type="image/png",
        headers={"Link": '</wm>; rel="webmention"'},
    )
    send_id = queue_one(target)
    enqueue_sends([send_id])
    assert received.items == [("/wm", "", POST_URL, target)]
    send = db.session.get(OutboundSend, send_id)
    assert send.state == SendState.SENT and send.endpoint == pages.url("/wm")


def test_image_target_without_a_link_header_has_no_endpoint(app, pages, queue_one):
    target = pages.add(
        "/photo.png", b'<link rel="webmention" href="/wm">', content_type="image/png"
    )
    send_id = queue_one(target)
    enqueue_sends([send_id])
    send = db.session.get(OutboundSend, send_id)
    assert send.state == SendState.NO_ENDPOINT and posts_to(pages) == []
