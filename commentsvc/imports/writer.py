"""The one writer every import goes through: records in, rows out, each item once.

Comments and mentions are stored in batches; each batch is one transaction holding the rows
and their :class:`~commentsvc.models.ImportedItem` ledger entries, so an import stopped at any
point (Ctrl-C, a crash) leaves whole batches, and a re-run finds them and skips them.
Imported comments are stored directly, not posted: no reply mail (they are marked notified),
no rate limit, no spam check. A batch costs a handful of statements, whatever its size: one
IN query each for the ledger's known keys and the parents it needs, one multi-row INSERT of
the comments (and one of their ledger entries), one UPDATE recounting every thread it touched.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from commentsvc.avatars import avatar_url, gravatar_url
from commentsvc.clientip import ip_hash
from commentsvc.errors import InvalidInput
from commentsvc.exports.keys import site_origin
from commentsvc.extensions import db
from commentsvc.imports.accounts import store_account
from commentsvc.imports.bodies import render_body
from commentsvc.imports.fields import clean_text, clean_url, clean_website
from commentsvc.imports.ledger import Ledger
from commentsvc.imports.mentions import MentionBatch
from commentsvc.imports.records import (
    ImportedAccount,
    ImportedComment,
    ImportedMention,
    ImportedOrigin,
    ImportedThread,
    Record,
    Skipped,
    Summary,
)
from commentsvc.markup import sanitise_html
from commentsvc.models import Comment, CommentStatus, Mention, Site, Thread, Verification
from commentsvc.models.base import utcnow
from commentsvc.services.thread_cache import forget_after_commit
from commentsvc.services.threads import clean_title
from commentsvc.urls import normalise_url, origin_of, page_identity
from commentsvc.urls import site_origin as listed_origin

BATCH_SIZE = 500
CACHE_SIZE = 20_000
# A comment's text is at most this long in WordPress (its column) and far past what anyone
# writes by hand: a longer one is a broken or hostile file, and every page view would carry it.
MAX_IMPORTED_BODY = 65_535
ELSEWHERE = "its parent is in another thread (kept at the top)"


def map_url(url: str, url_map: Sequence[tuple[str, str]]) -> str:
    """``url`` with the first matching old prefix replaced by its new one."""
    for old, new in url_map:
        if url.startswith(old):
            return new + url[len(old) :]
    return url


def _digits(key: str, letter: str) -> str:
    """The id in an export's key for a row of its own (``c17`` -> ``17``), else ''."""
    number = key.removeprefix(letter)
    is_id = key.startswith(letter) and number.isascii() and number.isdigit()
    return number if is_id and len(number) < 18 else ""


def _count(counts: dict[str, int], name: str) -> None:
    counts[name] = counts.get(name, 0) + 1


