"""Pingback 1.0 sent by the stdlib's xmlrpc.client to the service served live."""

from __future__ import annotations

import time
import xmlrpc.client

import pytest
import requests
import sqlalchemy as sa
from werkzeug.wrappers import Response

from commentsvc.extensions import db
from commentsvc.models import Mention
from tests.mentions.helpers import TARGET, thread_mentions
from tests.workers.pages import link_page


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


def test_pingback_is_verified_and_shown_in_the_thread(proxy, pages, client):
    source = pages.html("/reply", link_page(TARGET, title="Their post"))
    answer = proxy.pingback.ping(source, TARGET)
    assert "registered" in answer
    [shown] = thread_mentions(client)
    assert shown["kind"] == "pingback" and shown["title"] == "Their post"
    assert shown["excerpt"].startswith("[…]")


def test_source_that_does_not_exist_is_fault_0x0010(proxy, pages):
    assert fault_code(lambda: proxy.pingback.ping(pages.url("/missing"), TARGET)) == 0x0010
    assert fault_code(lambda: proxy.pingback.ping("not a url", TARGET)) == 0x0010


def test_source_without_the_link_is_fault_0x0011(proxy, pages):
    source = pages.html("/unrelated", "<title>x</title><p>no link</p>")
    assert fault_code(lambda: proxy.pingback.ping(source, TARGET)) == 0x0011


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


def test_source_failing_upstream_is_fault_0x0032(proxy, pages):
    source = pages.add("/down", b"busy", status=503)
    assert fault_code(lambda: proxy.pingback.ping(source, TARGET)) == 0x0032


def test_internal_source_gets_the_same_fault_as_a_missing_one(app, proxy, pages):
    """CVE-2013-0235: refused and unreachable sources answer alike; nothing is probed."""
    app.config["FETCH_ALLOW_NETWORKS"] = []
    open_port = pages.html("/p", link_page(TARGET))
    closed_port = "http://127.0.0.1:9/"
    faults = []
    for source in (open_port, closed_port, "http://10.0.0.1:22/", "http://[::1]:6379/"):
        with pytest.raises(xmlrpc.client.Fault) as raised:
            proxy.pingback.ping(source, TARGET)
        faults.append((raised.value.faultCode, raised.value.faultString))
    assert len(set(faults)) == 1 and faults[0][0] == 0x0010
    assert pages.hits("/p") == 0


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
    ],
    ids=[
        "empty", "truncated", "text", "entity-expansion", "external-entity", "bad-int", "wrong",
        "call-with-fault", "response-with-fault", "wrong-root", "not-utf-8", "bad-date",
        "bad-boolean", "nameless-member", "no-method",
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


def test_pingback_and_webmention_of_one_source_make_one_mention(proxy, pages, client):
    source = pages.html("/p", link_page(TARGET))
    proxy.pingback.ping(source, TARGET)
    response = client.post("/webmention/blog", data={"source": source, "target": TARGET})
    assert response.status_code == 201
    assert db.session.scalar(sa.select(sa.func.count(Mention.id))) == 1
    assert len(thread_mentions(client)) == 1


def test_slow_check_answers_queued_and_finishes_in_the_background(
    app, proxy, pages, client, release
):
    """The embedded default: jobs on threads of the web process; the ping waits briefly."""
    app.config.update(JOBS_IN_PROCESS_WORKERS=2, PINGBACK_WAIT_SECONDS=0.3)

    def slow(_request):
        release.wait(30)  # answers only once the ping has had its answer
        return Response(link_page(TARGET), content_type="text/html")

    answer = proxy.pingback.ping(pages.handle("/slow", slow), TARGET)
    assert "being checked" in answer
    release.set()
    deadline = time.monotonic() + 10
    while not thread_mentions(client) and time.monotonic() < deadline:
        time.sleep(0.1)
        db.session.expire_all()
    assert len(thread_mentions(client)) == 1


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
