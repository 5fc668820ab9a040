"""Where a page says to send pingbacks and webmentions: ``X-Pingback`` and ``Link`` headers,
then ``<link rel>`` (and, for webmention, ``<a rel>``) in the HTML, first one wins."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from requests.utils import parse_header_links

from workers.parse import base_url, soup_of


@dataclass(frozen=True)
class Endpoints:
    pingback: str | None
    webmention: str | None


def discover_endpoints(
    body: bytes, charset: str | None, url: str, link_headers: list[str], x_pingback: str | None
) -> Endpoints:
    """The pingback and webmention endpoints a page advertises (headers first, then HTML)."""
    webmention = None
    for header in link_headers:
        for link in parse_header_links(header):
            if "webmention" in str(link.get("rel", "")).split() and webmention is None:
                webmention = urljoin(url, link.get("url", "").strip("<> "))
    pingback = urljoin(url, x_pingback.strip()) if x_pingback else None
    if webmention and pingback:
        return Endpoints(pingback=pingback, webmention=webmention)
    soup = soup_of(body, charset)
    base = base_url(soup, url)
    for element in soup.find_all(["link", "a"], rel=True, href=True):
        rels = element.get("rel") or []
        rels = rels.split() if isinstance(rels, str) else [r.lower() for r in rels]
        href = urljoin(base, str(element["href"]).strip())
        if webmention is None and "webmention" in rels:
            webmention = href
        if pingback is None and "pingback" in rels and element.name == "link":
            pingback = href
    return Endpoints(pingback=pingback, webmention=webmention)
