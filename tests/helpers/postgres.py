"""A PostgreSQL database of its own for a test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest

POSTGRES_ENV = "PISHKHAN_TEST_POSTGRES_URL"


def _postgres_admin_url() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI"):
            pytest.fail(f"{POSTGRES_ENV} must be set in CI (scripts/test.sh starts a server)")
        pytest.skip(f"no PostgreSQL: set {POSTGRES_ENV} or run scripts/test.sh")
    return url


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """An empty PostgreSQL database of its own, dropped afterwards."""
    admin = _postgres_admin_url()
    name = f"pishkhan_test_{uuid.uuid4().hex[:12]}"
    plain = admin.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    try:
        yield admin.rsplit("/", 1)[0] + f"/{name}"
    finally:
        connection = await asyncpg.connect(plain)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
