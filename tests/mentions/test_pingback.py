"""Pingback 1.0 sent by the stdlib's xmlrpc.client to the service served live.

The fixtures run jobs inline (``JOBS_IN_PROCESS_WORKERS = 0``), so a check has ended when the
call returns; the tests that need the embedded default's thread pool say so.
"""

from __future__ import annotations

import time
import xmlrpc.client

import pytest
import requests
import sqlalchemy as sa
from werkzeug.wrappers import Response

from commentsvc.extensions import db
from commentsvc.models import Mention, Thread, Verification
from tests.mentions.helpers import TARGET, thread_mentions, wait_for
from tests.workers.pages import link_page

CHECKING = "received; it is being checked"


@pytest.fixture
def service(app, serve):
    return serve(app)


@pytest.fixture
def proxy(service, site):
    server_proxy = xmlrpc.client.ServerProxy(f"{service.url}/pingback/blog")
    yield server_proxy
    server_proxy("close")()  # a kept-alive connection would hold the live server's shutdown


FAULT = (
    b"<fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member>"
    b"<member><name>faultString</name><value><string>x</string></value></member></struct>"
    b"</value></fault>"
)


def fault_code(call) -> int:
    with pytest.raises(xmlrpc.client.Fault) as raised:
        call()
    return raised.value.faultCode


def the_mention() -> Mention:
    db.session.expire_all()  # the job wrote it in a session of its own
    return db.session.scalars(sa.select(Mention)).one()


def test_pingback_is_verified_and_shown_in_the_thread(proxy, pages, client):
    source = pages.html("/reply", link_page(TARGET, title="Their post"))
    answer = proxy.pingback.ping(source, TARGET)
    assert CHECKING in answer
    [shown] = thread_mentions(client)
    assert shown["kind"] == "pingback" and shown["title"] == "Their post"
    assert shown["excerpt"] == "I read this fine post and agree with it."  # a note, whole


def test_source_that_is_not_a_url_is_fault_0x0010_at_once(proxy, pages):
    assert fault_code(lambda: proxy.pingback.ping("not a url", TARGET)) == 0x0010
    assert db.session.scalar(sa.select(sa.func.count(Mention.id))) == 0


def test_missing_source_is_recorded_as_unreachable_not_answered(proxy, pages):
    """The outcome of the fetch is the worker's, recorded; the ping is answered before it."""
    assert CHECKING in proxy.pingback.ping(pages.url("/missing"), TARGET)
    mention = the_mention()
    assert mention.verification == Verification.REJECTED
    assert mention.rejection_code == "unreachable" and "404" in mention.rejection_reason
    assert proxy.pingback.extensions.getPingbacks(TARGET) == []


def test_source_without_the_link_is_recorded_as_no_link(proxy, pages):
    source = pages.html("/unrelated", "<title>x</title><p>no link</p>")
    assert CHECKING in proxy.pingback.ping(source, TARGET)
    mention = the_mention()
    assert mention.verification == Verification.REJECTED and mention.rejection_code == "no-link"
    assert proxy.pingback.extensions.getPingbacks(TARGET) == []


def test_target_that_is_not_a_page_is_fault_0x0020(proxy, pages):
    source = pages.html("/p", link_page(TARGET))
    assert fault_code(lambda: proxy.pingback.ping(source, "garbage")) == 0x0020


def test_target_off_the_site_is_fault_0x0021(proxy, pages, service):
    source = pages.html("/p", link_page(TARGET))
    assert fault_code(lambda: proxy.pingback.ping(source, "https://elsewhere.example/")) == 0x0021
    with xmlrpc.client.ServerProxy(f"{service.url}/pingback/no-such-site") as other:
        assert fault_code(lambda: other.pingback.ping(source, TARGET)) == 0x0021


def test_second_ping_is_fault_0x0030_and_makes_no_duplicate(proxy, pages, client):
    source = pages.html("/p", link_page(TARGET))
    proxy.pingback.ping(source, TARGET)
    assert fault_code(lambda: proxy.pingback.ping(source, TARGET)) == 0x0030
    assert len(thread_mentions(client)) == 1


