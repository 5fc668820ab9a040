"""What WordPress finds as a page's pingback endpoint: ``discover_pingback_server_uri`` (6.1,
wp-includes/comment.php), byte for byte, for ``commentsvc site check``.

WordPress does not parse the page. It takes the ``X-Pingback`` header of a ``HEAD`` request as
it is; else, unless the type is image, audio, video or model, it ``GET``\\s the page (2 s
timeout) and searches the raw text for the literal ``rel="pingback"`` (else ``rel='pingback'``),
then for the first ``href=`` after it, anywhere, and takes what lies between the next quote and
the following quote of the same kind as the ``rel``'s, unresolved. So ``rel=pingback`` (no
quotes) and ``rel="pingback me"`` are not found, ``<link href=… rel="pingback">`` yields the
next tag's ``href``, and a relative ``href`` yields a URL WordPress's XML-RPC client cannot post
to (it sends nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

DOUBLE, SINGLE = b'rel="pingback"', b"rel='pingback'"
NOT_SEARCHED = re.compile(r"(image|audio|video|model)/", re.IGNORECASE)
# Any other spelling of a pingback rel, to tell a reader why WordPress missed theirs.
OTHER_REL = re.compile(rb"""rel\s*=\s*(?:pingback\b|["'][^"'>]*\bpingback\b)""", re.IGNORECASE)
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class WordPressFinding:
    """The URL WordPress would post its pingback to (None: it sends none), and why."""

    url: str | None
    reason: str


def wordpress_pingback(body: bytes, x_pingback: str | None, content_type: str) -> WordPressFinding:
    """What ``discover_pingback_server_uri`` returns for a page with these headers and body."""
    if x_pingback:
        return WordPressFinding(x_pingback, "the X-Pingback header, taken as it is")
    if NOT_SEARCHED.search(content_type):
        return WordPressFinding(None, f"WordPress does not search a {content_type} page")
    offset, quote = body.find(DOUBLE), b'"'
    if offset <= 0:  # WordPress tests the offset for truth: 0 counts as not found
        offset, quote = body.find(SINGLE), b"'"
    if offset <= 0:
        if OTHER_REL.search(body):
            return WordPressFinding(
                None,
                "WordPress searches for the literal text rel=\"pingback\" (or rel='pingback'): "
                "write the rel value in quotes, and alone",
            )
        return WordPressFinding(None, "not advertised")
    href = body.find(b"href=", offset)
    start = (href if href >= 0 else -6) + 6  # PHP: false + 6 is 6
    end = body.find(quote, start)
    if end <= start:
        return WordPressFinding(None, 'no href= follows rel="pingback"')
    url = body[start:end].decode("utf-8", "replace")
    tag_start = body.rfind(b"<", 0, offset)
    if b"href=" in body[tag_start:offset]:
        return WordPressFinding(
            url, 'the first href= after rel="pingback", which is not that tag\'s own: '
            "write rel before href",
        )  # fmt: skip
    return WordPressFinding(url, 'the first href= after rel="pingback"')


def can_post_to(url: str) -> bool:
    """Whether WordPress's XML-RPC client can post to ``url`` (it resolves nothing)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in {"http", "https"} and bool(parts.hostname)