class Writer:
    def __init__(
        self,
        site: Site,
        source: str,
        url_map: Sequence[tuple[str, str]] = (),
        dry_run: bool = False,
        on_batch: Callable[[], None] | None = None,
        with_accounts: bool = False,
    ) -> None:
        self.site_id = site.id
        self.site_name = site.name
        self.source = source
        self.own_origin = site_origin(site)
        self.origin: str | None = None  # the file's, once it names it
        self.public_url = current_app.config["PUBLIC_URL"]
        self.now = utcnow()
        self.origins = frozenset(site.origins)
        self.is_gravatar_enabled = site.is_gravatar_enabled
        self.url_map = url_map
        self.dry_run = dry_run
        self.on_batch = on_batch
        # Account keys of the file -> account ids; None: accounts are not brought in.
        self.accounts: dict[str, int] | None = {} if with_accounts else None
        self.ledger = Ledger(site.id, source, is_dry=dry_run)
        self.summary = Summary()
        self.threads: dict[str, tuple[int, str]] = {}  # key -> (thread id, its URL)
        self.skipped_threads: dict[str, str] = {}  # key -> why
        self.would_be_threads = 0  # a dry run's new threads, numbered -1, -2, ...
        # Recently stored comments: key -> (id, depth, thread id); older ones are looked up again.
        self.comments: OrderedDict[str, tuple[int, int, int]] = OrderedDict()
        self.batch: list[ImportedComment | ImportedMention] = []

    # ------------------------------------------------------------ records in

    def add(self, record: Record) -> None:
        if isinstance(record, Skipped):
            self.skip(record.what, record.reason)
            if record.what == "thread":
                self.skipped_threads[record.key] = record.reason
        elif isinstance(record, ImportedOrigin):
            self.origin = record.origin
            self.ledger.set_origin(record.origin)
        elif isinstance(record, ImportedThread):
            self._thread(record)
        elif isinstance(record, ImportedAccount):
            # Unless the admin asked for them, never linked nor created: the comments keep
            # their author fields. A dry run creates none.
            if self.accounts is not None and not self.dry_run:
                self.accounts[record.key] = store_account(record)
        else:
            self.batch.append(record)
            if len(self.batch) >= BATCH_SIZE:
                self.flush()

    def finish(self) -> Summary:
        self.flush()
        self.ledger.write()  # threads with nothing after them in the last batch
        if self.dry_run:
            db.session.rollback()
        else:
            db.session.commit()
        return self.summary

    def skip(self, what: str, reason: str) -> None:
        _count(self.summary.skipped, f"{what}: {reason}")

    # ------------------------------------------------------------ threads

    def _thread(self, record: ImportedThread) -> None:
        try:
            url = normalise_url(map_url(record.url, self.url_map))
        except InvalidInput:
            self._skip_thread(record.key, "page URL is not an http(s) URL")
            return
        origin = listed_origin(self.origins, url)
        if origin is None:
            self._skip_thread(record.key, "page outside the site's origins")
            return
        url = origin + url[len(origin_of(url)) :]  # the listed origin's scheme
        identity = page_identity(url)
        known = self.ledger.lookup("thread", [record.key]).get(record.key)
        thread = db.session.get(Thread, known) if known is not None and known > 0 else None
        if thread is not None and thread.identity != identity:
            self._skip_thread(record.key, "its key was imported before for another page")
            return
        if thread is None and self._is_own_export() and _digits(record.key, "t"):
            # The site's own export coming back: its thread keeps its id (``t<id>``) and URL.
            own = db.session.get(Thread, int(record.key[1:]))
            is_own = own is not None and own.site_id == self.site_id and own.identity == identity
            thread, known = (own, own.id) if is_own else (None, None)
        if thread is not None or (known is not None and known < 0):
            _count(self.summary.already_there, "threads")
            if thread is None:  # a dry run's would-be thread, listed twice in the file
                return
        elif self.dry_run:
            self._would_store_thread(record.key, url, identity)
            return
        else:
            # Not get_or_create_thread: its savepoint commits at once on SQLite (pysqlite
            # starts no transaction before a SAVEPOINT), which --dry-run must not do.
            found = db.session.scalar(
                sa.select(Thread).where(Thread.site_id == self.site_id, Thread.identity == identity)
            )
            thread = found or Thread(site_id=self.site_id, url=url, identity=identity)
            db.session.add(thread)
            if thread.title is None and clean_title(record.title):
                thread.title = clean_title(record.title)
                thread.title_checked_at = utcnow()
            db.session.flush()
            if known is None:
                self.ledger.remember("thread", record.key, thread.id)
            # The page may have its thread already: from readers, or from another key
            # of this file naming the same page in another spelling.
            _count(self.summary.already_there if found else self.summary.imported, "threads")
        self.threads[record.key] = (thread.id, thread.url)

    def _is_own_export(self) -> bool:
        return self.source == "json" and self.origin == self.own_origin

    def _would_store_thread(self, key: str, url: str, identity: str) -> None:
        """A dry run's thread: counted and remembered in memory, never written."""
        thread_id = db.session.scalar(
            sa.select(Thread.id).where(Thread.site_id == self.site_id, Thread.identity == identity)
        )
        if thread_id is None:
            self.would_be_threads += 1
            thread_id = -self.would_be_threads
        self.ledger.remember("thread", key, thread_id)
        _count(self.summary.imported, "threads")
        self.threads[key] = (thread_id, url)

    def _skip_thread(self, key: str, reason: str) -> None:
        """Skip a thread and what the file files under its key: a key given earlier in the
        file to another page no longer says which page a comment belongs to."""
        self.threads.pop(key, None)
        self.skipped_threads[key] = reason
        self.skip("thread", reason)

    def thread_of(self, record: ImportedComment | ImportedMention, what: str) -> int | None:
        if record.thread_key in self.threads:
            return self.threads[record.thread_key][0]
        if record.thread_key in self.skipped_threads:
            self.skip(what, "its thread was skipped")
        else:
            self.skip(what, "its thread is missing from the file")
        return None

    # ------------------------------------------------------------ batches

    def flush(self) -> None:
        """Store the batch, link replies whose parent came late, recount, commit."""
        records, self.batch = self.batch, []
        if not records:
            return
        comments = [r for r in records if isinstance(r, ImportedComment)]
        mentions = MentionBatch(self, [r for r in records if isinstance(r, ImportedMention)])
        touched = self._store_comments(comments) | mentions.store()
        self.ledger.write()
        self._recount(touched)
        # A dry run wrote nothing: committing ends its transaction (on SQLite, a write lock the
        # caller's progress UPDATE may hold) batch by batch, not at the end of the whole run.
        db.session.commit()
        # Bounded memory: this batch's rows are not needed again (the site's caller keeps it).
        for row in list(db.session.identity_map.values()):
            if not isinstance(row, Site):
                db.session.expunge(row)
        if self.on_batch is not None:
            self.on_batch()

    def _recount(self, thread_ids: set[int]) -> None:
        """What :func:`~commentsvc.services.threads.touch_thread` does, for every thread the
        batch touched in one UPDATE: recount what readers see, bump the revision."""
        if not thread_ids:
            return
        comments = (
            sa.select(sa.func.count())
            .where(Comment.thread_id == Thread.id, Comment.status == CommentStatus.VISIBLE)
            .scalar_subquery()
        )
        mentions = (
            sa.select(sa.func.count())
            .where(
                Mention.thread_id == Thread.id,
                Mention.status == CommentStatus.VISIBLE,
                Mention.verification == Verification.VERIFIED,
            )
            .scalar_subquery()
        )
        db.session.execute(
            sa.update(Thread)
            .where(Thread.id.in_(thread_ids))
            .values(revision=Thread.revision + 1, visible_count=comments + mentions)
            .execution_options(synchronize_session=False)
        )
        urls = {thread_id: url for thread_id, url in self.threads.values()}
        for thread_id in thread_ids:
            forget_after_commit(db.session(), self.site_name, page_identity(urls[thread_id]))

    def _stored(
        self, keys: set[str], created: dict[str, datetime] | None = None
    ) -> dict[str, tuple[int, int, int]]:
        """Comments of ``keys`` already stored, with their depth and thread: by an import from
        this source and origin (the ledger), or, importing the site's own export back, the very
        comments it was made from (recognised by ``created``: key -> when the file says it was
        written). A dry run's would-be comments (id 0) count as stored."""
        ids = self.ledger.lookup("comment", keys)
        if self._is_own_export() and created:
            ids.update(self._own_comments(keys - set(ids), created))
        if not ids:
            return {}
        rows = {
            comment_id: (depth, thread_id)
            for comment_id, depth, thread_id in db.session.execute(
                sa.select(Comment.id, Comment.depth, Comment.thread_id).where(
                    Comment.id.in_(ids.values())
                )
            )
        }
        if self.dry_run:
            rows[0] = (0, 0)
        return {key: (i, *rows[i]) for key, i in ids.items() if i in rows}

    def _own_comments(self, keys: set[str], created: dict[str, datetime]) -> dict[str, int]:
        """An export names the comments of its own site ``c<id>`` (see
        :mod:`commentsvc.exports.keys`): such a key is this site's comment when that id is a
        comment of the site's threads written at the same instant, i.e. the export of this
        very database is being imported back."""
        wanted = {int(_digits(key, "c")): key for key in keys if _digits(key, "c")}
        if not wanted:
            return {}
        rows = db.session.execute(
            sa.select(Comment.id, Comment.created_at)
            .join(Thread, Thread.id == Comment.thread_id)
            .where(Thread.site_id == self.site_id, Comment.id.in_(wanted))
        )
        return {wanted[i]: i for i, moment in rows if moment == created.get(wanted[i])}

    def _known_parents(self, comments: list[ImportedComment]) -> None:
        """Bring the stored parents this batch refers to into the cache."""
        keys = {c.key for c in comments}
        wanted = {c.parent_key for c in comments if c.parent_key} - keys - set(self.comments)
        for key, stored in self._stored(wanted).items():
            self._cache(key, *stored)

    def _cache(self, key: str, comment_id: int, depth: int, thread_id: int) -> None:
        self.comments[key] = (comment_id, depth, thread_id)
        self.comments.move_to_end(key)
        while len(self.comments) > CACHE_SIZE:
            self.comments.popitem(last=False)

    def _store_comments(self, records: list[ImportedComment]) -> set[int]:
        existing = self._stored({r.key for r in records}, {r.key: r.created_at for r in records})
        for key, stored in existing.items():
            self._cache(key, *stored)
        self._known_parents(records)
        new: dict[str, tuple[ImportedComment, dict[str, Any]]] = {}
        for record in records:
            if record.key in new:
                self.skip("comment", "its key is given to another comment earlier in the file")
                continue
            if record.key in existing:
                _count(self.summary.already_there, "comments")
                continue
            if len(record.body) > MAX_IMPORTED_BODY:
                self.skip("comment", f"its text is longer than {MAX_IMPORTED_BODY:,} characters")
                continue
            thread_id = self.thread_of(record, "comment")
            if thread_id is None:
                continue
            new[record.key] = (record, self._row(record, thread_id))
            _count(self.summary.imported, "comments")
        if self.dry_run:
            for key in new:
                self.ledger.remember("comment", key, 0)
            return set()
        stored = self._insert_comments(new)
        self.ledger.write()
        self._link_waiting(stored)
        return {
            row["thread_id"] for _, row in new.values() if row["status"] == CommentStatus.VISIBLE
        }

    def _insert_comments(
        self, new: dict[str, tuple[ImportedComment, dict[str, Any]]]
    ) -> dict[str, tuple[int, int, int]]:
        """Insert ``new`` in parents-first order (each reply's depth is its parent's plus one),
        replies to comments of the batch linked to them. Returns key -> (id, depth, thread id).
        """
        placed: dict[str, tuple[int, int]] = {}  # key -> (depth, thread id), in insert order
        links: list[tuple[str, str]] = []  # (reply, its parent in this batch)
        waiting: dict[str, str] = {}  # reply -> parent key not stored yet
        for key in new:
            for each in reversed(self._unplaced_ancestry(key, new, placed)):
                record, row = new[each]
                parent = record.parent_key
                if parent in placed and placed[parent][1] == row["thread_id"]:
                    row["depth"] = placed[parent][0] + 1
                    links.append((each, parent))
                elif parent in placed:
                    self.skip("comment", ELSEWHERE)
                elif parent in self.comments and parent not in new:
                    parent_id, depth, thread_id = self.comments[parent]
                    if thread_id == row["thread_id"]:
                        row["parent_id"], row["depth"] = parent_id, depth + 1
                    else:
                        self.skip("comment", ELSEWHERE)
                elif parent and parent not in new:
                    waiting[each] = parent  # linked when the parent arrives
                placed[each] = (row["depth"], row["thread_id"])
        if not placed:
            return {}
        rows = [new[key][1] for key in placed]
        ids = self._store_rows(rows, [(new[c][1], new[p][1]) for c, p in links])
        stored: dict[str, tuple[int, int, int]] = {}
        for (key, (depth, thread_id)), comment_id in zip(placed.items(), ids, strict=True):
            stored[key] = (comment_id, depth, thread_id)
            self.ledger.remember("comment", key, comment_id, waiting.get(key))
            self._cache(key, comment_id, depth, thread_id)
        return stored

    @staticmethod
    def _store_rows(
        rows: list[dict[str, Any]], links: list[tuple[dict[str, Any], dict[str, Any]]]
    ) -> list[int]:
        """INSERT ``rows`` (in order) with each (reply, parent) of ``links`` linked; their ids.

        PostgreSQL: the ids are drawn from the table's sequence first, so replies go in with
        their parent's id and the rows as one executemany (pipelined by psycopg; a multi-row
        INSERT .. RETURNING would spend its time converting a huge statement's placeholders).
        SQLite: one multi-row INSERT .. RETURNING, then one executemany UPDATE for the links.
        """
        table = Comment.__table__
        connection = db.session.connection()
        if connection.dialect.name == "postgresql":
            ids = list(
                connection.scalars(
                    sa.select(
                        sa.func.nextval(sa.func.pg_get_serial_sequence("comment", "id"))
                    ).select_from(sa.func.generate_series(1, len(rows)))
                )
            )
            for row, comment_id in zip(rows, ids, strict=True):
                row["id"] = comment_id
            for reply, parent in links:
                reply["parent_id"] = parent["id"]
            connection.execute(sa.insert(table), rows)
            return ids
        ids = list(
            connection.scalars(
                sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            )
        )
        for row, comment_id in zip(rows, ids, strict=True):
            row["id"] = comment_id
        if links:
            connection.execute(
                sa.update(table)
                .where(table.c.id == sa.bindparam("child"))
                .values(parent_id=sa.bindparam("parent")),
                [{"child": reply["id"], "parent": parent["id"]} for reply, parent in links],
            )
        return ids

    @staticmethod
    def _unplaced_ancestry(
        key: str, new: dict[str, tuple[ImportedComment, dict[str, Any]]], placed: dict
    ) -> list[str]:
        """``key`` and its ancestors in this batch not placed yet, nearest first. In a loop of
        replies (a broken file) ``key`` alone: it goes at the top, the rest of the loop below."""
        chain: list[str] = []
        seen: set[str] = set()
        while key not in placed:
            if key in seen:
                return chain[:1]
            chain.append(key)
            seen.add(key)
            parent = new[key][0].parent_key
            if parent not in new:
                break
            key = parent
        return chain

    def _link_waiting(self, stored: dict[str, tuple[int, int, int]]) -> None:
        """Replies stored earlier whose parent is in this batch: link them now, one by one
        (rare: files list parents first), each with its own replies moved down under it."""
        by_key = {self.ledger.name(key): value for key, value in stored.items()}
        waiting = self.ledger.waiting_for(stored)
        if not waiting:
            return
        threads = dict(
            db.session.execute(
                sa.select(Comment.id, Comment.thread_id).where(
                    Comment.id.in_([comment_id for _, comment_id, _ in waiting])
                )
            ).all()
        )
        for _, comment_id, parent_key in waiting:
            parent_id, depth, thread_id = by_key[parent_key]
            if threads.get(comment_id) != thread_id:
                self.skip("comment", ELSEWHERE)
                continue
            below = self._replies_under(comment_id)
            if parent_id == comment_id or parent_id in below:
                continue  # a loop of replies (a broken file): it stays at the top
            # Stored at the top (depth 0) while it waited: it and its replies go depth + 1 down.
            db.session.execute(
                sa.update(Comment)
                .where(Comment.id.in_([comment_id, *below]))
                .values(
                    depth=Comment.depth + depth + 1,
                    parent_id=sa.case(
                        (Comment.id == comment_id, parent_id), else_=Comment.parent_id
                    ),
                )
                .execution_options(synchronize_session=False)
            )
        self.ledger.linked([item_id for item_id, _, _ in waiting])

    @staticmethod
    def _replies_under(comment_id: int) -> list[int]:
        """Every reply below the comment, however deep (UNION, not UNION ALL: ends on loops)."""
        tree = sa.select(Comment.id).where(Comment.parent_id == comment_id).cte(recursive=True)
        tree = tree.union(sa.select(Comment.id).where(Comment.parent_id == tree.c.id))
        return list(db.session.scalars(sa.select(tree.c.id)))

    def _account_id(self, key: str | None) -> int | None:
        if key is None or self.accounts is None:
            return None
        return self.accounts.get(key)

    def _row(self, record: ImportedComment, thread_id: int) -> dict[str, Any]:
        """The comment's row as stored. A ``json`` import keeps every field as the file has
        it, fitted to its column (:mod:`commentsvc.imports.fields`); from elsewhere, an author
        without an avatar gets the one new comments get (a deleted comment shows no author, so
        gets none). Linked to an account only when the admin brought the file's accounts in
        (``with_accounts``): otherwise a file could name anyone's."""
        avatar = clean_url(record.author_avatar, 1024)
        status = CommentStatus(record.status)
        if avatar is None and self.source != "json" and status != CommentStatus.DELETED:
            if record.author_email and self.is_gravatar_enabled:
                avatar = gravatar_url(record.author_email)
            elif self.public_url:
                avatar = avatar_url(record.author_email or f"{record.author_name}|{record.key}")
        body = clean_text(record.body) or ""
        if record.body_html is not None:
            html = sanitise_html(clean_text(record.body_html) or "")
        else:
            html = render_body(body, record.body_format)
        return {
            "thread_id": thread_id,
            "parent_id": None,
            "depth": 0,
            "account_id": self._account_id(record.account_key),
            "author_name": clean_text(record.author_name, 80),
            "author_email": clean_text(record.author_email, 254),
            "author_website": clean_website(record.author_website, 512),
            "author_avatar": avatar,
            "author_provider": clean_text(record.author_provider, 40),
            "body_markdown": body,
            "body_html": html,
            "status": status,
            "is_pinned": record.is_pinned,
            "held_reason": None,
            "is_notify": False,
            "reply_notified_at": self.now,  # nothing to tell anyone: it happened long ago
            "ip_hash": ip_hash(record.ip_address) if record.ip_address else "",
            "edit_token_hash": None,
            "created_at": record.created_at,
            "edited_at": record.edited_at,
        }
