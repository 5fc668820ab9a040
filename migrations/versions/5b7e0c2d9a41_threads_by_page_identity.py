"""Threads keyed by page identity (every spelling of a page is one thread); author photos

Existing threads get their identity; threads that turn out to be spellings of one page (a
trailing slash, http and https, www and the bare host, ?lang=, escapes) are merged into the one
with the most visible responses; mention claim keys are recomputed from the page identity, and
two mentions of one source on one page become one (the verified, else the newest).

Revision ID: 5b7e0c2d9a41
Revises: ddb4c284f540
Create Date: 2026-11-30 18:20:00

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

import commentsvc.models.base
from commentsvc.models.mention import claim_key
from commentsvc.services.thread_merge import merge_thread_rows
from commentsvc.urls import page_identity


# revision identifiers, used by Alembic.
revision = '5b7e0c2d9a41'
down_revision = 'ddb4c284f540'
branch_labels = None
depends_on = None

thread = sa.table(
    'thread',
    sa.column('id', sa.Integer), sa.column('site_id', sa.Integer), sa.column('url', sa.String),
    sa.column('identity', sa.String), sa.column('visible_count', sa.Integer),
    sa.column('revision', sa.Integer),
)
mention = sa.table(
    'mention',
    sa.column('id', sa.Integer), sa.column('site_id', sa.Integer), sa.column('thread_id', sa.Integer),
    sa.column('source', sa.String), sa.column('target', sa.String),
    sa.column('claim_key', sa.String), sa.column('verification', sa.String),
    sa.column('status', sa.String), sa.column('updated_at', sa.DateTime),
)
comment = sa.table(
    'comment', sa.column('thread_id', sa.Integer), sa.column('status', sa.String),
)
imported = sa.table(
    'imported_item', sa.column('kind', sa.String), sa.column('object_id', sa.Integer),
)


def _identities(bind):
    """Fill every thread's identity; the groups of threads that share one, largest first."""
    groups = defaultdict(list)
    rows = bind.execute(sa.select(thread.c.id, thread.c.site_id, thread.c.url, thread.c.visible_count))
    for row in rows.all():
        identity = page_identity(row.url)
        bind.execute(sa.update(thread).where(thread.c.id == row.id).values(identity=identity))
        groups[(row.site_id, identity)].append(row)
    return [rows for rows in groups.values() if len(rows) > 1]


def _recount(bind, thread_id):
    comments = (
        sa.select(sa.func.count()).select_from(comment)
        .where(comment.c.thread_id == thread_id, comment.c.status == 'visible')
        .scalar_subquery()
    )
    mentions = (
        sa.select(sa.func.count()).select_from(mention)
        .where(mention.c.thread_id == thread_id, mention.c.status == 'visible',
               mention.c.verification == 'verified')
        .scalar_subquery()
    )
    bind.execute(
        sa.update(thread).where(thread.c.id == thread_id)
        .values(revision=thread.c.revision + 1, visible_count=comments + mentions)
    )


def _merge_split_threads(bind):
    for rows in _identities(bind):
        keep, *others = sorted(rows, key=lambda row: (-(row.visible_count or 0), row.id))
        for other in others:
            merge_thread_rows(bind, other.id, keep.id)
        _recount(bind, keep.id)


def _rank(row):
    return (row.verification == 'verified', str(row.updated_at or ''), row.id)


def _rekey_claims(bind):
    """New claim keys; mentions of one source on one page (two spellings) become one."""
    rows = bind.execute(
        sa.select(mention.c.id, mention.c.site_id, mention.c.source, mention.c.target,
                  mention.c.verification, mention.c.updated_at, mention.c.claim_key)
    ).all()
    groups = defaultdict(list)
    for row in rows:
        groups[(row.site_id, claim_key(row.target, row.source))].append(row)
    for (_, key), members in groups.items():
        keep, *others = sorted(members, key=_rank, reverse=True)
        for other in others:
            bind.execute(sa.delete(mention).where(mention.c.id == other.id))
            bind.execute(
                sa.update(imported)
                .where(imported.c.kind == 'mention', imported.c.object_id == other.id)
                .values(object_id=keep.id)
            )
    # Two passes: a new key may equal another row's old one (the unique index holds meanwhile).
    survivors = [(key, sorted(members, key=_rank, reverse=True)[0].id)
                 for (_, key), members in groups.items()]
    for key, mention_id in survivors:
        bind.execute(sa.update(mention).where(mention.c.id == mention_id)
                     .values(claim_key=f'rekey-{mention_id}'))
    for key, mention_id in survivors:
        bind.execute(sa.update(mention).where(mention.c.id == mention_id).values(claim_key=key))


def upgrade():
    op.add_column('thread', sa.Column('identity', sa.String(length=2048), nullable=True))
    bind = op.get_bind()
    _merge_split_threads(bind)
    _rekey_claims(bind)
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.alter_column('identity', existing_type=sa.String(length=2048), nullable=False)
        batch_op.drop_constraint('uq_thread_site_url', type_='unique')
        batch_op.create_unique_constraint('uq_thread_site_identity', ['site_id', 'identity'])
    op.create_table('photo',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=True),
    sa.Column('digest', sa.String(length=16), nullable=True),
    sa.Column('fetched_at', commentsvc.models.base.UTCDateTime(), nullable=True),
    sa.Column('checked_at', commentsvc.models.base.UTCDateTime(), nullable=True),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('failure_reason', sa.String(length=300), nullable=True),
    sa.Column('created_at', commentsvc.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_photo'))
    )


def downgrade():
    op.drop_table('photo')
    # Merged threads and mentions stay merged; only the key goes back to the URL.
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.drop_constraint('uq_thread_site_identity', type_='unique')
        batch_op.create_unique_constraint('uq_thread_site_url', ['site_id', 'url'])
        batch_op.drop_column('identity')
