"""Fixtures of the canonical-thread tests: the service served live, the loopback page server
holding both the linking pages and the site's own pages, and sites on that server."""

from __future__ import annotations

import xmlrpc.client
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest

from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.services.sites import create_site
from tests.workers.pages import Pages, pages, pages_server  # noqa: F401 - fixtures


@pytest.fixture
def service(app, serve):
    return serve(app)


@pytest.fixture
def blog_origin(pages: Pages) -> str:  # noqa: F811 - the fixture above
    """The site's pages live on the page server, under the name ``localhost`` (the linking
    pages use ``127.0.0.1``), so that the title job can read them."""
    return f"http://localhost:{urlsplit(pages.base).port}"


@pytest.fixture
def www_origin(blog_origin: str) -> str:
    return blog_origin.replace("://", "://www.")


@pytest.fixture
def local_site(app, blog_origin: str, www_origin: str) -> Site:
    """``local``: an ``http://`` site that lists its ``www.`` host too."""
    created = create_site("local", [blog_origin, www_origin])
    db.session.commit()
    return created


@pytest.fixture
def pingback(service) -> Iterator[Callable[[str, str, str], str]]:
    """``pingback(site, source, target)`` with the stdlib's XML-RPC client."""
    proxies: list[xmlrpc.client.ServerProxy] = []

    def send(site: str, source: str, target: str) -> str:
        proxy = xmlrpc.client.ServerProxy(f"{service.url}/pingback/{site}")
        proxies.append(proxy)
        return proxy.pingback.ping(source, target)

    yield send
    for proxy in proxies:
        proxy("close")()  # a kept-alive connection would hold the live server's shutdown
