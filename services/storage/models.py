"""Database tables. The constraints here state the invariants; code does not re-check them."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import DateTime, TypeDecorator

from services.identity import TELEGRAM

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Telegram ids exceed 32 bits; SQLite needs INTEGER for an auto-incrementing primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")
# Which messenger a chat or user id belongs to: ids of two messengers are two people.
MessengerName = String(16)


class UtcDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on both backends (SQLite drops the offset otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.datetime: UtcDateTime(),
        dict[str, Any]: Json,
    }


# --- Catalogue -------------------------------------------------------------------------------


class Network(Base):
    """A counter network (Pishkhan, Police +10, judicial, municipal ...)."""

    __tablename__ = "networks"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    short_fa: Mapped[str] = mapped_column(String(100))
    description_fa: Mapped[str] = mapped_column(Text, default="")


class ServiceCategory(Base):
    __tablename__ = "service_categories"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ServiceNetwork(Base):
    """Which networks may offer a service (an office still chooses its own subset)."""

    __tablename__ = "service_networks"

    service_key: Mapped[str] = mapped_column(
        ForeignKey("services.key", ondelete="CASCADE"), primary_key=True
    )
    network_key: Mapped[str] = mapped_column(ForeignKey("networks.key"), primary_key=True)


class Service(Base):
    """One citizen-facing service: what to bring, what it costs, whether a visit is needed."""

    __tablename__ = "services"
    __table_args__ = (
        CheckConstraint("slot_minutes > 0", name="slot_minutes_positive"),
        CheckConstraint(
            "(fee_rial IS NULL) OR (fee_rial >= 0 AND fee_year IS NOT NULL)", name="fee_has_year"
        ),
        CheckConstraint("visit_required OR online_url IS NOT NULL", name="online_when_no_visit"),
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    category_key: Mapped[str] = mapped_column(ForeignKey("service_categories.key"))
    aliases: Mapped[list[str]] = mapped_column(Json, default=list)
    # [{"name_fa": ..., "note_fa": ...}] in the order a citizen should gather them.
    documents: Mapped[list[dict[str, str]]] = mapped_column(Json, default=list)
    fee_rial: Mapped[int | None] = mapped_column(BigInteger)
    fee_year: Mapped[int | None] = mapped_column(SmallInteger)
    fee_note_fa: Mapped[str] = mapped_column(Text, default="")
    fee_source: Mapped[str] = mapped_column(Text, default="")
    typical_duration_fa: Mapped[str] = mapped_column(Text, default="")
    slot_minutes: Mapped[int] = mapped_column(SmallInteger, default=15)
    online_url: Mapped[str | None] = mapped_column(Text)
    online_name_fa: Mapped[str] = mapped_column(Text, default="")
    online_note_fa: Mapped[str] = mapped_column(Text, default="")
    visit_required: Mapped[bool] = mapped_column(Boolean, default=True)
    essential: Mapped[bool] = mapped_column(Boolean, default=False)
    notes_fa: Mapped[str] = mapped_column(Text, default="")
    sources: Mapped[list[str]] = mapped_column(Json, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Loaded only where shown (the service's page): bookings and schedules read the row alone.
    networks: Mapped[list[Network]] = relationship(
        secondary="service_networks", order_by=Network.key
    )


# --- Offices ---------------------------------------------------------------------------------


class Office(Base):
    """A physical counter. ``code`` is the operator's own identifier, stable across imports."""

    __tablename__ = "offices"
    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="lat_lon"),
        CheckConstraint("desks >= 1", name="desks_positive"),
        CheckConstraint("district IS NULL OR district BETWEEN 1 AND 99", name="district_range"),
        Index("ix_offices_province_city", "province", "city"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    network_key: Mapped[str] = mapped_column(ForeignKey("networks.key"), index=True)
    province: Mapped[str] = mapped_column(String(100))
    county: Mapped[str] = mapped_column(String(100), default="")
    city: Mapped[str] = mapped_column(String(100))
    district: Mapped[int | None] = mapped_column(SmallInteger)
    address: Mapped[str] = mapped_column(Text, default="")
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(32), default="")
    # {"sat": [["08:00", "14:00"]], ..., "fri": []}, local Asia/Tehran wall-clock times.
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    desks: Mapped[int] = mapped_column(SmallInteger, default=1)
    notes_fa: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    is_sample: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counter side (filled in when staff link a group or an operator sets an endpoint).
    staff_chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    staff_messenger: Mapped[str | None] = mapped_column(MessengerName)
    webhook_url: Mapped[str | None] = mapped_column(Text)
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text)
    webhook_disabled_at: Mapped[dt.datetime | None] = mapped_column()
    api_token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Loaded only when asked for (selectinload): an office is read on most updates, and
    # eager loading would add its network and every service row to each of those reads.
    network: Mapped[Network] = relationship()
    services: Mapped[list[OfficeService]] = relationship(
        back_populates="office", cascade="all, delete-orphan"
    )


