"""Imported pingbacks, trackbacks and webmentions: stored verified, as their old blog had them.

A mention is one per page and source (``claim_key``), however it arrived: one already there,
imported or received live, is counted as such and not stored again. Its fields are fitted to
their columns; an excerpt from WordPress or Disqus is HTML and is stored as its text (this
service's excerpts are text, shown as such).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.imports.fields import clean_text, clean_url, html_to_text
from commentsvc.imports.records import ImportedMention
from commentsvc.models import CommentStatus, Mention, MentionKind, MentionType, Verification
from commentsvc.models.mention import claim_key

if TYPE_CHECKING:
    from commentsvc.imports.writer import Writer

MAX_URL_LENGTH = 2048


class MentionBatch:
    def __init__(self, writer: Writer, records: list[ImportedMention]) -> None:
        self.writer = writer
        self.records = records

    def _claimed(self, claims: list[str]) -> set[str]:
        if not claims:
            return set()
        return set(
            db.session.scalars(
                sa.select(Mention.claim_key).where(
                    Mention.site_id == self.writer.site_id, Mention.claim_key.in_(claims)
                )
            )
        )

    def store(self) -> set[int]:
        """Store the new ones; the ids of threads whose visible mentions changed."""
        writer = self.writer
        summary = writer.summary
        imported = writer.ledger.lookup("mention", [r.key for r in self.records])
        wanted: list[tuple[ImportedMention, int, str]] = []
        for record in self.records:
            if record.key in imported:
                summary.already_there["mentions"] = summary.already_there.get("mentions", 0) + 1
                continue
            if clean_url(record.source, MAX_URL_LENGTH) != record.source:
                writer.skip("mention", "source is not an http(s) URL")
                continue
            thread_id = writer.thread_of(record, "mention")
            if thread_id is not None:
                wanted.append((record, thread_id, writer.threads[record.thread_key][1]))
        claimed = self._claimed([claim_key(target, r.source) for r, _, target in wanted])
        rows: list[tuple[ImportedMention, Mention]] = []
        for record, thread_id, target in wanted:
            claim = claim_key(target, record.source)
            if claim in claimed:
                summary.already_there["mentions"] = summary.already_there.get("mentions", 0) + 1
                continue
            claimed.add(claim)
            rows.append((record, self._mention(record, thread_id, target, claim)))
            summary.imported["mentions"] = summary.imported.get("mentions", 0) + 1
        if writer.dry_run:
            for record, _ in rows:
                writer.ledger.remember("mention", record.key, 0)
            return set()
        db.session.add_all(mention for _, mention in rows)
        db.session.flush()
        for record, mention in rows:
            writer.ledger.remember("mention", record.key, mention.id)
        return {
            mention.thread_id
            for _, mention in rows
            if mention.status == CommentStatus.VISIBLE and mention.thread_id is not None
        }

    def _mention(self, record: ImportedMention, thread_id: int, target: str, claim: str) -> Mention:
        is_html = self.writer.source != "json"
        excerpt = html_to_text(record.excerpt) if is_html else clean_text(record.excerpt)
        return Mention(
            site_id=self.writer.site_id,
            thread_id=thread_id,
            source=record.source,
            target=target,
            claim_key=claim,
            kind=MentionKind(record.kind),
            type=MentionType(record.type),
            verification=Verification(record.verification),
            status=CommentStatus(record.status),
            rejection_reason=clean_text(record.rejection_reason, 300),
            rejection_code=clean_text(record.rejection_code, 20),
            title=clean_text(record.title, 300),
            excerpt=excerpt,
            author_name=clean_text(record.author_name, 200),
            author_url=clean_url(record.author_url, MAX_URL_LENGTH),
            author_photo=clean_url(record.author_photo, MAX_URL_LENGTH),
            published_at=record.published_at,
            is_check_pending=False,
            attempts=0,
            next_attempt_at=None,
            created_at=record.created_at,
            updated_at=record.created_at,
            verified_at=record.verified_at,
        )
