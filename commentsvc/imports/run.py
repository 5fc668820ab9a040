"""The one way to run an import: a reader turns a file into records, the writer stores them.

Used by ``commentsvc import`` and by the operators' upload job alike, so both report the same
summary and both are idempotent and resumable (the writer commits in batches).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from commentsvc.errors import ImportFileError, InvalidInput
from commentsvc.extensions import db
from commentsvc.imports.disqus import read_disqus
from commentsvc.imports.exclusive import one_import_per_site
from commentsvc.imports.isso import count_rows, read_isso
from commentsvc.imports.records import Record, Summary
from commentsvc.imports.wordpress import read_wordpress
from commentsvc.imports.writer import Writer
from commentsvc.imports.xmlsafe import CountingReader
from commentsvc.models import Site

KINDS = ("wordpress", "disqus", "isso", "json")


@dataclass(frozen=True, slots=True)
class Progress:
    """How far an import is: ``done`` of ``total`` bytes of the file (``total`` is None when
    the size is unknown, e.g. a pipe), and how many records were read so far."""

    done: int
    total: int | None
    records: int


ProgressCallback = Callable[[Progress], None]


def run_import(
    kind: str,
    path_or_stream: str | os.PathLike[str] | BinaryIO,
    site: Site,
    url_map: Sequence[tuple[str, str]] = (),
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    with_accounts: bool = False,
) -> Summary:
    """Import ``path_or_stream`` (a file of ``kind``, one of :data:`KINDS`) into ``site``.

    ``url_map`` holds (old prefix, new prefix) pairs applied to page URLs; ``dry_run`` counts
    what would happen and writes nothing; ``with_accounts`` brings in the accounts a ``json``
    file names and links its comments to them (for files the instance's admin trusts only:
    :mod:`commentsvc.imports.accounts`). Commits every batch (call it outside a request's
    transaction); raises :class:`commentsvc.errors.ImportFileError` for a file that cannot be
    read (hostile, truncated, not of ``kind``): what was committed before stays and a re-run
    skips it. An Isso database must be given as a path.
    """
    if kind not in KINDS:
        raise ImportFileError(f"Unknown import kind {kind!r}: one of {', '.join(KINDS)}.")
    exclusive = nullcontext() if dry_run else one_import_per_site(site)
    with exclusive, _opened(kind, path_or_stream) as (stream, total):
        records = _reader(kind, stream, path_or_stream, site)
        seen = 0

        def report() -> None:
            if progress is not None:
                done = stream.bytes_read if stream is not None else seen
                progress(Progress(done=done, total=total, records=seen))

        writer = Writer(site, kind, url_map, dry_run, on_batch=report, with_accounts=with_accounts)
        try:
            for record in records:
                seen += 1
                writer.add(record)
                if stream is None and seen % 500 == 0:
                    report()
            summary = writer.finish()
        except BaseException:
            db.session.rollback()
            raise
        report()
    return summary


@contextmanager
def _opened(
    kind: str, path_or_stream: str | os.PathLike[str] | BinaryIO
) -> Iterator[tuple[CountingReader | None, int | None]]:
    """The file as a byte-counting stream and its size; (None, rows) for an Isso database."""
    if kind == "isso":
        if not isinstance(path_or_stream, str | os.PathLike):
            raise ImportFileError("An Isso database is imported from its file, not a stream.")
        yield None, count_rows(path_or_stream)
        return
    if isinstance(path_or_stream, str | os.PathLike):
        try:
            handle = Path(path_or_stream).open("rb")  # noqa: SIM115 - closed below
        except OSError as error:
            raise ImportFileError(f"Cannot open {os.fspath(path_or_stream)!r}: {error}.") from error
        with handle:
            yield CountingReader(handle), os.fstat(handle.fileno()).st_size
        return
    try:
        total = os.fstat(path_or_stream.fileno()).st_size or None
    except (AttributeError, OSError, ValueError):
        total = None
    yield CountingReader(path_or_stream), total


def _reader(
    kind: str,
    stream: CountingReader | None,
    path_or_stream: str | os.PathLike[str] | BinaryIO,
    site: Site,
) -> Iterator[Record]:
    if kind == "isso":
        return read_isso(path_or_stream, f"{site.origins[0]}/")  # type: ignore[arg-type]
    if kind == "wordpress":
        return read_wordpress(stream)  # type: ignore[arg-type]
    if kind == "disqus":
        return read_disqus(stream)  # type: ignore[arg-type]
    from commentsvc.imports.json_format import read_json

    return read_json(stream)  # type: ignore[arg-type]


def parse_url_map(pairs: Sequence[str]) -> list[tuple[str, str]]:
    """``OLD=NEW`` prefix pairs as given on the command line or in a form."""
    parsed = []
    for pair in pairs:
        old, sep, new = pair.partition("=")
        if not sep or not old.strip() or not new.strip():
            raise InvalidInput(f"--url-map takes OLD=NEW (two URL prefixes), not {pair!r}.")
        parsed.append((old.strip(), new.strip()))
    return parsed