class OfficeService(Base):
    """A service an office really offers, with its own note (e.g. «فقط صبح‌ها»)."""

    __tablename__ = "office_services"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    service_key: Mapped[str] = mapped_column(
        ForeignKey("services.key", ondelete="CASCADE"), primary_key=True, index=True
    )
    note_fa: Mapped[str] = mapped_column(Text, default="")

    office: Mapped[Office] = relationship(back_populates="services")


CLOSURE_SCOPES = ("office", "city", "province", "nation")


class Closure(Base):
    """An ad-hoc closure (heat, pollution, energy saving) for an office, city, province or all."""

    __tablename__ = "closures"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint(f"scope IN {CLOSURE_SCOPES}", name="scope_known"),
        CheckConstraint(
            "(scope = 'office' AND office_id IS NOT NULL)"
            " OR (scope = 'city' AND province IS NOT NULL AND city IS NOT NULL)"
            " OR (scope = 'province' AND province IS NOT NULL)"
            " OR scope = 'nation'",
            name="scope_target",
        ),
        Index("ix_closures_window", "starts_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    province: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[dt.datetime] = mapped_column()
    ends_at: Mapped[dt.datetime] = mapped_column()
    reason_fa: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- Scheduling and bookings -----------------------------------------------------------------


class Slot(Base):
    """Five minutes of an office's desks (a cell of its day): a booking takes every cell its
    service's length covers, so desks are never promised twice for the same minutes.
    ``booked`` never exceeds ``capacity`` (desks)."""

    __tablename__ = "slots"
    __table_args__ = (
        UniqueConstraint("office_id", "starts_at", name="uq_slots_office_start"),
        CheckConstraint("capacity >= 0", name="capacity_non_negative"),
        CheckConstraint("booked >= 0 AND booked <= capacity", name="booked_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    starts_at: Mapped[dt.datetime] = mapped_column()
    ends_at: Mapped[dt.datetime] = mapped_column()
    capacity: Mapped[int] = mapped_column(SmallInteger)
    booked: Mapped[int] = mapped_column(SmallInteger, default=0)


BOOKING_STATUSES = (
    "booked",
    "confirmed",
    "checked_in",
    "done",
    "ready_for_pickup",
    "needs_documents",
    "cancelled",
    "no_show",
)
# Statuses in which a booking still holds its slot (and counts against hoarding limits).
HOLDING_STATUSES = ("booked", "confirmed")


class Booking(Base):
    """A citizen's booking and, after the visit, the request it became."""

    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES}", name="status_known"),
        CheckConstraint("reschedule_count >= 0", name="reschedules_non_negative"),
        # One active booking per national code per service, enforced by the database.
        Index(
            "uq_bookings_active_citizen_service",
            "national_code_hash",
            "service_key",
            unique=True,
            sqlite_where=text(f"status IN {HOLDING_STATUSES}"),
            postgresql_where=text(f"status IN {HOLDING_STATUSES}"),
        ),
        Index("ix_bookings_user_status", "messenger", "user_id", "status"),
        Index("ix_bookings_office_start", "office_id", "starts_at"),
        # Finding visits that are over, to ask for a rating (services.feedback).
        Index("ix_bookings_status_ends", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    service_key: Mapped[str] = mapped_column(ForeignKey("services.key"))
    slot_id: Mapped[int | None] = mapped_column(ForeignKey("slots.id"), index=True)
    # The citizen who booked, on the messenger they booked on.
    messenger: Mapped[str] = mapped_column(MessengerName, server_default=TELEGRAM)
    user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # Keyed hash (HMAC) for lookups; the code itself only encrypted.
    national_code_hash: Mapped[str] = mapped_column(String(64))
    national_code_enc: Mapped[str] = mapped_column(Text)
    national_code_masked: Mapped[str] = mapped_column(String(16))
    mobile_enc: Mapped[str] = mapped_column(Text)
    mobile_masked: Mapped[str] = mapped_column(String(16))
    citizen_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), default="booked")
    # The appointment itself (the cells it holds are [starts_at, ends_at) at the office).
    starts_at: Mapped[dt.datetime | None] = mapped_column()
    ends_at: Mapped[dt.datetime | None] = mapped_column()
    reschedule_count: Mapped[int] = mapped_column(SmallInteger, default=0)
    # Set from the confirm button's nonce so a double press cannot book twice.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Not eager: the timeline is read with its own query where it is shown.
    events: Mapped[list[BookingEvent]] = relationship(
        back_populates="booking", order_by="BookingEvent.id"
    )


class BookingEvent(Base):
    """The status history of a booking/request, shown to the citizen as a timeline."""

    __tablename__ = "booking_events"
    __table_args__ = (CheckConstraint(f"status IN {BOOKING_STATUSES}", name="status_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(24))
    # citizen | staff | counter_api | operator | system
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_ref: Mapped[str] = mapped_column(String(100), default="")
    # Who did it, as their colleagues read it on the booking's card (a clerk's name).
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    note_fa: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    booking: Mapped[Booking] = relationship(back_populates="events")


class StaffCard(Base):
    """The message in the office's chat that shows a booking with its buttons: edited
    whenever the booking changes, so staff never act on an old time or status."""

    __tablename__ = "staff_cards"

    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), primary_key=True
    )
    messenger: Mapped[str] = mapped_column(MessengerName, server_default=TELEGRAM)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# --- Delivery --------------------------------------------------------------------------------

OUTBOX_CHANNELS = ("staff_chat", "webhook", "citizen", "supervisor")
OUTBOX_STATUSES = ("pending", "delivered", "dead")


class OutboxEvent(Base):
    """An event written in the same transaction as the change it reports, delivered later."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        CheckConstraint(f"channel IN {OUTBOX_CHANNELS}", name="channel_known"),
        CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # Stable id sent as webhook-id so receivers can de-duplicate retries.
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(48))
    channel: Mapped[str] = mapped_column(String(16))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column()


# --- Conversation ----------------------------------------------------------------------------


class DialogState(Base):
    """Where a chat is in a conversation; read and written back for every update."""

    __tablename__ = "dialog_states"

    messenger: Mapped[str] = mapped_column(MessengerName, primary_key=True, server_default=TELEGRAM)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InboundUpdate(Base):
    """A Telegram update as it arrived: written before it is handled, so a crash never
    loses an update Telegram was told we have, and kept afterwards (without its body), so a
    redelivery has no second effect and a user's recent updates can be counted.

    The body is encrypted (it may hold a national code the citizen typed) and dropped once
    the update is handled.
    """

    __tablename__ = "inbound_updates"
    __table_args__ = (
        Index("ix_inbound_updates_user_received", "messenger", "user_id", "received_at"),
        Index(
            "ix_inbound_updates_unhandled",
            "update_id",
            sqlite_where=text("handled_at IS NULL"),
            postgresql_where=text("handled_at IS NULL"),
        ),
    )

    # Each messenger numbers its updates on its own.
    messenger: Mapped[str] = mapped_column(MessengerName, primary_key=True, server_default=TELEGRAM)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[dt.datetime] = mapped_column(index=True)
    body: Mapped[str | None] = mapped_column(Text)
    # Until then the worker that received it is handling it; afterwards any worker may.
    lease_until: Mapped[dt.datetime | None] = mapped_column()
    handled_at: Mapped[dt.datetime | None] = mapped_column()
    # "noticed": dropped for flooding, with a slow-down message; "dropped": silently;
    # "retry": its answer could not be delivered, tried again once ``lease_until`` is over;
    # "gave_up": failed too many times, "expired": left unhandled too long (both given up,
    # the citizen told).
    throttled: Mapped[str | None] = mapped_column(String(8))
    # Times its handling was started: bounds the replays of one that keeps failing.
    attempts: Mapped[int] = mapped_column(Integer, default=1, server_default="0")


class OfficeLinkCode(Base):
    """A one-time code an operator hands to an office's staff to link their Telegram chat;
    only its hash is kept."""

    __tablename__ = "office_link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OfficeStaff(Base):
    """A Telegram user who works for an office (linked it, or was added by an operator);
    the admins of the office's linked group count as staff too."""

    __tablename__ = "office_staff"

    office_id: Mapped[int] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True
    )
    messenger: Mapped[str] = mapped_column(MessengerName, primary_key=True, server_default=TELEGRAM)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AttemptCounter(Base):
    """Failed attempts of one kind by one user in a time window (e.g. unknown tracking
    codes), so guessing is slowed down for everyone, across workers."""

    __tablename__ = "attempt_counters"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    window_started_at: Mapped[dt.datetime] = mapped_column()
    count: Mapped[int] = mapped_column(Integer, default=0)


