"""Webmentions (sent by ronkyuu, a sender library from PyPI) and pingbacks (the stdlib's
``xmlrpc.client``) to every form of a page's address that senders write land on the one thread
the page's widget reads, and ``/counts`` agrees for every form."""

from __future__ import annotations

import xmlrpc.client

import pytest
import requests
import ronkyuu

from commentsvc.extensions import db
from commentsvc.services.sites import create_site
from tests.workers.pages import link_page

PAGE = "/posts/self-hosting/"


def send_webmention(service, site: str, source: str, target: str) -> None:
    """By ronkyuu, which first GETs the target; for a target no local server can answer (an
    ``https://`` or ``www.`` form of the plain-http loopback site) the same form POST is sent
    directly, as ronkyuu would after its GET."""
    endpoint = f"{service.url}/webmention/{site}"
    try:
        requests.get(target, timeout=2)
    except requests.RequestException:
        answer = requests.post(endpoint, data={"source": source, "target": target}, timeout=10)
    else:
        answer = ronkyuu.sendWebmention(source, target, webmention=endpoint, test_urls=False)
    assert answer is not None and answer.status_code == 201, answer and answer.text


def thread_of(service, site: str, url: str) -> dict:
    answer = requests.get(f"{service.url}/api/sites/{site}/thread", params={"url": url}, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()


def counts(service, site: str, urls: list[str]) -> dict[str, int]:
    answer = requests.get(
        f"{service.url}/api/sites/{site}/counts", params={"url": urls}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def source_page(pages, name: str, target: str) -> str:
    return pages.html(f"/src/{name}", link_page(target, title=f"Reply {name}"))


def test_every_form_of_a_page_lands_on_its_one_thread(
    service, local_site, pages, pingback, blog_origin, www_origin
):
    own = f"{blog_origin}{PAGE}"
    https = blog_origin.replace("http://", "https://")
    forms = [
        own,
        f"{blog_origin}/posts/self-hosting",
        f"{blog_origin}{PAGE}?lang=en",
        f"{blog_origin}{PAGE}?utm_source=feed&utm_medium=rss",
        f"{https}{PAGE}",
        f"{https}/posts/self-hosting",
        f"{www_origin}{PAGE}",
        f"{www_origin}/posts/self-hosting?hl=de",
    ]
    for number, form in enumerate(forms):
        send_webmention(service, "local", source_page(pages, f"wm{number}", form), form)
        answer = pingback("local", source_page(pages, f"pb{number}", form), form)
        assert "being checked" in answer
    shown = thread_of(service, "local", own)
    assert len(shown["mentions"]) == 2 * len(forms)
    assert {m["kind"] for m in shown["mentions"]} == {"webmention", "pingback"}
    assert shown["thread"]["url"] == own and shown["thread"]["count"] == 2 * len(forms)
    assert set(counts(service, "local", forms).values()) == {2 * len(forms)}
    for form in forms:
        assert thread_of(service, "local", form)["thread"]["id"] == shown["thread"]["id"]


def test_the_same_source_to_two_forms_of_a_page_is_one_mention(
    service, local_site, pages, pingback, blog_origin
):
    https = blog_origin.replace("http://", "https://")
    source = pages.html(
        "/src/both", link_page(f"{blog_origin}{PAGE}", extra=f'<a href="{https}{PAGE}">again</a>')
    )
    send_webmention(service, "local", source, f"{blog_origin}{PAGE}")
    send_webmention(service, "local", source, f"{https}{PAGE}")
    with pytest.raises(xmlrpc.client.Fault) as registered:  # the same response, known
        pingback("local", source, f"{blog_origin}/posts/self-hosting")
    assert registered.value.faultCode == 0x0030
    assert len(thread_of(service, "local", f"{https}{PAGE}")["mentions"]) == 1


def test_iri_and_lower_case_escapes_land_on_the_page_of_upper_case_escapes(
    service, local_site, pages, pingback, blog_origin
):
    own = f"{blog_origin}/posts/caf%C3%A9-x/"
    forms = [f"{blog_origin}/posts/café-x", f"{blog_origin}/posts/caf%c3%a9-x/", own]
    for number, form in enumerate(forms):
        send_webmention(service, "local", source_page(pages, f"iri{number}", form), form)
        pingback("local", source_page(pages, f"iri-pb{number}", form), form)
    shown = thread_of(service, "local", own)
    assert len(shown["mentions"]) == 2 * len(forms), shown["mentions"]
    assert shown["thread"]["url"] == f"{blog_origin}/posts/caf%C3%A9-x"
    assert set(counts(service, "local", forms).values()) == {2 * len(forms)}


def test_http_links_reach_a_site_that_moved_to_https(service, app, pages, pingback, blog_origin):
    https = blog_origin.replace("http://", "https://")
    with app.app_context():
        create_site("moved", [https])
        db.session.commit()
    old_link = f"{blog_origin}/posts/old/"
    send_webmention(service, "moved", source_page(pages, "old-wm", old_link), old_link)
    pingback("moved", source_page(pages, "old-pb", old_link), old_link)
    shown = thread_of(service, "moved", f"{https}/posts/old/")
    assert shown["thread"]["url"] == f"{https}/posts/old/"
    assert len(shown["mentions"]) == 2


def test_a_www_form_is_foreign_to_a_site_that_lists_only_the_bare_host(
    service, app, pages, blog_origin, www_origin
):
    with app.app_context():
        create_site("bare", [blog_origin])
        db.session.commit()
    target = f"{www_origin}{PAGE}"
    answer = requests.post(
        f"{service.url}/webmention/bare",
        data={"source": source_page(pages, "www", target), "target": target},
        timeout=10,
    )
    assert answer.status_code == 400 and "not on an origin" in answer.text
