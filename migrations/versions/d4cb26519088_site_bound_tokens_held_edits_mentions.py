"""Hardening release: site-bound sign-in, held edits, mentions without threads

Also lock-out per account and address, guest address confirmation, thread titles from the page.
Existing data is carried over: email addresses are lower-cased (stopping, with the ids, if two
accounts differ only in case: an operator must decide which keeps the address); mentions get
their site, page key and claim key from their thread; thread titles lose control characters.

Revision ID: d4cb26519088
Revises: 01f90fcbf7b5
Create Date: 2026-11-30 12:44:15.771010
"""

import hashlib
import re

import sqlalchemy as sa
from alembic import op

import commentsvc.models.base

revision = "d4cb26519088"
down_revision = "01f90fcbf7b5"
branch_labels = None
depends_on = None

CONTROL = re.compile("[\x00-\x1f\x7f]")


def _lower_case_emails(connection) -> None:
    rows = connection.execute(
        sa.text("SELECT id, email FROM account WHERE email IS NOT NULL ORDER BY id")
    ).all()
    seen: dict[str, int] = {}
    clashes: list[str] = []
    for account_id, email in rows:
        lowered = email.lower()
        if lowered in seen:
            clashes.append(f"{seen[lowered]} and {account_id} ({lowered})")
        seen.setdefault(lowered, account_id)
    if clashes:
        raise RuntimeError(
            "Accounts whose addresses differ only in case: "
            + "; ".join(clashes)
            + ". Change or remove one address of each pair, then run `commentsvc db upgrade` again."
        )
    connection.execute(sa.text("UPDATE account SET email = lower(email) WHERE email IS NOT NULL"))


def _fill_mention_claims(connection) -> None:
    rows = connection.execute(
        sa.text(
            "SELECT mention.id, mention.source, thread.url, thread.site_id "
            "FROM mention JOIN thread ON thread.id = mention.thread_id"
        )
    ).all()
    for mention_id, source, page, site_id in rows:
        key = hashlib.sha256(f"{page}\n{source}".encode()).hexdigest()
        connection.execute(
            sa.text(
                "UPDATE mention SET site_id = :site, target = :page, claim_key = :key, "
                "next_attempt_at = updated_at WHERE id = :id"
            ),
            {"site": site_id, "page": page, "key": key, "id": mention_id},
        )


def _clean_titles(connection) -> None:
    rows = connection.execute(sa.text("SELECT id, title FROM thread WHERE title IS NOT NULL"))
    for thread_id, title in rows.all():
        cleaned = " ".join(CONTROL.sub(" ", title).split()) or None
        if cleaned != title:
            connection.execute(
                sa.text("UPDATE thread SET title = :title WHERE id = :id"),
                {"title": cleaned, "id": thread_id},
            )


def upgrade():
    connection = op.get_bind()
    op.create_table(
        "confirmed_address",
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_at", commentsvc.models.base.UTCDateTime(), nullable=True),
        sa.Column("confirmed_at", commentsvc.models.base.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("address_hash", name=op.f("pk_confirmed_address")),
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", commentsvc.models.base.UTCDateTime(), nullable=False),
        sa.Column("locked_until", commentsvc.models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_login_failure_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
        sa.UniqueConstraint("account_id", "address", name="uq_login_failure_account_address"),
    )

    _lower_case_emails(connection)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_account_email"), type_="unique")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("locked_until")
    op.create_index("uq_account_email_lower", "account", [sa.text("lower(email)")], unique=True)

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_body_markdown", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("pending_body_html", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("pending_edited_at", commentsvc.models.base.UTCDateTime(), nullable=True)
        )

    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("claim_key", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("next_attempt_at", commentsvc.models.base.UTCDateTime(), nullable=True)
        )
    _fill_mention_claims(connection)
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.alter_column("site_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("claim_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("thread_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_mention_thread_source"), type_="unique")
        batch_op.drop_index(batch_op.f("ix_mention_check"))
        batch_op.create_index(
            "ix_mention_check", ["is_check_pending", "next_attempt_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mention_site_id"), ["site_id"], unique=False)
        batch_op.create_index("ix_mention_thread", ["thread_id"], unique=False)
        batch_op.create_unique_constraint("uq_mention_site_claim", ["site_id", "claim_key"])
        batch_op.create_foreign_key(
            batch_op.f("fk_mention_site_id_site"), "site", ["site_id"], ["id"], ondelete="CASCADE"
        )

    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title_checked_at", commentsvc.models.base.UTCDateTime(), nullable=True)
        )
    _clean_titles(connection)


def downgrade():
    with op.batch_alter_table("thread", schema=None) as batch_op:
        batch_op.drop_column("title_checked_at")

    op.execute("DELETE FROM mention WHERE thread_id IS NULL")
    with op.batch_alter_table("mention", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_mention_site_id_site"), type_="foreignkey")
        batch_op.drop_constraint("uq_mention_site_claim", type_="unique")
        batch_op.drop_index("ix_mention_thread")
        batch_op.drop_index(batch_op.f("ix_mention_site_id"))
        batch_op.drop_index("ix_mention_check")
        batch_op.create_index(
            batch_op.f("ix_mention_check"), ["is_check_pending", "updated_at"], unique=False
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_mention_thread_source"), ["thread_id", "source"]
        )
        batch_op.alter_column("thread_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("claim_key")
        batch_op.drop_column("site_id")

    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_column("pending_edited_at")
        batch_op.drop_column("pending_body_html")
        batch_op.drop_column("pending_body_markdown")

    op.drop_index("uq_account_email_lower", table_name="account")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DATETIME(), nullable=True))
        batch_op.add_column(
            sa.Column("failed_logins", sa.INTEGER(), nullable=False, server_default="0")
        )
        batch_op.create_unique_constraint(batch_op.f("uq_account_email"), ["email"])

    op.drop_table("login_failure")
    op.drop_table("confirmed_address")
