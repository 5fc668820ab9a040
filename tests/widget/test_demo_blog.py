"""The demo's sample blog and its site, without a browser."""

from __future__ import annotations

import pytest

from commentsvc.cli.demo import POSTS, blog_app, blog_origins, ensure_demo_site
from commentsvc.extensions import db
from commentsvc.services.sites import get_site

SERVICE = "http://127.0.0.1:8000"


@pytest.fixture
def blog():
    return blog_app(SERVICE).test_client()


def test_index_lists_every_post_with_a_count_element_and_count_js(blog) -> None:
    html = blog.get("/", base_url="http://127.0.0.1:8001").get_data(as_text=True)
    for post in POSTS:
        assert f'data-comments-count="http://127.0.0.1:8001/posts/{post.slug}/"' in html
    assert f'<script src="{SERVICE}/count.js" data-site="demo" async>' in html


def test_post_embeds_the_widget_and_advertises_pingback_and_webmention(blog) -> None:
    html = blog.get("/posts/hello-world/", base_url="http://localhost:8001").get_data(as_text=True)
    assert '<link rel="canonical" href="http://localhost:8001/posts/hello-world/">' in html
    assert f'<link rel="pingback" href="{SERVICE}/pingback/demo">' in html
    assert f'<link rel="webmention" href="{SERVICE}/webmention/demo">' in html
    assert f'<script src="{SERVICE}/embed.js" data-site="demo" async>' in html
    assert '<div id="comments"></div>' in html


def test_post_passes_only_known_themes_and_short_language_tags(blog) -> None:
    html = blog.get('/posts/hello-world/?theme="><script>&lang=de').get_data(as_text=True)
    assert 'data-lang="de"' in html and "data-theme" not in html and "<script>" not in html
    assert 'data-theme="dark"' in blog.get("/posts/hello-world/?theme=dark").get_data(as_text=True)


def test_unknown_post_is_404(blog) -> None:
    assert blog.get("/posts/nope/").status_code == 404
    assert blog.get("/posts/base/").status_code == 404


def test_demo_site_is_created_once_and_learns_new_blog_ports(app) -> None:
    ensure_demo_site(blog_origins(8001))
    db.session.commit()
    assert get_site("demo").origins == ["http://127.0.0.1:8001", "http://localhost:8001"]
    ensure_demo_site(blog_origins(8001))
    ensure_demo_site(blog_origins(9001))
    db.session.commit()
    assert set(get_site("demo").origins) == {
        *blog_origins(8001),
        *blog_origins(9001),
    }
