"""``commentsvc site check`` says what WordPress will do with a page, and WordPress then does
exactly that, for each way of writing the pingback tag."""

from __future__ import annotations

import pytest

from commentsvc.cli.site_check import check

pytestmark = pytest.mark.wordpress

WEBMENTION = '<link rel="webmention" href="{service}/webmention/blog">'
VARIANTS = {
    "rel-first": '<link rel="pingback" href="{service}/pingback/blog">',
    "href-first": '<link href="{service}/pingback/blog" rel="pingback">',
    "unquoted-rel": "<link rel=pingback href={service}/pingback/blog>",
    "relative-href": '<link rel="pingback" href="/pingback/blog">',
}
# What site check must say on its WordPress line, and where WordPress then posts (None: nowhere).
EXPECTED = {
    "rel-first": ("✓ pingback, as WordPress finds it", "/pingback/blog"),
    "href-first": (
        "✗ pingback, as WordPress finds it: posts to {service}/webmention/blog",
        "/webmention/blog",
    ),
    "unquoted-rel": (
        'sends no pingback: WordPress searches for the literal text rel="pingback"',
        None,
    ),
    "relative-href": ("sends no pingback: it takes '/pingback/blog'", None),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_site_check_says_what_wordpress_then_does(app, wordpress, service, blog, pages, variant):
    head = VARIANTS[variant].format(service=service.url) + WEBMENTION.format(service=service.url)
    target = pages.html(f"/posts/{variant}", f"<html><head>{head}</head><body>hi</body></html>")
    said, posted_to = EXPECTED[variant]
    result = app.test_cli_runner().invoke(check, [target])
    assert said.format(service=service.url) in result.output, result.output
    assert result.exit_code == (0 if variant == "rel-first" else 1), result.output
    if variant == "relative-href":  # the specification resolves it: against the blog
        assert f"✗ pingback: advertises {pages.base}/pingback/blog" in result.output
    else:  # the specification's reading finds the others
        assert f"✓ pingback: {service.url}/pingback/blog" in result.output
    seen = len(wordpress.requests())
    wordpress.publish("Checked", f'<p>About <a href="{target}">this</a>.</p>')
    posts = [entry for entry in wordpress.requests()[seen:] if entry["method"] == "POST"]
    sent = [entry for entry in posts if entry["status"] is not None]
    if posted_to is None:  # at most an attempt that never left: "A valid URL was not provided."
        assert sent == [], sent
    else:
        (post,) = sent
        assert post["url"] == f"{service.url}{posted_to}"
        assert post["user_agent"].startswith("The Incutio XML-RPC PHP Library -- WordPress/")
