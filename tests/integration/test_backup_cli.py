"""`pishkhan backup` as an operator uses it: a copy that opens, with every committed booking,
taken while someone else is writing; never over an existing file; never of PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path

import pytest

from bot.cli import main
from services.booking import book
from services.privacy import new_secret_key
from services.storage.db import create_engine, session_factory
from services.storage.migrate import upgrade_to_head
from tests.helpers.booking_data import NOW, RULES, VAULT, new_code, office_with_desks, request
from tests.helpers.booking_data import valid_national_code as code


async def _with_bookings(url: str, count: int) -> None:
    engine = create_engine(url)
    await upgrade_to_head(engine)
    sessions = session_factory(engine)
    try:
        office = await office_with_desks(sessions, desks=count)
        for n in range(count):
            await book(sessions, VAULT, RULES, request(office, n + 1, code(n + 1)), NOW, new_code)
    finally:
        await engine.dispose()


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "pishkhan.db"
    asyncio.run(_with_bookings(f"sqlite+aiosqlite:///{path}", 3))
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.delenv("PISHKHAN_SECRET_KEY", raising=False)
    return path


def _bookings(path: Path) -> int:
    with sqlite3.connect(path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return int(copy.execute("SELECT count(*) FROM bookings").fetchone()[0])


def test_a_backup_taken_mid_write_holds_every_committed_booking(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer = sqlite3.connect(database, isolation_level=None)  # the bot, mid-transaction
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM bookings")
    target = tmp_path / "backups" / "pishkhan-1405-09-04.db"
    target.parent.mkdir()
    try:
        assert main(["backup", str(target)]) == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert _bookings(target) == 3  # the committed state, not the transaction in flight
    # National codes and mobiles are in it (encrypted): owner-only, like the key.
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not (target.parent / (target.name + "-wal")).exists()  # one self-contained file
    out = capsys.readouterr().out
    assert str(target) in out and "secret key" in out
    assert not (target.parent / (target.name + ".key")).exists()  # only when asked for


def test_the_key_is_copied_only_when_asked_and_owner_only(database: Path, tmp_path: Path) -> None:
    original = database.with_name(database.name + ".key")  # as `pishkhan run` makes it
    original.touch(mode=0o600)
    original.write_text(new_secret_key())
    target = tmp_path / "copy.db"
    assert main(["backup", str(target), "--with-key"]) == 0
    kept = tmp_path / "copy.db.key"
    assert kept.read_text() == original.read_text()
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600


def test_an_existing_file_is_not_overwritten_without_force(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "old.db"
    target.write_text("last week's backup")
    assert main(["backup", str(target)]) == 2
    assert "exists" in capsys.readouterr().err
    assert target.read_text() == "last week's backup"
    target.chmod(0o644)
    assert main(["backup", str(target), "--force"]) == 0
    assert _bookings(target) == 3
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # not the old file's mode
    assert main(["backup", str(database), "--force"]) == 2  # never over the database itself
    assert _bookings(database) == 3
    assert main(["backup", str(tmp_path / "no such folder" / "x.db")]) == 2
    assert not list(tmp_path.glob(".*.partial"))


def test_postgresql_is_pointed_to_pg_dump(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PISHKHAN_DATABASE_URL", "postgresql://pishkhan@localhost/pishkhan")
    monkeypatch.setenv("PISHKHAN_SECRET_KEY", "k" * 40)
    assert main(["backup", str(tmp_path / "x.db")]) == 2
    assert "pg_dump" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
