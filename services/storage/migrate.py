"""Apply Alembic migrations programmatically (``pishkhan migrate`` and start-up)."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine


def alembic_config(database_url: str = "") -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("services.storage") / "migrations")
    )
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _migrate(connection: Connection, revision: str, down: bool) -> None:
    """Migrate in one transaction. On SQLite with foreign keys off meanwhile: batch mode
    rebuilds a table by copy, drop and rename, and dropping a table others point to (a
    booking's events) would fail, or cascade, on rows that are kept. The keys are checked
    before the commit, so a migration that broke one is rolled back."""
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # a pragma SQLite ignores inside a transaction: before it begins
        _pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        with connection.begin():
            config = alembic_config()
            config.attributes["connection"] = connection
            (command.downgrade if down else command.upgrade)(config, revision)
            if sqlite and (broken := connection.exec_driver_sql("PRAGMA foreign_key_check").all()):
                raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            _pragma(connection, "PRAGMA foreign_keys=ON")


def _pragma(connection: Connection, pragma: str) -> None:
    # On the driver's connection: through SQLAlchemy it would begin a transaction.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def migrate_to(engine: AsyncEngine, revision: str, *, down: bool = False) -> None:
    """Bring the schema up (or ``down``) to ``revision``."""
    async with engine.connect() as connection:
        await connection.run_sync(_migrate, revision, down)


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision; a no-op when it is already there."""
    await migrate_to(engine, "head")


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
