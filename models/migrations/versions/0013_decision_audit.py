"""decision audit: the rule version and outcome of a decision, the inputs it was made on

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:49:00.254239
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_inputs",
        sa.Column("process", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("digest", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("rule_version", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process", "digest"),
    )
    with op.batch_alter_table("decision_inputs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_inputs_year"), ["year"], unique=False)

    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "rule_version",
                sqlmodel.sql.sqltypes.AutoString(),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("outcome", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("rule_version")

    with op.batch_alter_table("decision_inputs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_inputs_year"))

    op.drop_table("decision_inputs")
