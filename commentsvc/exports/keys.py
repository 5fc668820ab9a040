"""The keys an export gives its threads, comments, mentions and accounts.

A key names an item within one export file (a comment's ``parent``, its ``account``) and, with
the source's name, makes a later import of the same items add nothing twice. So it must stay
the same from one export of a database to the next, and survive the round trip export ->
import into another database -> export, where row ids differ:

- a thread, comment or mention that came in by ``import json`` from an export of this same
  site (the same ``origin``: :func:`site_origin`) gets back the key it was imported under
  (the importer's ledger, :class:`~commentsvc.models.ImportedItem`, remembers it); any other
  gets one made from its row id (``c17``), which never changes (an item imported from another
  site's export included: its old key belongs to that site's keys, not to this file's);
- an account is named by what the importer finds it by: its first identity
  (``twitter:4242``), else its address (``email:rita@example.net``); only an account with
  neither (none can sign in that way) falls back to its id.

Keys of a thread's comments and mentions are read once per thread, never for the whole site;
accounts' keys are kept for the whole export (accounts are written first, comments name them).
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.imports.ledger import namespace_of
from commentsvc.models import Comment, ImportedItem, Mention, Site

SOURCE = "json"


def site_origin(site: Site) -> str:
    """The export's ``origin``: the site's identity (its name and origins), which its keys
    belong to. The same for every export of the site, and for the site imported elsewhere
    under the same name and origins, so the round trip keeps the file's bytes."""
    identity = json.dumps([site.name, sorted(site.origins)], separators=(",", ":"))
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


class ExportKeys:
    """Keys for one export of ``site``; :meth:`load_thread` before a thread's items."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.origin = site_origin(site)
        self._prefix = f"{namespace_of(self.origin)}:"
        self._imported: dict[tuple[str, int], str] = {}
        self._accounts: dict[int, str] = {}  # every account of the export (far fewer than items)

    def _ledger(self, kind: str, ids: sa.Select | list[int]) -> dict[tuple[str, int], str]:
        rows = db.session.execute(
            sa.select(ImportedItem.object_id, ImportedItem.key).where(
                ImportedItem.site_id == self.site.id,
                ImportedItem.source == SOURCE,
                ImportedItem.kind == kind,
                ImportedItem.object_id.in_(ids),
                ImportedItem.key.startswith(self._prefix, autoescape=True),
            )
        )
        return {(kind, object_id): key.removeprefix(self._prefix) for object_id, key in rows}

    def load_thread(self, thread_id: int) -> None:
        """The imported keys of the thread and of its comments and mentions."""
        self._imported = {
            **self._ledger("thread", [thread_id]),
            **self._ledger("comment", sa.select(Comment.id).where(Comment.thread_id == thread_id)),
            **self._ledger("mention", sa.select(Mention.id).where(Mention.thread_id == thread_id)),
        }

    def thread(self, thread_id: int) -> str:
        return self._imported.get(("thread", thread_id)) or f"t{thread_id}"

    def comment(self, comment_id: int) -> str:
        return self._imported.get(("comment", comment_id)) or f"c{comment_id}"

    def mention(self, mention_id: int) -> str:
        return self._imported.get(("mention", mention_id)) or f"m{mention_id}"

    def name_account(
        self, account_id: int, email: str | None, identities: list[tuple[str, str]]
    ) -> str:
        """The account's key, remembered for the comments that name it."""
        if identities:
            key = ":".join(identities[0])
        elif email:
            key = f"email:{email.lower()}"
        else:
            key = f"a{account_id}"
        self._accounts[account_id] = key
        return key

    def account(self, account_id: int) -> str:
        return self._accounts.get(account_id) or f"a{account_id}"
