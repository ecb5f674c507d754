"""Each chat's place in a conversation, kept in the database and handled one update at a time.

PTB's ConversationHandler keeps state in one process's memory; here every update reads the
chat's state from the database under a per-chat lock and writes it back, so a restart or
another worker continues the same conversation.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import functools
import hashlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from services import inbound
from services.identity import TELEGRAM, ChatRef
from services.inbound import DEFAULT_RETRY, Arrival, FloodLimit, Incoming, RetryPolicy
from services.storage.db import insert_for, once_more_if_dropped
from services.storage.models import DialogState, utcnow

_states = cast(Table, DialogState.__table__)
log = logging.getLogger(__name__)


@functools.cache
def _statements(dialect: str) -> SimpleNamespace:
    """Built once per dialect, with bound parameters: they run on every update."""
    insert = insert_for(dialect)
    columns = ("user_id", "flow", "step", "data", "version", "updated_at")
    new = insert(_states)  # the values come as each execution's parameters
    return SimpleNamespace(
        load=select(
            _states.c.user_id, _states.c.flow, _states.c.step, _states.c.data, _states.c.version
        ).where(
            _states.c.messenger == bindparam("b_messenger"),
            _states.c.chat_id == bindparam("b_chat_id"),
        ),
        save=new.on_conflict_do_update(
            index_elements=["messenger", "chat_id"],
            set_={name: new.excluded[name] for name in columns},
        ),
    )


@dataclass
class Conversation:
    """The mutable state of one chat for the duration of one update."""

    messenger: str
    chat_id: int
    user_id: int | None
    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    version: int = 0

    def go(self, flow: str, step: str, **data: Any) -> None:
        """Move to a step of a flow, merging ``data`` into the draft."""
        self.flow, self.step = flow, step
        self.data.update(data)

    def reset(self) -> None:
        """Back to the main menu with an empty draft."""
        self.flow, self.step, self.data = None, None, {}

    def at(self, flow: str, step: str | None = None) -> bool:
        return self.flow == flow and (step is None or self.step == step)


@dataclass
class Turn:
    """What an update found: its arrival, and the conversation unless it is to be skipped.

    The caller may ask for the update to be tried again later (``try_again_later``); after
    the turn, ``kept`` says whether it will be (False when it had all its tries: given up,
    and the chat is to be told)."""

    arrival: Arrival
    conversation: Conversation | None
    retry_wait: dt.timedelta | None = None
    kept: bool = False

    def try_again_later(self, at_least: dt.timedelta = dt.timedelta(0)) -> None:
        """Its answer could not be delivered: the conversation stays as it was before the
        update, which is kept and handled again later, from the same state."""
        self.retry_wait = at_least

    @property
    def given_up(self) -> bool:
        return self.arrival is Arrival.GIVEN_UP or (self.retry_wait is not None and not self.kept)


def _advisory_key(chat: ChatRef) -> int:
    """The chat's PostgreSQL advisory lock key: a bigint, Telegram's chat ids as they are
    (as before), another messenger's in its own range, so its chat 5 never waits for
    Telegram's chat 5; a clash past that range only makes two chats wait for each other."""
    if chat.messenger == TELEGRAM:
        return chat.chat_id
    digest = hashlib.blake2b(f"{chat.messenger}:{chat.chat_id}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big", signed=True)


