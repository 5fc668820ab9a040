"""`commentsvc site check URL` against a real page server."""

from __future__ import annotations

import pytest

from commentsvc.cli.site_check import check
from commentsvc.extensions import db
from commentsvc.services.sites import update_site


@pytest.fixture
def blog_on_pages(site, pages):
    update_site(site, origins=[pages.base])
    db.session.commit()
    return pages


def test_check_passes_for_a_page_with_both_link_tags(app, blog_on_pages):
    head = (
        '<link rel="pingback" href="http://comments.test/pingback/blog">'
        '<link rel="webmention" href="http://comments.test/webmention/blog">'
    )
    url = blog_on_pages.html("/post", f"<html><head>{head}</head><body>hi</body></html>")
    result = app.test_cli_runner().invoke(check, [url])
    assert result.exit_code == 0, result.output
    assert "✓ pingback" in result.output and "✓ webmention" in result.output


def test_check_accepts_headers_and_reports_what_is_missing(app, blog_on_pages):
    url = blog_on_pages.add(
        "/headers", b"<p>hi</p>", headers={"X-Pingback": "http://comments.test/pingback/blog"}
    )
    result = app.test_cli_runner().invoke(check, [url])
    assert result.exit_code == 1
    assert "✓ pingback" in result.output
    assert "✗ webmention: not advertised" in result.output
    assert '<link rel="webmention" href="http://comments.test/webmention/blog">' in result.output


def test_check_flags_an_endpoint_of_another_site(app, blog_on_pages):
    url = blog_on_pages.add(
        "/wrong",
        b"<p>hi</p>",
        headers={"Link": '<http://comments.test/webmention/other>; rel="webmention"'},
    )
    result = app.test_cli_runner().invoke(check, [url])
    assert result.exit_code == 1
    assert "expected http://comments.test/webmention/blog" in result.output


def test_check_prints_no_escape_sequence_a_page_sends(app, blog_on_pages):
    """A page's header could retitle or recolour the operator's terminal."""
    escape = "http://comments.test/pb\x1b]0;PWNED\x07\x1b[31m"
    url = blog_on_pages.add("/esc", b"<p>hi</p>", headers={"X-Pingback": escape})
    result = app.test_cli_runner().invoke(check, [url])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "http://comments.test/pb?]0;PWNED??[31m" in result.output  # WordPress's reading


def test_allow_private_never_leads_the_check_to_cloud_metadata(app, blog_on_pages):
    """--allow-private reaches blogs on private networks; a redirect to 169.254.169.254 (where
    clouds answer with credentials) is still refused."""
    url = blog_on_pages.add(
        "/moved", b"", status=301, headers={"Location": "http://169.254.169.254/latest/"}
    )
    result = app.test_cli_runner().invoke(check, ["--allow-private", url])
    assert result.exit_code == 1 and "Could not fetch" in result.output
    assert "HTTP" not in result.output  # nothing answered: nothing was asked


def test_check_is_a_site_subcommand():
    from commentsvc.cli.site import site as site_group

    assert site_group.commands["check"] is check


def test_check_reports_headers_and_tags_that_are_no_urls_as_missing(app, blog_on_pages):
    url = blog_on_pages.add(
        "/hostile",
        b'<link rel="pingback" href="http://["><a rel="webmention" href="http://[">x</a>',
        content_type='text/html; charset="utf\x01-8"',
        headers={"Link": '<http://[>; rel="webmention"', "X-Pingback": "http://["},
    )
    result = app.test_cli_runner().invoke(check, [url])
    assert result.exit_code == 1 and type(result.exception) is SystemExit  # no traceback
    assert "✗ pingback: not advertised" in result.output
    assert "✗ webmention: not advertised" in result.output


def test_check_reads_the_link_header_of_a_page_that_is_not_html(app, blog_on_pages):
    url = blog_on_pages.add(
        "/photo.png",
        b"\x89PNG\r\n\x1a\n",
        content_type="image/png",
        headers={
            "Link": '<http://comments.test/webmention/blog>; rel="webmention"',
            "X-Pingback": "http://comments.test/pingback/blog",
        },
    )
    result = app.test_cli_runner().invoke(check, [url])
    assert result.exit_code == 0, result.output
    assert "✓ pingback" in result.output and "✓ webmention" in result.output
