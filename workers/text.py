"""The text a reader sees in a piece of fetched HTML, as one line.

BeautifulSoup's ``get_text(" ")`` puts a space between every two strings, so the sentence
``See <a>the post</a>.`` came out as "See the post ." in excerpts. Here words run on across
inline elements (links, emphasis, code) as a browser shows them, and only block boundaries
and line breaks separate text. Script, style and template contents and HTML comments are not
text; an image counts as its ``alt`` text, as microformats' textContent takes it.
"""

from __future__ import annotations

from collections.abc import Iterator

from bs4 import NavigableString, Tag
from bs4.element import PreformattedString

from workers.values import collapse_space

# Elements that begin and end a line of their own (and the empty ones that break lines).
BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "legend", "li", "main", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
# Not shown as text; ruby annotations (rt, rp) would run into the words they annotate.
NOT_TEXT = frozenset({"script", "style", "template", "noscript", "head", "title", "rt", "rp"})


def _pieces(element: Tag) -> Iterator[str]:
    """The element's strings in document order, a space at each block boundary.

    A stack of child iterators rather than recursion: a hostile page may nest thousands deep.
    """
    stack: list[tuple[Iterator, bool]] = [(iter(element.children), False)]
    while stack:
        children, is_block = stack[-1]
        node = next(children, None)
        if node is None:
            stack.pop()
            if is_block:
                yield " "
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, CDATA, doctypes
                yield str(node)
        elif isinstance(node, Tag) and node.name not in NOT_TEXT:
            if node.name == "img":
                alt = node.get("alt")
                yield alt if isinstance(alt, str) else ""
                continue
            is_child_block = node.name in BLOCK_ELEMENTS
            if is_child_block:
                yield " "
            stack.append((iter(node.children), is_child_block))


def plain_text(element: Tag, limit: int | None = None) -> str:
    """The element's visible text on one line, whitespace collapsed.

    With ``limit``, the walk stops once the text is longer than that (an excerpt of a long
    post needs its first paragraphs only); the caller shortens what it gets.
    """
    pieces: list[str] = []
    size, next_check = 0, limit
    for piece in _pieces(element):
        pieces.append(piece)
        size += len(piece)
        if limit is not None and next_check is not None and size > next_check:
            if len(collapse_space("".join(pieces))) > limit:
                break
            next_check = size + limit  # mostly whitespace so far: read on
    return collapse_space("".join(pieces))
