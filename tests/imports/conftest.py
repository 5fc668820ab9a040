"""Fixtures for the import tests: the real sample exports and sites on their origins."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from commentsvc.extensions import db
from commentsvc.models import Site
from commentsvc.services.sites import create_site

SAMPLES = Path(__file__).resolve().parent / "samples"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def make_site(app: Flask) -> Callable[..., Site]:
    """``make_site(origin, ...)``: a site named ``old`` on the origins of a sample's blog."""

    def make(*origins: str) -> Site:
        created = create_site("old", list(origins))
        db.session.commit()
        return created

    return make


@pytest.fixture
def cli(app: Flask):
    """Runs ``commentsvc import ...`` in this process against the test database.

    The schema comes from the models; it is stamped as migrated so that the command's
    embedded-database upgrade has nothing to do.
    """
    from flask_migrate import stamp

    from commentsvc.cli.imports import import_command

    stamp()
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(import_command, list(args))

    return invoke


def write_wxr(path: Path, posts: int, comments_per_post: int, origin: str) -> Path:
    """A WXR 1.2 file like WordPress writes, of ``posts`` posts with replies two deep."""
    with path.open("w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8" ?>\n<rss version="2.0" '
            'xmlns:wp="http://wordpress.org/export/1.2/" '
            'xmlns:content="http://purl.org/rss/1.0/modules/content/">\n<channel>\n'
            "<wp:wxr_version>1.2</wp:wxr_version>\n"
            f"<wp:base_site_url>{origin}</wp:base_site_url>\n"
        )
        comment_id = 0
        for post in range(1, posts + 1):
            out.write(
                f"<item><title>Post {post}</title><link>{origin}/{post}/</link>"
                f"<wp:post_id>{post}</wp:post_id><wp:post_type>post</wp:post_type>\n"
            )
            for n in range(comments_per_post):
                comment_id += 1
                parent = comment_id - 1 if n % 3 else 0
                out.write(
                    f"<wp:comment><wp:comment_id>{comment_id}</wp:comment_id>"
                    f"<wp:comment_author><![CDATA[Reader {n}]]></wp:comment_author>"
                    f"<wp:comment_author_email>reader{n}@example.org</wp:comment_author_email>"
                    f"<wp:comment_author_IP>192.0.2.{n % 250}</wp:comment_author_IP>"
                    f"<wp:comment_date_gmt>2019-01-01 10:{n % 60:02d}:00</wp:comment_date_gmt>"
                    f"<wp:comment_content><![CDATA[Comment {comment_id} on post {post}.\n\n"
                    f'A second paragraph with <a href="https://example.org/">a link</a>.]]>'
                    f"</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
                    f"<wp:comment_type></wp:comment_type>"
                    f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>\n"
                )
            out.write("</item>\n")
        out.write("</channel>\n</rss>\n")
    return path


@pytest.fixture
def wxr_writer() -> Callable[..., Path]:
    return write_wxr
