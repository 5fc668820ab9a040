"""Imported pingbacks, trackbacks and webmentions: stored verified, as their old blog had them.

A mention is one per page and source (``claim_key``), however it arrived: one already there,
imported or received live, is counted as such and not stored again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

from commentsvc.extensions import db
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
            if not record.source.startswith(("http://", "https://")) or (
                len(record.source) > MAX_URL_LENGTH
            ):
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
            rejection_reason=record.rejection_reason,
            rejection_code=record.rejection_code,
            title=(record.title or "")[:300] or None,
            excerpt=record.excerpt,
            author_name=(record.author_name or "")[:200] or None,
            author_url=record.author_url,
            author_photo=record.author_photo,
            published_at=record.published_at,
            is_check_pending=False,
            attempts=0,
            next_attempt_at=None,
            created_at=record.created_at,
            updated_at=record.created_at,
            verified_at=record.verified_at,
        )
