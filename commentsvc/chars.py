"""Characters that text from outside may not bring in: one definition for every place that
checks input, cleans fetched text or writes XML, so none of them lets through what another
one's output cannot carry."""

from __future__ import annotations

import re

# What XML 1.0 cannot carry at all, even escaped (feeds, XML-RPC, WXR exports): C0 controls
# but tab, LF and CR, lone surrogates, and the noncharacters U+FFFE and U+FFFF.
NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# What stored text may not hold: all of the above (PostgreSQL refuses NUL too), and DEL.
NOT_STORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")

# Bidirectional embeddings, overrides and isolates, and the byte-order mark: in one line of
# text read from another site (a title, an author's name) they only serve to make it display
# as something it is not.
REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069\ufeff]")


# Line and paragraph breaks (LF, CR, U+2028, U+2029 and the like), tabs and other controls:
# a name is one line wherever it shows (a thread, a mail's first line, the moderation queue).
LINE_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")


def one_line(name: str) -> str:
    """A person's name as it reads: one line, without the marks that would show it reversed
    or break it over lines (each break a space; runs of spaces one)."""
    text = LINE_BREAKING.sub(" ", REORDERING.sub("", name))
    return " ".join(text.split())


def xml_text(value: str) -> str:
    """``value`` without what XML cannot carry: rows stored before the input checks, or
    imported, may hold it, and one such character would fail a whole document."""
    return NOT_IN_XML.sub("", value)


# What a terminal takes for commands: C0 and C1 controls and DEL (ESC starts a sequence that can
# retitle the window or recolour the text; 0x9b is a one-character ESC [).
TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` safe to print on an operator's terminal: what a page said, control codes shown
    as "?" instead of run."""
    return TERMINAL_CONTROLS.sub("?", text)
