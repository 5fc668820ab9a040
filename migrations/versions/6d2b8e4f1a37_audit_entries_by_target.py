"""Audit entries found by their target

Revision ID: 6d2b8e4f1a37
Revises: 3e1f9a2b7c64
Create Date: 2026-12-01 11:25:00

Erasing a comment (its author's delete, an account's erasure) strips the comment's text from
the audit entries about it: one lookup per comment, which read the site's whole audit log.
"""

from alembic import op

revision = "6d2b8e4f1a37"
down_revision = "3e1f9a2b7c64"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_audit_entry_target", "audit_entry", ["target_id", "target_kind"])


def downgrade():
    op.drop_index("ix_audit_entry_target", table_name="audit_entry")