class OperatorSwitch(Base):
    """A switch an operator flips at run time (e.g. essential services only)."""

    __tablename__ = "operator_switches"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DataImport(Base):
    """A record of each sample load or operator import, for support questions."""

    __tablename__ = "data_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(Text)
    rows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# --- After the visit: ratings, complaints, supervisors ---------------------------------------

WAIT_BANDS = ("lt15", "15_30", "30_60", "gt60")


class Rating(Base):
    """A citizen's rating of one visit: asked once per booking, kept once per booking."""

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        CheckConstraint(f"wait_band IS NULL OR wait_band IN {WAIT_BANDS}", name="wait_known"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    stars: Mapped[int] = mapped_column(SmallInteger)
    wait_band: Mapped[str | None] = mapped_column(String(8))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


COMPLAINT_KINDS = (
    "overcharged",
    "extra_documents",
    "closed_in_hours",
    "manager_absent",
    "service_refused",
    "behaviour",
    "other",
)
COMPLAINT_STATUSES = ("open", "acknowledged", "resolved", "rejected")
# What happened to a complaint, in its timeline.
COMPLAINT_EVENT_KINDS = ("filed", "acknowledged", "replied", "resolved", "rejected")


class Complaint(Base):
    """A citizen's complaint about an office, for the supervisors whose scope covers it."""

    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(f"kind IN {COMPLAINT_KINDS}", name="kind_known"),
        CheckConstraint(f"status IN {COMPLAINT_STATUSES}", name="status_known"),
        Index("ix_complaints_office_created", "office_id", "created_at"),
        Index("ix_complaints_user", "messenger", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    messenger: Mapped[str] = mapped_column(MessengerName, server_default=TELEGRAM)
    user_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    citizen_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(24))
    # Long digit runs (a national code, a mobile) are masked before it is stored.
    description: Mapped[str] = mapped_column(Text)
    # Telegram's file_id of a receipt photo; the photo itself stays with Telegram.
    receipt_file_id: Mapped[str | None] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The confirm button's nonce: a second press finds this complaint instead of a twin.
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ComplaintEvent(Base):
    """The timeline of a complaint: filed, acknowledged, replies, resolved or rejected."""

    __tablename__ = "complaint_events"
    __table_args__ = (CheckConstraint(f"kind IN {COMPLAINT_EVENT_KINDS}", name="kind_known"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    actor_ref: Mapped[str] = mapped_column(String(100), default="")  # a supervisor's user id
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


SUPERVISION_SCOPES = ("office", "county", "province", "network")
_SCOPE_TARGET = (
    "(scope = 'office' AND office_id IS NOT NULL)"
    " OR (scope = 'county' AND province IS NOT NULL AND county IS NOT NULL)"
    " OR (scope = 'province' AND province IS NOT NULL)"
    " OR (scope = 'network' AND network_key IS NOT NULL)"
)


class SupervisorLinkCode(Base):
    """A one-time code an operator hands to a supervisor to link a chat to a scope; only
    its hash is kept."""

    __tablename__ = "supervisor_link_codes"
    __table_args__ = (
        CheckConstraint(f"scope IN {SUPERVISION_SCOPES}", name="scope_known"),
        CheckConstraint(_SCOPE_TARGET, name="scope_target"),
    )

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    province: Mapped[str | None] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(100))
    network_key: Mapped[str | None] = mapped_column(ForeignKey("networks.key"))
    expires_at: Mapped[dt.datetime] = mapped_column()
    used_at: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SupervisorLink(Base):
    """A chat (a group or one supervisor's private chat) that supervises a scope: every
    complaint about an office in it reaches the chat. A chat may hold several scopes."""

    __tablename__ = "supervisor_links"
    __table_args__ = (
        CheckConstraint(f"scope IN {SUPERVISION_SCOPES}", name="scope_known"),
        CheckConstraint(_SCOPE_TARGET, name="scope_target"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    messenger: Mapped[str] = mapped_column(MessengerName, server_default=TELEGRAM)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    scope: Mapped[str] = mapped_column(String(16))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    province: Mapped[str | None] = mapped_column(String(100))
    county: Mapped[str | None] = mapped_column(String(100))
    network_key: Mapped[str | None] = mapped_column(ForeignKey("networks.key"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SupervisorMember(Base):
    """A Telegram user who may act in a supervisor chat (they linked it); the admins of a
    linked group may act too."""

    __tablename__ = "supervisor_members"

    messenger: Mapped[str] = mapped_column(MessengerName, primary_key=True, server_default=TELEGRAM)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
