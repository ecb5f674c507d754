"""staff cards (the message showing a booking in its office's chat); who acted, by name

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff_cards",
        sa.Column("booking_id", BIG_ID, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"],
            name=op.f("fk_staff_cards_booking_id_bookings"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_staff_cards")),
    )  # fmt: skip
    # Events written before this revision name nobody: their cards say "staff".
    with op.batch_alter_table("booking_events") as batch:
        batch.add_column(
            sa.Column("actor_name", sa.String(length=100), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("booking_events") as batch:
        batch.drop_column("actor_name")
    op.drop_table("staff_cards")
