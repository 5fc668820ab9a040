"""Reading an export's JSON safely: the bytes checked on their way to ijson.

ijson's C backend (yajl2_c) is fast but not made for hostile input: a number of more than
4,300 digits (Python's limit on converting text to int) kills the whole process, a huge
exponent raises a decimal error, and it keeps the path of every open level, so memory grows
with the square of the nesting depth (a 40 KB file of brackets takes a gigabyte) before a
single event reaches the reader. :class:`GuardedReader` refuses such a file from its bytes,
first: an export of commentsvc nests six levels deep and its only number is the version, so
the limits are far beyond any real export. Strings are skipped whole by regular expressions
(no Python work per byte), so the check costs a fraction of the parse.
"""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from commentsvc.errors import ImportFileError

MAX_DEPTH = 64
# Decimal takes exponents of up to 18 digits; the export's numbers have one.
MAX_DIGITS = 18

# Outside strings: whole strings and every byte that is neither a quote, a bracket nor a digit.
_QUIET = re.compile(rb'(?:"[^"\\]*(?:\\.[^"\\]*)*"|[^"\[\]{}0-9]+)*', re.DOTALL)
# Inside a string that began in an earlier chunk: up to its closing quote.
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
_OPENS = re.compile(rb"[\[{]+")
_CLOSES = re.compile(rb"[\]}]+")
_DIGITS = re.compile(rb"[0-9]+")
QUOTE, BACKSLASH = ord('"'), ord("\\")


class GuardedReader:
    """A binary stream that raises :class:`ImportFileError` as soon as the JSON read through it
    nests deeper than :data:`MAX_DEPTH` or has a digit run (outside strings) longer than
    :data:`MAX_DIGITS`. Invalid JSON passes through: ijson reports it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.depth = 0
        self._is_in_string = False
        self._is_escaped = False  # the chunk ended on the backslash of an escape
        self._digits = 0  # a digit run at the end of the last chunk
        self._is_first = True

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        if self._is_first and chunk:  # ijson reads 0 bytes first, to learn bytes from text
            self._is_first = False  # Windows editors start UTF-8 with a byte-order mark
            chunk = chunk.removeprefix(codecs.BOM_UTF8)
        self._scan(chunk)
        return chunk

    def _scan(self, chunk: bytes) -> None:
        at, end = 0, len(chunk)
        carried, self._digits = self._digits, 0
        while at < end:
            if self._is_in_string:
                at = self._string_rest(chunk, at)
                continue
            at = _QUIET.match(chunk, at).end()  # type: ignore[union-attr] - matches empty
            if at == end:
                break
            if chunk[at] == QUOTE:  # a string that ends in a later chunk
                self._is_in_string, at = True, at + 1
            elif opens := _OPENS.match(chunk, at):
                self.depth += opens.end() - at
                if self.depth > MAX_DEPTH:
                    raise ImportFileError(
                        f"The file nests deeper than {MAX_DEPTH} levels: it is not an export "
                        "of commentsvc (those nest six deep)."
                    )
                at = opens.end()
            elif closes := _CLOSES.match(chunk, at):
                self.depth -= closes.end() - at
                at = closes.end()
            else:
                digits = _DIGITS.match(chunk, at)
                length = digits.end() - at + (carried if at == 0 else 0)  # type: ignore[union-attr]
                if length > MAX_DIGITS:
                    raise ImportFileError(
                        f"The file has a number of more than {MAX_DIGITS} digits: it is not an "
                        "export of commentsvc."
                    )
                at = digits.end()  # type: ignore[union-attr]
                if at == end:
                    self._digits = length

    def _string_rest(self, chunk: bytes, at: int) -> int:
        """Where the scan goes on after reading ``chunk`` from ``at`` inside a string."""
        if self._is_escaped:
            self._is_escaped = False
            return at + 1
        at = _STRING_REST.match(chunk, at).end()  # type: ignore[union-attr] - matches empty
        if at < len(chunk):
            if chunk[at] == BACKSLASH:  # the escaped byte is in the next chunk
                self._is_escaped = True
            else:
                self._is_in_string = False
        return at + 1 if at < len(chunk) else at
