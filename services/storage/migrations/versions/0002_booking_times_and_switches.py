"""booking times, attempt counters, operator switches

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_bookings_office_start", ["office_id", "starts_at"])
    op.create_table(
        "attempt_counters",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_attempt_counters")),
    )
    op.create_table(
        "operator_switches",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_operator_switches")),
    )


def downgrade() -> None:
    op.drop_table("operator_switches")
    op.drop_table("attempt_counters")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_index("ix_bookings_office_start")
        batch.drop_column("ends_at")
        batch.drop_column("starts_at")
