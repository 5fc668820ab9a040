"""Account emails in Unicode's composed form (NFC), as sign-in and registration now read them

Revision ID: 3e1f9a2b7c64
Revises: 0afc7ed18d55
Create Date: 2026-12-01 08:10:00

An address stored in decomposed form (an ``a`` followed by a combining diaeresis) would no longer be found by a
sign-in or a reset typed in the usual composed form. Only addresses that change are written;
one whose composed form another account holds already is left as it is (two accounts must
not become one here: an operator decides).
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "3e1f9a2b7c64"
down_revision = "0afc7ed18d55"
branch_labels = None
depends_on = None


def upgrade():
    connection = op.get_bind()
    account = sa.table("account", sa.column("id", sa.Integer), sa.column("email", sa.String))
    rows = connection.execute(
        sa.select(account.c.id, account.c.email).where(account.c.email.is_not(None))
    )
    stored = {email.lower(): account_id for account_id, email in rows}
    for email, account_id in list(stored.items()):
        composed = unicodedata.normalize("NFC", email)
        if composed != email and composed not in stored:
            connection.execute(
                sa.update(account).where(account.c.id == account_id).values(email=composed)
            )
            stored[composed] = account_id


def downgrade():
    pass  # the composed form is the same address
