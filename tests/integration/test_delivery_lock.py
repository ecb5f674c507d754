"""One worker at a time drains the outbox, so pacing into staff groups holds for the whole
deployment; a worker that dies lets the next one take over."""

from __future__ import annotations

import asyncpg

from services.outbox import DELIVERY_LOCK, sole_deliverer
from services.storage.db import create_engine


async def test_only_one_worker_at_a_time_delivers_on_postgresql(postgres_url: str) -> None:
    first, second = create_engine(postgres_url), create_engine(postgres_url)
    try:
        async with sole_deliverer(first) as mine:
            assert mine
            async with sole_deliverer(second) as theirs:
                assert not theirs  # the other worker skips this pass
        async with sole_deliverer(second) as theirs:
            assert theirs  # released when the first finished its pass
    finally:
        await first.dispose()
        await second.dispose()


async def test_a_dead_worker_does_not_keep_the_outbox(postgres_url: str) -> None:
    """The lock lives on the worker's connection: when the process dies, so does the lock."""
    worker = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
    assert await worker.fetchval("SELECT pg_try_advisory_lock($1, $2)", *DELIVERY_LOCK)
    engine = create_engine(postgres_url)
    try:
        async with sole_deliverer(engine) as mine:
            assert not mine
        worker.terminate()  # as a kill -9 would
        async with sole_deliverer(engine) as mine:
            assert mine
    finally:
        await engine.dispose()
