"""Reading an export's XML safely and in bounded memory.

lxml's ``iterparse`` with entities left unresolved, no network, no DTD loading and libxml2's
size limits on (``huge_tree`` off); and any document type declaration is refused outright:
WordPress and Disqus never write one, and it is where billion-laughs and XXE attacks live.
Readers clear each element once read, so memory holds one post's worth of XML at most.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from lxml import etree

from commentsvc.errors import ImportFileError


class CountingReader:
    """A binary stream that counts the bytes read from it: the progress of a streaming parse."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.bytes_read = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.bytes_read += len(chunk)
        return chunk


def iter_end_events(stream: BinaryIO, what: str, root: str) -> Iterator[etree._Element]:
    """Each element of ``stream`` once its end tag is read; ``what`` names the file in errors,
    ``root`` is the local name its root element must have.

    Raises :class:`ImportFileError` for a document type declaration, a root element other than
    ``root`` (at its start tag: a file of the wrong kind is refused before any of it is read,
    kept in memory or committed), malformed or truncated XML and undecodable text (a wrong
    encoding declaration).
    """
    events = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    is_first = True
    try:
        for event, element in events:
            if is_first:
                is_first = False
                if element.getroottree().docinfo.internalDTD is not None:
                    raise ImportFileError(
                        f"The {what} declares a document type (<!DOCTYPE ...>): real exports "
                        "never do, and entity declarations are refused for safety."
                    )
                if local_name(element) != root:
                    raise ImportFileError(
                        f"This is not a {what}: its root element is <{local_name(element)[:40]}>, "
                        f"not <{root}>."
                    )
            if event == "end":
                yield element
    except etree.XMLSyntaxError as error:
        raise ImportFileError(
            f"The {what} is not well-formed XML (truncated, or a wrong encoding "
            f"declaration?): {error.msg}."
        ) from error
    except (LookupError, UnicodeError) as error:
        raise ImportFileError(f"The {what} cannot be decoded: {error}.") from error
    if is_first:
        raise ImportFileError(f"The {what} is empty.")


def local_name(element: etree._Element) -> str:
    """The tag without its namespace: WordPress changed its namespace with each WXR version."""
    tag = element.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def namespace(element: etree._Element) -> str:
    tag = element.tag
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else ""


def child_text(element: etree._Element, name: str) -> str:
    """The stripped text of the first child called ``name`` (any namespace), or ''."""
    for child in element:
        if local_name(child) == name:
            return (child.text or "").strip()
    return ""


def child(element: etree._Element, name: str) -> etree._Element | None:
    for each in element:
        if local_name(each) == name:
            return each
    return None


def release(element: etree._Element) -> None:
    """Forget an element that has been read, and the siblings read before it."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]
