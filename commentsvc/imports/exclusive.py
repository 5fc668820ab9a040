"""One import into a site at a time: two runs of one file at once would both create the same
pages and race for them, and the loser would stop with a database error halfway.

PostgreSQL: a session advisory lock on a connection of the import's own, held until it ends
(the import's own transactions commit batch by batch on other connections). SQLite, one host:
an exclusive ``flock`` on a file in the instance folder. Either is released if the process dies.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from commentsvc.errors import Conflict
from commentsvc.extensions import db
from commentsvc.models import Site

_LOCK_CLASS = 0x636D7473  # "cmts": this service's advisory locks, keyed by site id


def _busy(site: Site) -> Conflict:
    return Conflict(
        f"Another import into site {site.name!r} is running; run this one once it has "
        "finished (it skips what that one stored)."
    )


@contextmanager
def one_import_per_site(site: Site) -> Iterator[None]:
    """Hold the site's import lock for the body; :class:`Conflict` when another holds it."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            taken = connection.scalar(sa.select(sa.func.pg_try_advisory_lock(_LOCK_CLASS, site.id)))
            connection.commit()
            if not taken:
                raise _busy(site)
            try:
                yield
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(_LOCK_CLASS, site.id)))
                connection.commit()
        return
    folder = Path(current_app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"import-{site.id}.lock").open("a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy(site) from None
        yield  # closing the file releases the lock
