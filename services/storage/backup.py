"""A consistent copy of the SQLite database, taken while the bot keeps running.

Copying ``pishkhan.db`` is not a backup: in WAL mode the newest commits live in
``pishkhan.db-wal`` until a checkpoint, and a copy taken mid-write may not open. SQLite's
online backup API copies one consistent snapshot (a read transaction, which in WAL mode
holds no writer back). The copy is written beside the target and renamed into place only
once SQLite has checked it, so a half-written file never looks like a backup; like the key,
it is readable by its owner only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path


class BackupRefused(Exception):
    """The backup was not made; the message says why, for the operator."""


@dataclass(frozen=True)
class Backup:
    target: Path
    size_bytes: int


def backup_sqlite(source: Path, target: Path, *, replace: bool = False) -> Backup:
    """Copy the database at ``source`` to ``target`` (refused if it exists, unless
    ``replace``); the copy passes ``PRAGMA integrity_check`` before it is put in place."""
    if not source.is_file():
        raise BackupRefused(f"no database at {source}")
    if target.exists() and not replace:
        raise BackupRefused(f"{target} exists: choose another name, or pass --force")
    if target.resolve() == source.resolve():
        raise BackupRefused("the backup cannot be the database itself")
    if not target.parent.is_dir():
        raise BackupRefused(f"no folder {target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    _owner_only_file(partial)
    try:
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as live,
            contextlib.closing(sqlite3.connect(partial)) as copy,
        ):
            live.backup(copy)  # one step: one snapshot
            (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if verdict != "ok":
            raise BackupRefused(f"the copy failed SQLite's integrity check: {verdict}")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(target, target.stat().st_size)


def _owner_only_file(path: Path) -> None:
    """An empty file only its owner may read, made so before any byte is in it: the copy
    holds every (encrypted) national code and mobile. SQLite takes an empty file for a new
    database, and gives its journal the same mode."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def copy_key(key_file: Path, target: Path) -> Path:
    """The generated key beside the backup (owner-only), for an operator who asks for it:
    without the key the copy's national codes and mobiles cannot be read."""
    if not key_file.is_file():
        raise BackupRefused(f"no key file at {key_file} (the key is PISHKHAN_SECRET_KEY)")
    kept = target.with_name(target.name + ".key")
    kept.unlink(missing_ok=True)
    kept.touch(mode=0o600)
    shutil.copyfile(key_file, kept)
    return kept
