"""What every importer reads a file into, and the one writer stores.

Readers (``wordpress``, ``disqus``, ``isso``, ``json``) turn a file into a stream of these
records, in an order where a thread comes before its comments and mentions; a comment's
parent may come later (the writer links it when it arrives). ``key`` is the item's id in
its source (WordPress ``comment_id``, Disqus ``dsq:id``, Isso row id, the export's own key):
together with the source's name it makes re-running an import add nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ImportedOrigin:
    """Where the file's keys come from (the exporting site, the blog, the forum), read before
    any thread: the ledger keeps each origin's keys apart, so ``t1`` of one export is not
    ``t1`` of another."""

    origin: str


@dataclass(frozen=True, slots=True)
class ImportedThread:
    key: str
    url: str
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ImportedAccount:
    """An account a comment refers to (this service's own export only); never a password.

    Read for the file's checks only: an import never creates, finds or links accounts (a file
    could otherwise claim anyone's identity); comments keep their author snapshot fields."""

    key: str
    display_name: str
    email: str | None = None
    website: str | None = None
    avatar_url: str | None = None
    is_email_verified: bool = False
    identities: tuple[tuple[str, str], ...] = ()  # (provider, subject)


@dataclass(frozen=True, slots=True)
class ImportedComment:
    key: str
    thread_key: str
    parent_key: str | None
    created_at: datetime  # timezone-aware, UTC
    status: str  # a CommentStatus value: visible, pending, spam, deleted
    body: str  # as the source holds it, in ``body_format``; sanitised by the writer
    body_format: str  # "html" (WordPress, Disqus) or "markdown" (Isso, json)
    author_name: str | None = None
    author_email: str | None = None
    author_website: str | None = None
    author_avatar: str | None = None
    author_provider: str | None = None
    account_key: str | None = None
    edited_at: datetime | None = None
    ip_address: str | None = None  # hashed by the writer, never stored as is
    # The HTML readers saw, when the source has it apart from ``body`` (this service's own
    # export, whose ``body`` may be another system's HTML): sanitised and stored as it is,
    # instead of rendering ``body`` again.
    body_html: str | None = None
    is_pinned: bool = False  # an operator pinned it (this service's own export)


@dataclass(frozen=True, slots=True)
class ImportedMention:
    key: str
    thread_key: str
    kind: str  # a MentionKind value: pingback, trackback, webmention
    source: str
    created_at: datetime
    status: str = "visible"  # a CommentStatus value
    verification: str = "verified"  # a Verification value
    type: str = "mention"  # a MentionType value
    title: str | None = None
    excerpt: str | None = None
    author_name: str | None = None
    author_url: str | None = None
    author_photo: str | None = None
    published_at: datetime | None = None
    verified_at: datetime | None = None
    rejection_reason: str | None = None
    rejection_code: str | None = None


@dataclass(frozen=True, slots=True)
class Skipped:
    """Something in the file that cannot be imported, reported in the summary (never fatal)."""

    what: str  # "thread", "comment", "mention"
    key: str
    reason: str  # a short, stable phrase: "thread has no link", "parent thread missing", ...


Record = (
    ImportedOrigin | ImportedThread | ImportedAccount | ImportedComment | ImportedMention | Skipped
)


@dataclass(slots=True)
class Summary:
    """What an import did (or would do, with --dry-run), counted by kind."""

    imported: dict[str, int] = field(default_factory=dict)  # "threads", "comments", "mentions"
    already_there: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> count
