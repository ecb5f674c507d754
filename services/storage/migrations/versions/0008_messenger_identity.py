"""identity is (messenger, id): every chat and user id says which messenger it is on;
the rows from before are Telegram's

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from alembic.operations import BatchOperations

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TELEGRAM = "telegram"


def _messenger(*, primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        "messenger",
        sa.String(length=16),
        nullable=False,
        server_default=TELEGRAM,
        primary_key=primary_key,
    )


# Tables whose primary key gains the messenger in front: (table, the key's columns before).
REKEYED = (
    ("dialog_states", ["chat_id"]),
    ("inbound_updates", ["update_id"]),
    ("office_staff", ["office_id", "telegram_user_id"]),
    ("supervisor_members", ["chat_id", "telegram_user_id"]),
)


def _drop_primary_key(batch: BatchOperations, table: str) -> None:
    """SQLite may keep a table's key unnamed (a table batch mode rebuilt): its rebuild
    replaces the key all the same, so only a named one is dropped."""
    name = sa.inspect(op.get_bind()).get_pk_constraint(table).get("name")
    if name:
        batch.drop_constraint(name, type_="primary")


def upgrade() -> None:
    with op.batch_alter_table("offices") as batch:
        batch.add_column(sa.Column("staff_messenger", sa.String(length=16), nullable=True))
    op.execute(
        sa.text("UPDATE offices SET staff_messenger = :m WHERE staff_chat_id IS NOT NULL")
        .bindparams(m=TELEGRAM)
    )
    op.drop_index("ix_bookings_user_status", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(_messenger())
        batch.alter_column("telegram_user_id", new_column_name="user_id")
    op.create_index("ix_bookings_user_status", "bookings", ["messenger", "user_id", "status"])
    with op.batch_alter_table("staff_cards") as batch:
        batch.add_column(_messenger())
    op.drop_index(op.f("ix_complaints_telegram_user_id"), table_name="complaints")
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(_messenger())
        batch.alter_column("telegram_user_id", new_column_name="user_id")
    op.create_index("ix_complaints_user", "complaints", ["messenger", "user_id"])
    with op.batch_alter_table("supervisor_links") as batch:
        batch.add_column(_messenger())
    op.drop_index("ix_inbound_updates_user_received", table_name="inbound_updates")
    for table, key in REKEYED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(_messenger())
            if "telegram_user_id" in key:
                batch.alter_column("telegram_user_id", new_column_name="user_id")
            _drop_primary_key(batch, table)
            batch.create_primary_key(
                op.f(f"pk_{table}"),
                ["messenger", *("user_id" if c == "telegram_user_id" else c for c in key)],
            )
    op.create_index(
        "ix_inbound_updates_user_received",
        "inbound_updates",
        ["messenger", "user_id", "received_at"],
    )
    # Guessing counters were per user: now per user of a messenger.
    op.execute("UPDATE attempt_counters SET key = 'track:telegram:' || substr(key, 7)"
               " WHERE key LIKE 'track:%'")  # fmt: skip


def downgrade() -> None:
    # Back to one messenger. A citizen's booking or complaint on another would become a
    # Telegram stranger's (the same number there is someone else): refused, not dropped.
    bind = op.get_bind()
    for table in ("bookings", "complaints"):
        others = bind.scalar(
            sa.text(f"SELECT count(*) FROM {table} WHERE messenger != :m").bindparams(m=TELEGRAM)
        )
        if others:
            raise RuntimeError(
                f"{others} row(s) of {table} belong to messengers other than Telegram:"
                " a database serving them cannot go back before revision 0008"
            )
    # What is only routing (states, updates, links) is dropped for other messengers.
    for table in ("dialog_states", "inbound_updates", "office_staff", "supervisor_members",
                  "supervisor_links", "staff_cards"):  # fmt: skip
        op.execute(sa.text(f"DELETE FROM {table} WHERE messenger != :m").bindparams(m=TELEGRAM))
    op.execute(
        sa.text(
            "UPDATE offices SET staff_chat_id = NULL WHERE staff_messenger IS NOT NULL"
            " AND staff_messenger != :m"
        ).bindparams(m=TELEGRAM)
    )
    op.execute("UPDATE attempt_counters SET key = 'track:' || substr(key, 16)"
               " WHERE key LIKE 'track:telegram:%'")  # fmt: skip
    op.drop_index("ix_inbound_updates_user_received", table_name="inbound_updates")
    for table, key in REKEYED:
        with op.batch_alter_table(table, recreate="auto") as batch:
            _drop_primary_key(batch, table)
            if "telegram_user_id" in key:
                batch.alter_column("user_id", new_column_name="telegram_user_id")
            batch.create_primary_key(op.f(f"pk_{table}"), key)
            batch.drop_column("messenger")
    op.create_index(
        "ix_inbound_updates_user_received", "inbound_updates", ["user_id", "received_at"]
    )
    with op.batch_alter_table("supervisor_links") as batch:
        batch.drop_column("messenger")
    op.drop_index("ix_complaints_user", table_name="complaints")
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("user_id", new_column_name="telegram_user_id")
        batch.drop_column("messenger")
    op.create_index(op.f("ix_complaints_telegram_user_id"), "complaints", ["telegram_user_id"])
    with op.batch_alter_table("staff_cards") as batch:
        batch.drop_column("messenger")
    op.drop_index("ix_bookings_user_status", table_name="bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.alter_column("user_id", new_column_name="telegram_user_id")
        batch.drop_column("messenger")
    op.create_index("ix_bookings_user_status", "bookings", ["telegram_user_id", "status"])
    with op.batch_alter_table("offices") as batch:
        batch.drop_column("staff_messenger")