class _ChatLocks:
    """In-process locks, one per chat, dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[ChatRef, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: ChatRef) -> AsyncIterator[None]:
        lock, users = self._locks.get(chat_id, (asyncio.Lock(), 0))
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[chat_id]
            if users == 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)


class ConversationStore:
    """Loads and saves conversations under a per-chat lock.

    In one process an asyncio lock orders a chat's updates; on PostgreSQL an advisory lock
    (keyed by chat id, held on its own connection for the update) does the same across
    worker processes. SQLite deployments run one process, so the asyncio lock suffices.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        lock_timeout: float = 30.0,
        retry: RetryPolicy = DEFAULT_RETRY,
    ) -> None:
        self._engine = engine
        self._lock_timeout = lock_timeout
        self._retry = retry
        self._locks = _ChatLocks()
        self._shared = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def _cross_process_lock(self, chat: ChatRef) -> AsyncIterator[None]:
        if not self._shared:
            yield
            return
        key = _advisory_key(chat)
        connection = await self._locked(key)
        try:
            yield
        finally:
            try:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            finally:
                await connection.close()

    async def _locked(self, key: int) -> AsyncConnection:
        """A pooled connection holding the chat's advisory lock; the first use of an
        update, with nothing done yet, so a connection the server dropped is retried."""
        return await once_more_if_dropped(lambda: self._lock_on_a_connection(key))

    async def _lock_on_a_connection(self, key: int) -> AsyncConnection:
        connection = await self._engine.connect()
        try:
            # No transaction around the lock: it would cost a BEGIN and a COMMIT each time.
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            timeout = f"{int(self._lock_timeout * 1000)}ms"
            if connection.info.get("lock_timeout") != timeout:  # once per pooled connection
                # A worker stuck on a chat must not hang this one forever: past the timeout
                # the update fails, stays stored, and is handled again later.
                await connection.execute(
                    text("SELECT set_config('lock_timeout', :ms, false)"), {"ms": timeout}
                )
                connection.info["lock_timeout"] = timeout
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        except BaseException:
            await connection.close()
            raise
        return connection

    async def _save(self, connection: AsyncConnection, conversation: Conversation) -> None:
        await connection.execute(
            _statements(connection.dialect.name).save,
            {
                "messenger": conversation.messenger,
                "chat_id": conversation.chat_id,
                "user_id": conversation.user_id,
                "flow": conversation.flow,
                "step": conversation.step,
                "data": conversation.data,
                "version": conversation.version + 1,
                "updated_at": utcnow(),
            },
        )

    @asynccontextmanager
    async def open(
        self, messenger: str, chat_id: int, user_id: int | None = None
    ) -> AsyncIterator[Conversation]:
        """Hold the chat's lock, yield its conversation, and write back what changed."""
        async with self.handle(messenger, chat_id, user_id) as turn:
            assert turn.conversation is not None  # without an update there is nothing to skip
            yield turn.conversation

    @asynccontextmanager
    async def handle(
        self,
        messenger: str,
        chat_id: int,
        user_id: int | None = None,
        incoming: Incoming | None = None,
        *,
        lease: dt.timedelta = dt.timedelta(seconds=30),
        flood: FloodLimit | None = None,
    ) -> AsyncIterator[Turn]:
        """One update of a chat, under the chat's lock: store the update and read the
        chat's conversation in one transaction; after the caller has handled it, write back
        what changed and mark the update handled in another. An update seen before, or one
        too many from a flooding user, comes with no conversation: skip it.

        An update the caller asks to try again later, or whose handling raised, is not
        marked handled and its conversation not written: it is kept for a later try from
        the same state (``inbound.postpone``), until it has had all its tries."""
        chat = ChatRef(messenger, chat_id)
        async with self._locks.hold(chat), self._cross_process_lock(chat):
            async with self._engine.begin() as connection:
                arrival = Arrival.NEW
                if incoming is not None:
                    arrival = await inbound.arrive(
                        connection, incoming, utcnow(), lease, flood, self._retry
                    )
                row = None
                if arrival is Arrival.NEW:
                    load = _statements(connection.dialect.name).load
                    row = (
                        await connection.execute(
                            load, {"b_messenger": messenger, "b_chat_id": chat_id}
                        )
                    ).first()
            if arrival is not Arrival.NEW:
                yield Turn(arrival, None)
                return
            conversation = (
                Conversation(messenger=messenger, chat_id=chat_id, user_id=user_id)
                if row is None
                else Conversation(
                    messenger=messenger,
                    chat_id=chat_id,
                    user_id=row.user_id if user_id is None else user_id,
                    flow=row.flow,
                    step=row.step,
                    data=copy.deepcopy(row.data),
                    version=row.version,
                )
            )
            before = (conversation.flow, conversation.step, copy.deepcopy(conversation.data))
            turn = Turn(arrival, conversation)
            try:
                yield turn
                if turn.retry_wait is not None and incoming is not None:
                    turn.kept = await self._postpone(incoming, turn.retry_wait)
                    return
                await self._finish(conversation, before, incoming)
            except Exception:
                if incoming is not None:
                    turn.retry_wait = dt.timedelta(0)
                    turn.kept = await self._postpone(incoming, turn.retry_wait)
                raise

    async def _finish(
        self, conversation: Conversation, before: tuple[Any, ...], incoming: Incoming | None
    ) -> None:
        """Write back the conversation if it changed, and mark the update handled."""
        after = (conversation.flow, conversation.step, conversation.data)
        save = after != before or conversation.version == 0
        if not save and incoming is None:
            return
        async with self._engine.begin() as connection:
            if save:
                await self._save(connection, conversation)
            if incoming is not None:
                await inbound.mark_handled(connection, incoming, utcnow())
        if save:
            conversation.version += 1

    async def _postpone(self, incoming: Incoming, at_least: dt.timedelta) -> bool:
        """Keep the update for a later try; False once it has had all its tries (given
        up). A database that fails here too leaves it to the lease: kept all the same."""
        try:
            async with self._engine.begin() as connection:
                return await inbound.postpone(connection, incoming, utcnow(), self._retry, at_least)
        except Exception:
            log.warning(
                "could not postpone update %s; its lease will bring it back", incoming.update_id
            )
            return True
