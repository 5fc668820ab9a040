"""The service pings WordPress: ``commentsvc mentions send`` for a post of the site that links
to a WordPress post, and the pingback shows on that post as a comment of type pingback."""

from __future__ import annotations

import pytest

from commentsvc.cli.mentions import send
from tests.workers.pages import link_page

pytestmark = pytest.mark.wordpress


@pytest.fixture
def database_url(tmp_path) -> str:
    """One database only: WordPress refuses a second pingback from one address within 15 s
    ("You are posting comments too quickly", fault 429), so this runs once per session."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


def test_the_services_pingback_shows_as_a_pingback_comment_on_the_wordpress_post(
    app, wordpress, blog, pages
):
    wp_post = wordpress.publish("A WordPress post", "<p>Nothing linked here.</p>")
    ours = pages.html("/notes/reply", link_page(wp_post["url"], title="A reply from the blog"))
    result = app.test_cli_runner().invoke(send, ["blog", "--url", ours])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith(wp_post["url"]))
    assert line.split("\t")[1:3] == [f"{wordpress.url}/xmlrpc.php", "pingback"], line
    (comment,) = wordpress.inspect(wp_post["id"])["comments"]
    assert comment["type"] == "pingback" and comment["approved"] in {"0", "1"}
    assert comment["url"] == ours and comment["author"].startswith("A reply from the blog")
    verified = [entry for entry in wordpress.requests() if entry["url"] == ours]
    assert verified and verified[-1]["redirection"] == 0  # WordPress follows no redirect there
