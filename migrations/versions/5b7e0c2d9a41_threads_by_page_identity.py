"""Threads keyed by page identity (every spelling of a page is one thread); author photos

It runs today's URL rules (commentsvc.urls) and merge code (commentsvc.services.thread_merge):
the rules a later release changes are applied again by `commentsvc threads merge --site`.

Existing threads get their identity; threads that turn out to be spellings of one page (a
trailing slash, http and https, www and the bare host, ?lang=, escapes) are merged into the one
with the most visible responses; mention claim keys are recomputed from the page identity, and
two mentions of one source on one page become one (the verified, else the newest).

Revision ID: 5b7e0c2d9a41
Revises: ddb4c284f540
Create Date: 2026-11-30 18:20:00

"""
import hashlib
from collections import defaultdict

from alembic import op
import sqlalchemy as sa

import commentsvc.models.base
from commentsvc.models.mention import claim_key
from commentsvc.services.thread_merge import merge_thread_rows
from commentsvc.errors import InvalidInput
from commentsvc.urls import (
    normalise_origin,
    normalise_url,
    page_identity,
    without_non_content_params,
)


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


site = sa.table('site', sa.column('id', sa.Integer), sa.column('origins', sa.JSON))


def _normal_origins(bind):
    """Origins in today's spelling (IDN hosts in punycode), as every URL is now compared."""
    for row in bind.execute(sa.select(site.c.id, site.c.origins)).all():
        origins = sorted({normalise_origin(origin) for origin in row.origins or []})
        if origins != row.origins:
            bind.execute(sa.update(site).where(site.c.id == row.id).values(origins=origins))


def _identities(bind):
    """Fill every thread's identity; the groups of threads that share one, and every thread's
    link in today's spelling (written once the link is no longer unique: see upgrade)."""
    groups = defaultdict(list)
    updates = []
    rows = bind.execute(
        sa.select(thread.c.id, thread.c.site_id, thread.c.url, thread.c.visible_count)
    ).all()
    for row in rows:
        try:
            url = without_non_content_params(normalise_url(row.url))
        except InvalidInput:  # a link today's rules refuse: keep it, keyed by itself
            url, identity = row.url, row.url
        else:
            identity = page_identity(url)
        updates.append({'row_id': row.id, 'new_url': url, 'new_identity': identity})
        groups[(row.site_id, identity)].append(row)
    if updates:
        bind.execute(
            sa.update(thread)
            .where(thread.c.id == sa.bindparam('row_id'))
            .values(identity=sa.bindparam('new_identity')),
            updates,
        )
    return [rows for rows in groups.values() if len(rows) > 1], updates


def _recount(bind, thread_ids):
    thread_id = sa.bindparam('recount_id', type_=sa.Integer)
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
    if thread_ids:
        bind.execute(
            sa.update(thread).where(thread.c.id == thread_id)
            .values(revision=thread.c.revision + 1, visible_count=comments + mentions),
            [{'recount_id': thread_id} for thread_id in sorted(thread_ids)],
        )


def _merge_split_threads(bind, groups):
    """Merge each group into the thread with the most visible responses; the kept ids."""
    kept = set()
    for rows in groups:
        keep, *others = sorted(rows, key=lambda row: (-(row.visible_count or 0), row.id))
        for other in others:
            merge_thread_rows(bind, other.id, keep.id)
        kept.add(keep.id)
    return kept


def _rank(row):
    return (row.verification == 'verified', str(row.updated_at or ''), row.id)


def _rekey_claims(bind):
    """New claim keys; mentions of one source on one page (two spellings) become one. The
    threads that lost a mention."""
    rows = bind.execute(
        sa.select(mention.c.id, mention.c.site_id, mention.c.thread_id, mention.c.source,
                  mention.c.target, mention.c.verification, mention.c.updated_at)
    ).all()
    groups = defaultdict(list)
    for row in rows:
        try:
            key = claim_key(row.target, row.source)
        except InvalidInput:
            key = hashlib.sha256(f'{row.target}\n{row.source}'.encode()).hexdigest()
        groups[(row.site_id, key)].append(row)
    touched, survivors = set(), []
    for (_, key), members in groups.items():
        keep, *others = sorted(members, key=_rank, reverse=True)
        survivors.append({'row_id': keep.id, 'new_key': key, 'temporary': f'rekey-{keep.id}'})
        for other in others:
            touched.add(other.thread_id)
            bind.execute(sa.delete(mention).where(mention.c.id == other.id))
            bind.execute(
                sa.update(imported)
                .where(imported.c.kind == 'mention', imported.c.object_id == other.id)
                .values(object_id=keep.id)
            )
    # Two passes: a new key may equal another row's old one (the unique index holds meanwhile).
    if survivors:
        by_id = mention.c.id == sa.bindparam('row_id')
        bind.execute(
            sa.update(mention).where(by_id).values(claim_key=sa.bindparam('temporary')), survivors
        )
        bind.execute(
            sa.update(mention).where(by_id).values(claim_key=sa.bindparam('new_key')), survivors
        )
    return touched - {None}


def upgrade():
    op.add_column('thread', sa.Column('identity', sa.String(length=2048), nullable=True))
    bind = op.get_bind()
    _normal_origins(bind)
    groups, links = _identities(bind)
    merged = _merge_split_threads(bind, groups)
    _recount(bind, merged | _rekey_claims(bind))
    with op.batch_alter_table('thread', schema=None) as batch_op:
        batch_op.alter_column('identity', existing_type=sa.String(length=2048), nullable=False)
        batch_op.drop_constraint('uq_thread_site_url', type_='unique')
        batch_op.create_unique_constraint('uq_thread_site_identity', ['site_id', 'identity'])
    if links:  # merged-away threads are gone: their rows match nothing
        bind.execute(
            sa.update(thread).where(thread.c.id == sa.bindparam('row_id'))
            .values(url=sa.bindparam('new_url')),
            links,
        )
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
