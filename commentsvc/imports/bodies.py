"""Comment bodies that arrive as HTML (WordPress, Disqus), made into what readers saw there.

WordPress stores a comment as typed, with bare newlines, and adds paragraphs only on display
(``wpautop``: a blank line ends a paragraph, a single newline is a line break); Disqus stores
HTML paragraphs. CommonMark with raw HTML allowed does the same paragraphing while keeping the
tags (links, code, emphasis); the result then goes through the one allow-list every comment
body goes through (:func:`commentsvc.markup.sanitise_html`).
"""

from __future__ import annotations

from functools import lru_cache
from html import escape

from markdown_it import MarkdownIt

from commentsvc.markup import render_markdown, sanitise_html


@lru_cache(maxsize=1)
def _paragrapher() -> MarkdownIt:
    # Indented code and headings off: a WordPress comment indented by four spaces, or
    # followed by a line of dashes, was plain text there.
    return (
        MarkdownIt("commonmark", {"html": True, "linkify": True, "breaks": True})
        .enable(["linkify", "strikethrough"])
        .disable(["code", "heading", "lheading"])
    )


def _is_plain(source: str) -> bool:
    """No tags, entities or addresses to link: paragraphs are all there is to make."""
    return not any(mark in source for mark in ("<", "&", "://", "www.", "@", "`", "*", "_"))


def _plain_paragraphs(source: str) -> str:
    """wpautop for plain text, the common case, without a parser: a blank line separates
    paragraphs, a single newline is a line break (what CommonMark with ``breaks`` gives)."""
    paragraphs = (part.strip() for part in source.replace("\r\n", "\n").split("\n\n"))
    return "\n".join(
        "<p>" + "<br>\n".join(escape(line.strip()) for line in part.split("\n")) + "</p>"
        for part in paragraphs
        if part
    )


def render_html_body(source: str) -> str:
    """Sanitised HTML of an HTML (or plain-text) comment from another system."""
    source = source.strip()
    if _is_plain(source):
        return sanitise_html(_plain_paragraphs(source))
    return sanitise_html(_paragrapher().render(source))


def render_body(source: str, body_format: str) -> str:
    """Sanitised HTML of an imported body: ``html`` as above, ``markdown`` as new comments."""
    if body_format == "html":
        return render_html_body(source)
    return render_markdown(source)
