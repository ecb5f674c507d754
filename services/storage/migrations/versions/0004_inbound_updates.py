"""inbound updates (stored before handling, de-duplicated, counted for flood control)

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNHANDLED = sa.text("handled_at IS NULL")


def upgrade() -> None:
    # processed_updates was never written to: inbound_updates replaces it.
    op.drop_index(op.f("ix_processed_updates_processed_at"), table_name="processed_updates")
    op.drop_table("processed_updates")
    op.create_table(
        "inbound_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("throttled", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_inbound_updates")),
    )
    op.create_index(
        op.f("ix_inbound_updates_received_at"), "inbound_updates", ["received_at"]
    )
    op.create_index(
        "ix_inbound_updates_user_received", "inbound_updates", ["user_id", "received_at"]
    )
    op.create_index(
        "ix_inbound_updates_unhandled",
        "inbound_updates",
        ["update_id"],
        sqlite_where=UNHANDLED,
        postgresql_where=UNHANDLED,
    )


def downgrade() -> None:
    op.drop_index("ix_inbound_updates_unhandled", table_name="inbound_updates")
    op.drop_index("ix_inbound_updates_user_received", table_name="inbound_updates")
    op.drop_index(op.f("ix_inbound_updates_received_at"), table_name="inbound_updates")
    op.drop_table("inbound_updates")
    op.create_table(
        "processed_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_processed_at"), "processed_updates", ["processed_at"]
    )
