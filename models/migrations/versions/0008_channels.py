"""channels: vendor codes on deliveries, attachments on messages, per-target delivery state

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 10:18:16.661277
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString()


def upgrade() -> None:
    op.create_table(
        "delivery_target",
        sa.Column("name", _TEXT, nullable=False),
        sa.Column("recent_sends", sa.JSON(), nullable=True),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("held_reason", _TEXT, nullable=False),
        sa.Column("held_fingerprint", _TEXT, nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # Existing rows get empty values; the models give new rows theirs.
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_code", _TEXT, nullable=False, server_default=""))
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", _TEXT, nullable=False, server_default=""))
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attachment_name", _TEXT, nullable=False, server_default=""))
        batch_op.add_column(sa.Column("attachment_type", _TEXT, nullable=False, server_default=""))
        batch_op.add_column(sa.Column("attachment", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.drop_column("attachment")
        batch_op.drop_column("attachment_type")
        batch_op.drop_column("attachment_name")
    with op.batch_alter_table("delivery_attempt", schema=None) as batch_op:
        batch_op.drop_column("code")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("last_code")
    op.drop_table("delivery_target")
