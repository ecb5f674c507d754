"""Incoming updates, written down before they are handled.

Under its chat's lock an update is stored (its body encrypted) in the same transaction that
reads the chat's dialog state, handled, and then marked handled in the transaction that
writes the state back. So:

- a crash after the store loses nothing: a recovery pass (any worker) picks up updates
  whose lease ran out and handles them; Telegram, never having had its 200, sends it again
  as well, and whichever comes first handles it;
- Telegram delivering the same ``update_id`` again (a retried webhook, a re-polled batch
  after a restart) has no second effect;
- the rows say how many updates a user sent lately, which is what flood control counts,
  across workers;
- an update whose answer could not be delivered (the Bot API failing for a while) or whose
  handling failed midway keeps its body and is tried again a bounded number of times, with
  growing waits (``RetryPolicy``); then it is given up and the citizen told once.

These functions run on a connection inside the caller's transaction (SQLAlchemy Core: they
are on every update's path, where the ORM's bookkeeping would be pure overhead).
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import logging
from dataclasses import dataclass
from types import SimpleNamespace
from typing import cast

from sqlalchemy import Table, and_, bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services.settings import Settings
from services.storage.db import insert_for
from services.storage.models import InboundUpdate

log = logging.getLogger(__name__)

# Telegram gives up redelivering an update after a day; remembering ids for two is enough.
REMEMBER = dt.timedelta(days=2)
# An update still unhandled after this is given up, not replayed: the citizen has moved on,
# and one that keeps failing must not be retried for ever.
GIVE_UP = dt.timedelta(minutes=10)

_table = cast(Table, InboundUpdate.__table__)
_c = _table.c


class Arrival(enum.Enum):
    NEW = "new"  # handle it
    SEEN = "seen"  # handled before: no second effect
    SLOW_DOWN = "slow_down"  # too many updates from this user: dropped, tell them once
    DROPPED = "dropped"  # too many, and already told
    SCHEDULED = "scheduled"  # failed before and waits for its next try: nothing now
    GIVEN_UP = "given_up"  # failed too often: given up now, tell the citizen once


@dataclass(frozen=True)
class RetryPolicy:
    """An update that failed is tried ``retries`` more times, the first after
    ``first_wait``, each wait twice the one before."""

    retries: int = 5
    first_wait: dt.timedelta = dt.timedelta(seconds=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(settings.update_retries, dt.timedelta(seconds=settings.update_retry_seconds))

    def wait_after(self, attempts: int) -> dt.timedelta:
        """How long to wait once ``attempts`` tries have failed."""
        return self.first_wait * (1 << max(attempts - 1, 0))

    def spent(self, attempts: int) -> bool:
        """Whether ``attempts`` tries are all this policy allows."""
        return attempts > self.retries


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class FloodLimit:
    """At most ``updates`` from one user in any ``window``."""

    updates: int
    window: dt.timedelta


@dataclass(frozen=True)
class Incoming:
    """An update as it arrived from a messenger, its body already encrypted."""

    messenger: str
    update_id: int
    chat_id: int | None
    user_id: int | None
    body: str


@dataclass(frozen=True)
class Stalled:
    update_id: int
    body: str


@dataclass(frozen=True)
class Claimed:
    """What a recovery pass takes up: updates to handle again, and the chats of those it
    has just given up (left unhandled too long), to be told once."""

    stalled: list[Stalled]
    given_up_chats: list[int]


@functools.cache
def _statements(dialect: str) -> SimpleNamespace:
    """Built once per dialect, with bound parameters: they run on every update, and
    building a statement costs more than SQLite takes to run it."""
    insert = insert_for(dialect)
    recent = (
        _c.messenger == bindparam("b_messenger"),
        _c.user_id == bindparam("b_user_id"),
        _c.received_at > bindparam("b_since"),
    )
    this = and_(_c.messenger == bindparam("b_messenger"), _c.update_id == bindparam("b_update_id"))
    return SimpleNamespace(
        # Column values come as the parameters of each execution.
        store=insert(_table)
        .on_conflict_do_nothing(index_elements=["messenger", "update_id"])
        .returning(_c.update_id),
        earlier=select(_c.handled_at, _c.attempts, _c.throttled, _c.lease_until).where(this),
        again=update(_table)
        .where(this)
        .values(attempts=_c.attempts + 1, lease_until=bindparam("b_lease"), throttled=None),
        attempts=select(_c.attempts).where(this),
        postpone=update(_table)
        .where(this, _c.handled_at.is_(None))
        .values(lease_until=bindparam("b_next"), throttled="retry"),
        give_up=update(_table)
        .where(this)
        .values(handled_at=bindparam("b_now"), body=None, lease_until=None, throttled="gave_up"),
        recent=select(func.count()).where(*recent),
        noticed=select(func.count()).where(*recent, _c.throttled == "noticed"),
        throttle=update(_table)
        .where(this)
        .values(handled_at=bindparam("b_now"), body=None, throttled=bindparam("b_throttled")),
        handled=update(_table)
        .where(this)
        .values(handled_at=bindparam("b_now"), body=None, lease_until=None),
    )


async def arrive(
    connection: AsyncConnection,
    incoming: Incoming,
    now: dt.datetime,
    lease: dt.timedelta,
    flood: FloodLimit | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
) -> Arrival:
    """Store an update unless stored before, and say what to do with it."""
    run = _statements(connection.dialect.name)
    stored = await connection.scalar(
        run.store,
        {
            "messenger": incoming.messenger,
            "update_id": incoming.update_id,
            "chat_id": incoming.chat_id,
            "user_id": incoming.user_id,
            "received_at": now,
            "body": incoming.body,
            "lease_until": now + lease,
            "attempts": 1,
        },
    )
    key = _key(incoming)
    if stored is None:
        return await _again(connection, incoming, now, lease, retry)
    if flood is None or incoming.user_id is None:
        return Arrival.NEW
    window = {
        "b_messenger": incoming.messenger,
        "b_user_id": incoming.user_id,
        "b_since": now - flood.window,
    }
    if (await connection.scalar(run.recent, window) or 0) <= flood.updates:
        return Arrival.NEW
    told = await connection.scalar(run.noticed, window)
    throttled = "dropped" if told else "noticed"
    await connection.execute(run.throttle, {**key, "b_now": now, "b_throttled": throttled})
    return Arrival.DROPPED if told else Arrival.SLOW_DOWN


def _key(incoming: Incoming) -> dict[str, object]:
    return {"b_messenger": incoming.messenger, "b_update_id": incoming.update_id}


async def _again(
    connection: AsyncConnection,
    incoming: Incoming,
    now: dt.datetime,
    lease: dt.timedelta,
    retry: RetryPolicy,
) -> Arrival:
    """An update stored before: handled (no second effect), waiting for its next try, one
    more try, or one try too many (a worker that died on it every time)."""
    run = _statements(connection.dialect.name)
    key = _key(incoming)
    row = (await connection.execute(run.earlier, key)).one()
    if row.handled_at is not None:
        return Arrival.SEEN
    if row.throttled == "retry" and row.lease_until is not None and row.lease_until > now:
        return Arrival.SCHEDULED  # e.g. Telegram re-sending what we answered 503
    if retry.spent(row.attempts):
        await connection.execute(run.give_up, {**key, "b_now": now})
        return Arrival.GIVEN_UP
    await connection.execute(run.again, {**key, "b_lease": now + lease})
    return Arrival.NEW


async def postpone(
    connection: AsyncConnection,
    incoming: Incoming,
    now: dt.datetime,
    retry: RetryPolicy,
    at_least: dt.timedelta = dt.timedelta(0),
) -> bool:
    """The update's handling failed for now: keep it for a later try, after a wait that
    grows with each failure (and at least ``at_least``, e.g. Telegram's retry_after).
    False when it has had all its tries: then it is given up (the caller tells the chat)."""
    run = _statements(connection.dialect.name)
    key = _key(incoming)
    attempts = await connection.scalar(run.attempts, key)
    if attempts is None:
        return False
    if retry.spent(attempts):
        await connection.execute(run.give_up, {**key, "b_now": now})
        return False
    wait = max(retry.wait_after(attempts), at_least)
    await connection.execute(run.postpone, {**key, "b_next": now + wait})
    return True


async def mark_handled(connection: AsyncConnection, incoming: Incoming, now: dt.datetime) -> None:
    """Part of the transaction that saves the chat's state after the update."""
    await connection.execute(
        _statements(connection.dialect.name).handled, {**_key(incoming), "b_now": now}
    )


async def claim_stalled(
    engine: AsyncEngine, messenger: str, now: dt.datetime, lease: dt.timedelta, limit: int = 50
) -> Claimed:
    """A messenger's stored updates nobody finished (their worker died, the database failed
    midway, the Bot API refused the answer) whose time has come, oldest first, leased to
    the caller so other workers leave them alone; and the chats of those given up for their
    age."""
    async with engine.begin() as connection:
        expired = (
            await connection.execute(
                update(_table)
                .where(
                    _c.messenger == messenger,
                    _c.handled_at.is_(None),
                    _c.received_at < now - GIVE_UP,
                )
                .values(handled_at=now, body=None, throttled="expired")
                .returning(_c.chat_id)
            )
        ).all()
        if expired:
            log.warning("gave up %d stored updates left unhandled too long", len(expired))
        given_up = [row.chat_id for row in expired if row.chat_id is not None]
        query = (
            select(_c.update_id, _c.body)
            .where(_c.messenger == messenger, _c.handled_at.is_(None), _c.lease_until < now)
            .order_by(_c.update_id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = (await connection.execute(query)).all()
        if rows:
            # Leased, and no longer waiting: handling it counts as its next try (arrive()).
            await connection.execute(
                update(_table)
                .where(_c.messenger == messenger, _c.update_id.in_([row.update_id for row in rows]))
                .values(lease_until=now + lease, throttled=None)
            )
    stalled = [Stalled(row.update_id, row.body) for row in rows if row.body is not None]
    return Claimed(stalled, given_up)


async def forget_before(engine: AsyncEngine, now: dt.datetime) -> int:
    """Drop the ids of handled updates older than Telegram would ever redeliver."""
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(_table).where(_c.handled_at.is_not(None), _c.received_at < now - REMEMBER)
        )
    return int(result.rowcount or 0)


async def highest_update_id(engine: AsyncEngine, messenger: str) -> int:
    """The highest update_id stored for a messenger (0 when none): a local Bot API (the
    shell's emulator) numbers its updates after it, so a new run's updates are never taken
    for ones handled."""
    async with engine.connect() as connection:
        highest = await connection.scalar(
            select(func.max(_c.update_id)).where(_c.messenger == messenger)
        )
        return int(highest or 0)
