"""The record of what an import brought in (:class:`ImportedItem`), read and written in bulk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import ImportedItem
from commentsvc.models.base import utcnow
from commentsvc.models.imported import MAX_KEY_LENGTH


def stored_key(key: str) -> str:
    """A source's key as stored: a digest when too long for the column (a thread's URL)."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def namespace_of(origin: str) -> str:
    """The prefix a file's keys are stored under, from the origin it names (the exporting
    site, the blog's address, the Disqus forum): ``t1`` of one export is not ``t1`` of another."""
    return hashlib.sha256(origin.encode()).hexdigest()[:12]


class Ledger:
    """The items one site's import from one source has already stored.

    New entries are collected by :meth:`remember` and written by :meth:`write` in one
    executemany INSERT per batch; :meth:`lookup` sees them before they are written. Keys are
    stored as ``<namespace>:<key>`` once the file has named its origin (:meth:`set_origin`).
    A dry run (``is_dry``) writes nothing and keeps what it would have written in memory.
    """

    def __init__(self, site_id: int, source: str, is_dry: bool = False) -> None:
        self.site_id = site_id
        self.source = source
        self.is_dry = is_dry
        self.prefix = ""
        self.pending: list[dict[str, object]] = []
        self.pending_ids: dict[tuple[str, str], int] = {}  # (kind, stored key) -> object id

    def set_origin(self, origin: str) -> None:
        self.prefix = f"{namespace_of(origin)}:"

    def name(self, key: str) -> str:
        """``key`` as this file's entries store it."""
        return stored_key(self.prefix + key)

    def lookup(self, kind: str, keys: Iterable[str]) -> dict[str, int]:
        """The object ids of those of ``keys`` already imported."""
        wanted = {self.name(key): key for key in keys}
        found: dict[str, int] = {
            key: self.pending_ids[(kind, name)]
            for name, key in wanted.items()
            if (kind, name) in self.pending_ids
        }
        names = [name for name in wanted if (kind, name) not in self.pending_ids]
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            rows = db.session.execute(
                sa.select(ImportedItem.key, ImportedItem.object_id).where(
                    ImportedItem.site_id == self.site_id,
                    ImportedItem.source == self.source,
                    ImportedItem.kind == kind,
                    ImportedItem.key.in_(chunk),
                )
            )
            found.update({wanted[key]: object_id for key, object_id in rows})
        return found

    def remember(self, kind: str, key: str, object_id: int, parent_key: str | None = None) -> None:
        """Note that ``key`` became ``object_id``; stored by the next :meth:`write`."""
        name = self.name(key)
        self.pending_ids[(kind, name)] = object_id
        self.pending.append(
            {
                "site_id": self.site_id,
                "source": self.source,
                "kind": kind,
                "key": name,
                "object_id": object_id,
                "parent_key": self.name(parent_key) if parent_key else None,
                "created_at": utcnow(),
            }
        )

    def write(self) -> None:
        """The remembered entries, in one INSERT of many rows (a dry run keeps them instead)."""
        if self.is_dry:
            self.pending = []
            return
        if self.pending:
            db.session.execute(sa.insert(ImportedItem.__table__), self.pending)
        self.pending, self.pending_ids = [], {}

    def waiting_for(self, parent_keys: Iterable[str]) -> list[tuple[int, int, str]]:
        """Replies stored before their parent arrived: (item id, comment id, parent key).

        Call after :meth:`write`: replies remembered in this batch are linked by the writer.
        """
        keys = [self.name(key) for key in parent_keys]
        if not keys:
            return []
        rows = db.session.execute(
            sa.select(ImportedItem.id, ImportedItem.object_id, ImportedItem.parent_key).where(
                ImportedItem.site_id == self.site_id,
                ImportedItem.source == self.source,
                ImportedItem.kind == "comment",
                ImportedItem.parent_key.in_(keys),
            )
        )
        return [(item_id, object_id, parent_key) for item_id, object_id, parent_key in rows]

    def linked(self, item_ids: list[int]) -> None:
        if item_ids:
            db.session.execute(
                sa.update(ImportedItem)
                .where(ImportedItem.id.in_(item_ids))
                .values(parent_key=None)
                .execution_options(synchronize_session=False)
            )
