"""The ``pishkhan`` command the tests run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def pishkhan_executable() -> Path:
    """The console script pip installed beside the interpreter running the tests: the one of
    this environment, not whichever ``pishkhan`` comes first on PATH."""
    path = Path(sys.executable).with_name("pishkhan")
    if not path.is_file():
        pytest.fail(f"no pishkhan command beside {sys.executable}: pip install -e . first")
    return path
