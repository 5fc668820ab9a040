"""A static blog served for real on loopback: pages by path, editable between requests, with
ETag / Last-Modified answers and a log of the requests it saw (headers included)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response


@dataclass
class Page:
    body: str
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class StaticBlog:
    """The WSGI app; ``url`` is set once it is served."""

    pages: dict[str, Page] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""
    # Called with the path before each answer (on the server's thread): a test's hook.
    before: Callable[[str], None] | None = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.seen.append((request.path, dict(request.headers)))
        if self.before is not None:
            self.before(request.path)
        page = self.pages.get(request.path)
        if page is None:
            return Response("not here", status=404)(environ, start_response)
        is_fresh = (page.etag and request.headers.get("If-None-Match") == page.etag) or (
            page.last_modified and request.headers.get("If-Modified-Since") == page.last_modified
        )
        if is_fresh:
            return Response(status=304)(environ, start_response)
        response = Response(page.body, status=page.status, content_type=page.content_type)
        if page.etag:
            response.headers["ETag"] = page.etag
        if page.last_modified:
            response.headers["Last-Modified"] = page.last_modified
        return response(environ, start_response)

    def requests_for(self, path: str) -> list[dict[str, str]]:
        return [headers for seen_path, headers in self.seen if seen_path == path]


def rss(blog_url: str, *items: tuple[str, str]) -> str:
    """An RSS 2.0 feed listing ``(path, description)`` items of the blog."""
    entries = "".join(
        f"<item><title>{path}</title><link>{blog_url}{path}</link>"
        f"<description>{text}</description></item>"
        for path, text in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Blog</title><link>{blog_url}/</link>{entries}</channel></rss>"
    )


def post_page(title: str, content: str, *, extra: str = "") -> str:
    """A post as a static-site generator writes it: nav, header, an h-entry, a footer."""
    return f"""<!doctype html><html><head><title>{title}</title>{extra}</head><body>
<header><a href="https://elsewhere.invalid/header-link">A header link</a></header>
<nav><a href="https://elsewhere.invalid/blogroll">Blogroll</a></nav>
<article class="h-entry"><h1 class="p-name">{title}</h1>
<div class="e-content">{content}</div></article>
<footer><a href="https://elsewhere.invalid/footer-link">Powered by</a></footer>
</body></html>"""
