"""office link codes and staff

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("office_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"],
            name=op.f("fk_office_link_codes_office_id_offices"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_office_link_codes")),
    )  # fmt: skip
    op.create_table(
        "office_staff",
        sa.Column("office_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"],
            name=op.f("fk_office_staff_office_id_offices"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("office_id", "telegram_user_id", name=op.f("pk_office_staff")),
    )  # fmt: skip


def downgrade() -> None:
    op.drop_table("office_staff")
    op.drop_table("office_link_codes")