def test_blocked_source_is_fault_0x0031(proxy, pages, site):
    site.blocklist = ["127.0.0.1"]
    db.session.commit()
    source = pages.html("/p", link_page(TARGET))
    assert fault_code(lambda: proxy.pingback.ping(source, TARGET)) == 0x0031
    assert pages.hits("/p") == 0


def test_source_failing_upstream_is_kept_pending_for_its_retry(proxy, pages):
    source = pages.add("/down", b"busy", status=503)
    assert CHECKING in proxy.pingback.ping(source, TARGET)
    mention = the_mention()
    assert mention.is_check_pending and mention.attempts == 1
    assert (mention.next_attempt_at - mention.updated_at).total_seconds() == 10


def test_internal_sources_answer_like_any_other_and_nothing_is_probed(app, proxy, pages):
    """CVE-2013-0235: the answer does not depend on the source; refused addresses are
    recorded exactly like missing pages, and nothing is fetched from them."""
    app.config["FETCH_ALLOW_NETWORKS"] = []
    open_port = pages.html("/p", link_page(TARGET))
    sources = (open_port, "http://127.0.0.1:9/", "http://10.0.0.1:22/", "http://[::1]:6379/")
    answers = {proxy.pingback.ping(source, TARGET).replace(source, "S") for source in sources}
    assert answers == {f"Pingback from S to {TARGET} {CHECKING}."}
    assert pages.hits("/p") == 0
    db.session.expire_all()
    outcomes = {(m.verification, m.rejection_code) for m in db.session.scalars(sa.select(Mention))}
    assert outcomes == {(Verification.REJECTED, "unreachable")}
    assert proxy.pingback.extensions.getPingbacks(TARGET) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<methodCall><methodName>pingback.ping</methodName>",
        b"not xml at all",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'><!ENTITY b '&a;&a;&a;&a;'>]>"
        b"<methodCall><methodName>&b;</methodName></methodCall>",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>"
        b"<methodCall><methodName>&e;</methodName></methodCall>",
        b"<methodCall><methodName>pingback.ping</methodName><params><param><value><i4>x</i4>"
        b"</value></param></params></methodCall>",
        b"<methodResponse><params/></methodResponse>",
        b"<methodCall>" + FAULT + b"</methodCall>",
        b"<methodResponse>" + FAULT + b"</methodResponse>",
        b"<struct><member><name>a</name></member></struct>",
        b"<?xml version='1.0' encoding='utf-8'?><methodCall><methodName>\xff\xfe</methodName>"
        b"</methodCall>",
        b"<methodCall><methodName>x</methodName><params><param><value>"
        b"<dateTime.iso8601>soon</dateTime.iso8601></value></param></params></methodCall>",
        b"<methodCall><methodName>x</methodName><params><param><value><boolean>7</boolean>"
        b"</value></param></params></methodCall>",
        b"<methodCall><methodName>x</methodName><params><param><value><struct><member>"
        b"<value><int>1</int></value></member></struct></value></param></params></methodCall>",
        b"<methodCall><methodName></methodName></methodCall>",
        b"<?xml version='1.0' encoding='x-bogus'?><methodCall><methodName>system.listMethods"
        b"</methodName></methodCall>",
        b"<?xml version='1.0' encoding='rot13'?><methodCall><methodName>system.listMethods"
        b"</methodName></methodCall>",
    ],
    ids=[
        "empty", "truncated", "text", "entity-expansion", "external-entity", "bad-int", "wrong",
        "call-with-fault", "response-with-fault", "wrong-root", "not-utf-8", "bad-date",
        "bad-boolean", "nameless-member", "no-method", "unknown-encoding", "not-a-text-encoding",
    ],
)  # fmt: skip
def test_malformed_xml_rpc_gets_a_fault_not_a_500(service, site, body):
    response = requests.post(f"{service.url}/pingback/blog", data=body, timeout=5)
    assert response.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(response.content)
    assert raised.value.faultCode in {-32700, -32600}


