"""Each chat's place in a conversation, kept in the database and handled one update at a time.

PTB's ConversationHandler keeps state in one process's memory; here every update reads the
chat's state from the database under a per-chat lock and writes it back, so a restart or
another worker continues the same conversation.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services import inbound
from services.storage.models import DialogState, utcnow


@dataclass
class Conversation:
    """The mutable state of one chat for the duration of one update."""

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


class _ChatLocks:
    """In-process locks, one per chat, dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, chat_id: int) -> AsyncIterator[None]:
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
        sessions: async_sessionmaker[AsyncSession],
        *,
        lock_timeout: float = 30.0,
    ) -> None:
        self._engine = engine
        self._lock_timeout = lock_timeout
        self._sessions = sessions
        self._locks = _ChatLocks()
        self._shared = engine.dialect.name == "postgresql"

    @asynccontextmanager
    async def _cross_process_lock(self, chat_id: int) -> AsyncIterator[None]:
        if not self._shared:
            yield
            return
        async with self._engine.connect() as connection:
            # A worker stuck on a chat must not hang this one forever: past the timeout the
            # update fails, stays stored, and is handled again later.
            await connection.execute(
                text("SELECT set_config('lock_timeout', :ms, false)"),
                {"ms": f"{int(self._lock_timeout * 1000)}ms"},
            )
            await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": chat_id})
            await connection.commit()
            try:
                yield
            finally:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": chat_id})
                await connection.commit()

    async def _load(self, session: AsyncSession, chat_id: int, user_id: int | None) -> Conversation:
        row = await session.get(DialogState, chat_id)
        if row is None:
            return Conversation(chat_id=chat_id, user_id=user_id)
        return Conversation(
            chat_id=chat_id,
            user_id=row.user_id if user_id is None else user_id,
            flow=row.flow,
            step=row.step,
            data=copy.deepcopy(row.data),
            version=row.version,
        )

    async def _save(self, session: AsyncSession, conversation: Conversation) -> None:
        row = await session.get(DialogState, conversation.chat_id)
        if row is None:
            row = DialogState(chat_id=conversation.chat_id)
            session.add(row)
        row.user_id = conversation.user_id
        row.flow = conversation.flow
        row.step = conversation.step
        row.data = copy.deepcopy(conversation.data)
        row.version = conversation.version + 1
        row.updated_at = utcnow()

    @asynccontextmanager
    async def open(self, chat_id: int, user_id: int | None = None) -> AsyncIterator[Conversation]:
        """Hold the chat's lock, yield its conversation, and write back what changed."""
        async with self.handle(chat_id, user_id) as conversation:
            assert conversation is not None  # without an update id there is nothing to skip
            yield conversation

    @asynccontextmanager
    async def handle(
        self, chat_id: int, user_id: int | None = None, update_id: int | None = None
    ) -> AsyncIterator[Conversation | None]:
        """Hold the chat's lock and yield its conversation for one update, then write back
        what changed, marking the update handled in the same transaction. Yields None when
        the update was handled already (by another worker, or before a restart)."""
        async with self._locks.hold(chat_id), self._cross_process_lock(chat_id):
            async with self._sessions() as session:
                if update_id is not None and not await inbound.is_pending(session, update_id):
                    yield None
                    return
                conversation = await self._load(session, chat_id, user_id)
            before = (conversation.flow, conversation.step, copy.deepcopy(conversation.data))
            yield conversation
            changed = (conversation.flow, conversation.step, conversation.data) != before
            if not (changed or conversation.version == 0 or update_id is not None):
                return
            async with self._sessions() as session, session.begin():
                if changed or conversation.version == 0:
                    await self._save(session, conversation)
                if update_id is not None:
                    await inbound.mark_handled(session, update_id, utcnow())
            if changed or conversation.version == 0:
                conversation.version += 1
