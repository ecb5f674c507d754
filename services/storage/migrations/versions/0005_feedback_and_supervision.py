"""ratings, complaints, supervisors; the supervisor outbox channel

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SCOPE_KNOWN = "scope IN ('office', 'county', 'province', 'network')"
SCOPE_TARGET = (
    "(scope = 'office' AND office_id IS NOT NULL)"
    " OR (scope = 'county' AND province IS NOT NULL AND county IS NOT NULL)"
    " OR (scope = 'province' AND province IS NOT NULL)"
    " OR (scope = 'network' AND network_key IS NOT NULL)"
)
CHANNELS_BEFORE = "channel IN ('staff_chat', 'webhook', 'citizen')"
CHANNELS_AFTER = "channel IN ('staff_chat', 'webhook', 'citizen', 'supervisor')"


def _scope_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("office_id", BIG_ID, nullable=True),
        sa.Column("province", sa.String(length=100), nullable=True),
        sa.Column("county", sa.String(length=100), nullable=True),
        sa.Column("network_key", sa.String(length=32), nullable=True),
    ]


def _channels(check: str) -> None:
    # SQLite cannot alter a CHECK constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("outbox_events") as batch:
        batch.drop_constraint(op.f("ck_outbox_events_channel_known"), type_="check")
        batch.create_check_constraint(op.f("ck_outbox_events_channel_known"), check)


def upgrade() -> None:
    _channels(CHANNELS_AFTER)
    op.create_index("ix_bookings_status_ends", "bookings", ["status", "ends_at"])
    op.create_table(
        "ratings",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("booking_id", BIG_ID, nullable=False),
        sa.Column("stars", sa.SmallInteger(), nullable=False),
        sa.Column("wait_band", sa.String(length=8), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name=op.f("ck_ratings_stars_range")),
        sa.CheckConstraint(
            "wait_band IS NULL OR wait_band IN ('lt15', '15_30', '30_60', 'gt60')",
            name=op.f("ck_ratings_wait_known"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"],
            name=op.f("fk_ratings_booking_id_bookings"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_ratings_booking_id")),
    )  # fmt: skip
    op.create_table(
        "complaints",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("office_id", BIG_ID, nullable=False),
        sa.Column("booking_id", BIG_ID, nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("citizen_name", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("receipt_file_id", sa.String(length=256), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('overcharged', 'extra_documents', 'closed_in_hours', 'manager_absent', "
            "'service_refused', 'behaviour', 'other')",
            name=op.f("ck_complaints_kind_known"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'acknowledged', 'resolved', 'rejected')",
            name=op.f("ck_complaints_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_complaints_office_id_offices"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"],
            name=op.f("fk_complaints_booking_id_bookings"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
        sa.UniqueConstraint("code", name=op.f("uq_complaints_code")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_complaints_idempotency_key")),
    )  # fmt: skip
    op.create_index(
        "ix_complaints_office_created", "complaints", ["office_id", "created_at"]
    )
    op.create_index(
        op.f("ix_complaints_telegram_user_id"), "complaints", ["telegram_user_id"]
    )
    op.create_table(
        "complaint_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("complaint_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_ref", sa.String(length=100), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('filed', 'acknowledged', 'replied', 'resolved', 'rejected')",
            name=op.f("ck_complaint_events_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"],
            name=op.f("fk_complaint_events_complaint_id_complaints"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_events")),
    )  # fmt: skip
    op.create_index(
        op.f("ix_complaint_events_complaint_id"), "complaint_events", ["complaint_id"]
    )
    op.create_table(
        "supervisor_link_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        *_scope_columns(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(SCOPE_KNOWN, name=op.f("ck_supervisor_link_codes_scope_known")),
        sa.CheckConstraint(SCOPE_TARGET, name=op.f("ck_supervisor_link_codes_scope_target")),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"],
            name=op.f("fk_supervisor_link_codes_office_id_offices"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_key"], ["networks.key"],
            name=op.f("fk_supervisor_link_codes_network_key_networks"),
        ),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_supervisor_link_codes")),
    )  # fmt: skip
    op.create_table(
        "supervisor_links",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        *_scope_columns(),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(SCOPE_KNOWN, name=op.f("ck_supervisor_links_scope_known")),
        sa.CheckConstraint(SCOPE_TARGET, name=op.f("ck_supervisor_links_scope_target")),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"],
            name=op.f("fk_supervisor_links_office_id_offices"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_key"], ["networks.key"],
            name=op.f("fk_supervisor_links_network_key_networks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisor_links")),
    )  # fmt: skip
    op.create_index(op.f("ix_supervisor_links_chat_id"), "supervisor_links", ["chat_id"])
    op.create_table(
        "supervisor_members",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "chat_id", "telegram_user_id", name=op.f("pk_supervisor_members")
        ),
    )


def downgrade() -> None:
    op.drop_table("supervisor_members")
    op.drop_index(op.f("ix_supervisor_links_chat_id"), table_name="supervisor_links")
    op.drop_table("supervisor_links")
    op.drop_table("supervisor_link_codes")
    op.drop_index(op.f("ix_complaint_events_complaint_id"), table_name="complaint_events")
    op.drop_table("complaint_events")
    op.drop_index(op.f("ix_complaints_telegram_user_id"), table_name="complaints")
    op.drop_index("ix_complaints_office_created", table_name="complaints")
    op.drop_table("complaints")
    op.drop_table("ratings")
    op.drop_index("ix_bookings_status_ends", table_name="bookings")
    # Events of the dropped channel would break the restored constraint.
    op.execute("DELETE FROM outbox_events WHERE channel = 'supervisor'")
    _channels(CHANNELS_BEFORE)