def test_huge_body_is_refused_not_a_500(service, site):
    body = _call(*[b"<string>x</string>"] * 5000)
    assert len(body) > 64 * 1024
    response = requests.post(f"{service.url}/pingback/blog", data=body, timeout=5)
    if response.status_code == 200:  # under the request limit: the XML-RPC size check answers
        with pytest.raises(xmlrpc.client.Fault) as raised:
            xmlrpc.client.loads(response.content)
        assert raised.value.faultCode == -32700
    else:
        assert response.status_code == 413


def test_huge_form_body_is_a_parse_fault_too(service, site):
    """A form body is read to look for NULs; too big, it is the same parse error as XML."""
    response = requests.post(
        f"{service.url}/pingback/blog", data={"a": "x" * (100 * 1024)}, timeout=5
    )
    assert response.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(response.content)
    assert raised.value.faultCode == -32700


def _call(*params: bytes) -> bytes:
    wrapped = b"".join(b"<param><value>" + p + b"</value></param>" for p in params)
    return b"<methodCall><methodName>pingback.ping</methodName><params>%s</params></methodCall>" % (
        wrapped
    )


NESTED = b"<array><data><value>" * 1000 + b"<int>1</int>" + b"</value></data></array>" * 1000


@pytest.mark.parametrize(
    "body",
    [
        _call(b"<int>1</int>", b"<int>2</int>"),
        _call(b"<array><data><value><array><data/></array></value></data></array>", b"<struct/>"),
        _call(NESTED, b"<string>x</string>"),
        _call(b"<base64>eA==</base64>", b"<string>x</string>"),
        _call(b"<nil/>", b"<double>1.5</double>"),
        b"<?xml version='1.0' encoding='iso-8859-1'?><methodCall><methodName>pingback.ping"
        b"</methodName><params><param><value><string>\xe9</string></value></param></params>"
        b"</methodCall>",
    ],
    ids=["ints", "array-and-struct", "nested-arrays", "bytes", "nil-and-double", "latin-1"],
)
def test_parameters_of_the_wrong_types_get_a_fault_not_a_500(service, site, body):
    response = requests.post(f"{service.url}/pingback/blog", data=body, timeout=5)
    assert response.status_code == 200
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(response.content)
    assert raised.value.faultCode == -32602


def test_wrong_parameters_and_unknown_methods_get_faults(proxy):
    assert fault_code(lambda: proxy.pingback.ping("only one")) == -32602
    assert fault_code(lambda: proxy.pingback.ping(1, 2)) == -32602
    assert fault_code(lambda: proxy.system.shutdown()) == -32601


def test_get_pingbacks_lists_the_verified_sources(proxy, pages):
    source = pages.html("/p", link_page(TARGET))
    proxy.pingback.ping(source, TARGET)
    assert proxy.pingback.extensions.getPingbacks(TARGET) == [source]
    assert fault_code(lambda: proxy.pingback.extensions.getPingbacks(TARGET + "x")) == 0x0020
    assert fault_code(lambda: proxy.pingback.extensions.getPingbacks("http://x.example/")) == 0x0021


def test_pingback_and_webmention_of_one_source_make_one_mention(proxy, pages, client):
    source = pages.html("/p", link_page(TARGET))
    proxy.pingback.ping(source, TARGET)
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count(Mention.id))) == 1
    assert len(thread_mentions(client)) == 1


