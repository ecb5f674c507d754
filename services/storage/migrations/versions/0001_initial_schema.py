"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 06:20:17.047947
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('data_imports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_imports'))
    )
    op.create_table('dialog_states',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=True),
    sa.Column('flow', sa.String(length=32), nullable=True),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_dialog_states'))
    )
    op.create_table('networks',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name_fa', sa.String(length=200), nullable=False),
    sa.Column('short_fa', sa.String(length=100), nullable=False),
    sa.Column('description_fa', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_networks'))
    )
    op.create_table('processed_updates',
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_processed_updates'))
    )
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_updates_processed_at'), ['processed_at'], unique=False)

    op.create_table('service_categories',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('name_fa', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_service_categories'))
    )
    op.create_table('offices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('network_key', sa.String(length=32), nullable=False),
    sa.Column('province', sa.String(length=100), nullable=False),
    sa.Column('county', sa.String(length=100), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('district', sa.SmallInteger(), nullable=True),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('weekly_hours', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('desks', sa.SmallInteger(), nullable=False),
    sa.Column('notes_fa', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('is_sample', sa.Boolean(), nullable=False),
    sa.Column('staff_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('webhook_url', sa.Text(), nullable=True),
    sa.Column('webhook_secret_enc', sa.Text(), nullable=True),
    sa.Column('webhook_disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('api_token_hash', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('desks >= 1', name=op.f('ck_offices_desks_positive')),
    sa.CheckConstraint('district IS NULL OR district BETWEEN 1 AND 99', name=op.f('ck_offices_district_range')),
    sa.CheckConstraint('lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180', name=op.f('ck_offices_lat_lon')),
    sa.ForeignKeyConstraint(['network_key'], ['networks.key'], name=op.f('fk_offices_network_key_networks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offices')),
    sa.UniqueConstraint('api_token_hash', name=op.f('uq_offices_api_token_hash')),
    sa.UniqueConstraint('code', name=op.f('uq_offices_code'))
    )
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offices_active'), ['active'], unique=False)
        batch_op.create_index(batch_op.f('ix_offices_network_key'), ['network_key'], unique=False)
        batch_op.create_index('ix_offices_province_city', ['province', 'city'], unique=False)
        batch_op.create_index(batch_op.f('ix_offices_staff_chat_id'), ['staff_chat_id'], unique=False)

    op.create_table('services',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name_fa', sa.String(length=200), nullable=False),
    sa.Column('category_key', sa.String(length=32), nullable=False),
    sa.Column('aliases', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('documents', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('fee_rial', sa.BigInteger(), nullable=True),
    sa.Column('fee_year', sa.SmallInteger(), nullable=True),
    sa.Column('fee_note_fa', sa.Text(), nullable=False),
    sa.Column('fee_source', sa.Text(), nullable=False),
    sa.Column('typical_duration_fa', sa.Text(), nullable=False),
    sa.Column('slot_minutes', sa.SmallInteger(), nullable=False),
    sa.Column('online_url', sa.Text(), nullable=True),
    sa.Column('online_name_fa', sa.Text(), nullable=False),
    sa.Column('online_note_fa', sa.Text(), nullable=False),
    sa.Column('visit_required', sa.Boolean(), nullable=False),
    sa.Column('essential', sa.Boolean(), nullable=False),
    sa.Column('notes_fa', sa.Text(), nullable=False),
    sa.Column('sources', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(fee_rial IS NULL) OR (fee_rial >= 0 AND fee_year IS NOT NULL)', name=op.f('ck_services_fee_has_year')),
    sa.CheckConstraint('slot_minutes > 0', name=op.f('ck_services_slot_minutes_positive')),
    sa.CheckConstraint('visit_required OR online_url IS NOT NULL', name=op.f('ck_services_online_when_no_visit')),
    sa.ForeignKeyConstraint(['category_key'], ['service_categories.key'], name=op.f('fk_services_category_key_service_categories')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_services'))
    )
    op.create_table('closures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('office_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('province', sa.String(length=100), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason_fa', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(scope = 'office' AND office_id IS NOT NULL) OR (scope = 'city' AND province IS NOT NULL AND city IS NOT NULL) OR (scope = 'province' AND province IS NOT NULL) OR scope = 'nation'", name=op.f('ck_closures_scope_target')),
    sa.CheckConstraint("scope IN ('office', 'city', 'province', 'nation')", name=op.f('ck_closures_scope_known')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_closures_ends_after_start')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_closures_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closures'))
    )
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.create_index('ix_closures_window', ['starts_at', 'ends_at'], unique=False)

    op.create_table('office_services',
    sa.Column('office_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_key', sa.String(length=64), nullable=False),
    sa.Column('note_fa', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_office_services_office_id_offices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_key'], ['services.key'], name=op.f('fk_office_services_service_key_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('office_id', 'service_key', name=op.f('pk_office_services'))
    )
    with op.batch_alter_table('office_services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_services_service_key'), ['service_key'], unique=False)

    op.create_table('service_networks',
    sa.Column('service_key', sa.String(length=64), nullable=False),
    sa.Column('network_key', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['network_key'], ['networks.key'], name=op.f('fk_service_networks_network_key_networks')),
    sa.ForeignKeyConstraint(['service_key'], ['services.key'], name=op.f('fk_service_networks_service_key_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_key', 'network_key', name=op.f('pk_service_networks'))
    )
    op.create_table('slots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('office_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.SmallInteger(), nullable=False),
    sa.Column('booked', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('booked >= 0 AND booked <= capacity', name=op.f('ck_slots_booked_within_capacity')),
    sa.CheckConstraint('capacity >= 0', name=op.f('ck_slots_capacity_non_negative')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_slots_ends_after_start')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_slots_office_id_offices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slots')),
    sa.UniqueConstraint('office_id', 'starts_at', name='uq_slots_office_start')
    )
    op.create_table('bookings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('tracking_code', sa.String(length=16), nullable=False),
    sa.Column('office_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('service_key', sa.String(length=64), nullable=False),
    sa.Column('slot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('national_code_hash', sa.String(length=64), nullable=False),
    sa.Column('national_code_enc', sa.Text(), nullable=False),
    sa.Column('national_code_masked', sa.String(length=16), nullable=False),
    sa.Column('mobile_enc', sa.Text(), nullable=False),
    sa.Column('mobile_masked', sa.String(length=16), nullable=False),
    sa.Column('citizen_name', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('reschedule_count', sa.SmallInteger(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('booked', 'confirmed', 'checked_in', 'done', 'ready_for_pickup', 'needs_documents', 'cancelled', 'no_show')", name=op.f('ck_bookings_status_known')),
    sa.CheckConstraint('reschedule_count >= 0', name=op.f('ck_bookings_reschedules_non_negative')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_bookings_office_id_offices')),
    sa.ForeignKeyConstraint(['service_key'], ['services.key'], name=op.f('fk_bookings_service_key_services')),
    sa.ForeignKeyConstraint(['slot_id'], ['slots.id'], name=op.f('fk_bookings_slot_id_slots')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_bookings_idempotency_key')),
    sa.UniqueConstraint('tracking_code', name=op.f('uq_bookings_tracking_code'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bookings_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bookings_slot_id'), ['slot_id'], unique=False)
        batch_op.create_index('ix_bookings_user_status', ['telegram_user_id', 'status'], unique=False)
        batch_op.create_index('uq_bookings_active_citizen_service', ['national_code_hash', 'service_key'], unique=True, sqlite_where=sa.text("status IN ('booked', 'confirmed')"), postgresql_where=sa.text("status IN ('booked', 'confirmed')"))

    op.create_table('booking_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('booking_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('actor_kind', sa.String(length=16), nullable=False),
    sa.Column('actor_ref', sa.String(length=100), nullable=False),
    sa.Column('note_fa', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('booked', 'confirmed', 'checked_in', 'done', 'ready_for_pickup', 'needs_documents', 'cancelled', 'no_show')", name=op.f('ck_booking_events_status_known')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_events_booking_id_bookings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_events'))
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_events_booking_id'), ['booking_id'], unique=False)

    op.create_table('outbox_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=48), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('booking_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('office_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("channel IN ('staff_chat', 'webhook', 'citizen')", name=op.f('ck_outbox_events_channel_known')),
    sa.CheckConstraint("status IN ('pending', 'delivered', 'dead')", name=op.f('ck_outbox_events_status_known')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_outbox_events_attempts_non_negative')),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_outbox_events_booking_id_bookings')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_outbox_events_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_events_event_id'))
    )
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_events_booking_id'), ['booking_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_events_booking_id'))
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox_events')
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_events_booking_id'))

    op.drop_table('booking_events')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_citizen_service', sqlite_where=sa.text("status IN ('booked', 'confirmed')"), postgresql_where=sa.text("status IN ('booked', 'confirmed')"))
        batch_op.drop_index('ix_bookings_user_status')
        batch_op.drop_index(batch_op.f('ix_bookings_slot_id'))
        batch_op.drop_index(batch_op.f('ix_bookings_office_id'))

    op.drop_table('bookings')
    op.drop_table('slots')
    op.drop_table('service_networks')
    with op.batch_alter_table('office_services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_services_service_key'))

    op.drop_table('office_services')
    with op.batch_alter_table('closures', schema=None) as batch_op:
        batch_op.drop_index('ix_closures_window')

    op.drop_table('closures')
    op.drop_table('services')
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offices_staff_chat_id'))
        batch_op.drop_index('ix_offices_province_city')
        batch_op.drop_index(batch_op.f('ix_offices_network_key'))
        batch_op.drop_index(batch_op.f('ix_offices_active'))

    op.drop_table('offices')
    op.drop_table('service_categories')
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_updates_processed_at'))

    op.drop_table('processed_updates')
    op.drop_table('networks')
    op.drop_table('dialog_states')
    op.drop_table('data_imports')