def test_slow_sources_hold_no_web_worker_and_reads_stay_fast(
    app, site, pages, client, release, serve_one_at_a_time
):
    """The issue's reproduction: twelve pingbacks whose sources hang, sent to a server that
    handles one request at a time (one sync worker). Each ping answers at once, and thread
    reads between them answer at once while the checks hang in the embedded default's pool."""
    app.config.update(JOBS_IN_PROCESS_WORKERS=2, FETCH_TIMEOUT_SECONDS=60)

    def hanging(_request):
        release.wait(60)  # a page that answers only when the test lets it
        return Response(link_page(TARGET), content_type="text/html")

    server = serve_one_at_a_time(app)
    thread_url = f"{server.url}/api/sites/blog/thread"
    slowest_ping = slowest_read = 0.0
    for number in range(12):
        source = pages.handle(f"/hanging-{number}", hanging)
        started = time.monotonic()
        with xmlrpc.client.ServerProxy(f"{server.url}/pingback/blog") as proxy:
            assert CHECKING in proxy.pingback.ping(source, TARGET)
        slowest_ping = max(slowest_ping, time.monotonic() - started)
        started = time.monotonic()
        read = requests.get(thread_url, params={"url": TARGET}, timeout=30)
        slowest_read = max(slowest_read, time.monotonic() - started)
        assert read.status_code == 200
    deadline = time.monotonic() + 10
    while sum(pages.hits(f"/hanging-{n}") for n in range(12)) < 2 < deadline - time.monotonic():
        time.sleep(0.05)
    assert sum(pages.hits(f"/hanging-{n}") for n in range(12)) == 2  # both job threads hang
    assert slowest_ping < 1.0 and slowest_read < 1.0
    release.set()
    wait_for(
        lambda: (
            db.session.scalar(
                sa.select(sa.func.count(Mention.id)).where(
                    Mention.verification == Verification.VERIFIED
                )
            )
            == 12
        )
    )
    assert len(thread_mentions(client)) == 12


def test_get_pingbacks_of_a_page_only_claimed_so_far_is_empty_not_a_fault(
    app, proxy, pages, release
):
    """A claim makes no thread; getPingbacks still knows the page is being checked."""
    app.config.update(JOBS_IN_PROCESS_WORKERS=1)

    def hanging(_request):
        release.wait(30)
        return Response(link_page(TARGET), content_type="text/html")

    assert CHECKING in proxy.pingback.ping(pages.handle("/hanging", hanging), TARGET)
    assert db.session.scalar(sa.select(sa.func.count(Thread.id))) == 0
    assert proxy.pingback.extensions.getPingbacks(TARGET) == []
    release.set()
    wait_for(lambda: the_mention().verification == Verification.VERIFIED)


def test_trackback_is_verified_like_a_pingback(client, site, pages):
    source = pages.html("/tb", link_page(TARGET, title="Tracked"))
    response = client.post(
        "/trackback/blog", query_string={"url": TARGET}, data={"url": source, "title": "lies"}
    )
    assert b"<error>0</error>" in response.data
    [shown] = thread_mentions(client)
    assert shown["kind"] == "trackback" and shown["title"] == "Tracked"
    bad = client.post("/trackback/blog", query_string={"url": TARGET}, data={"url": "x"})
    assert b"<error>1</error>" in bad.data


def test_nul_in_the_query_or_path_still_gets_an_xml_rpc_fault(client, site):
    call = xmlrpc.client.dumps(("https://a.example/", TARGET), "pingback.ping").encode()
    for path in ("/pingback/blog?x=%00", "/pingback/bl%00og"):
        response = client.post(path, data=call, content_type="text/xml")
        assert response.status_code == 200 and response.mimetype == "text/xml"
        with pytest.raises(xmlrpc.client.Fault) as raised:
            xmlrpc.client.loads(response.data)
        assert raised.value.faultCode == -32600


def test_nul_in_a_trackback_field_gets_a_trackback_error(client, site):
    response = client.post(
        "/trackback/blog", query_string={"url": TARGET}, data={"url": "https://a.example/\x00"}
    )
    assert response.mimetype == "text/xml"
    assert b"<error>1</error>" in response.data and b"NUL" in response.data


def test_oversized_trackback_gets_a_trackback_error(client, site):
    response = client.post(
        "/trackback/blog", query_string={"url": TARGET}, data={"excerpt": "x" * (100 * 1024)}
    )
    assert response.mimetype == "text/xml"
    assert b"<error>1</error>" in response.data and b"too large" in response.data
