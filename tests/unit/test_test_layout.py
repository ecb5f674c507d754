"""Test modules share helpers through tests/helpers only: importing another test module
runs its tests' module-level code twice and ties unrelated tests together, and a conftest
is pytest's to load, not an importable module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
# tests.<dir>.test_x, tests.test_x, any conftest
_FORBIDDEN = re.compile(r"^tests(\.\w+)*\.(test_\w+|conftest)$")


def _imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            # `from tests.e2e import test_booking` names the module in the alias
            found.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_test_module_imports_another_test_module_or_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in _imported_modules(path)
        if _FORBIDDEN.match(module)
    ]
    assert not offenders, "move shared helpers to tests/helpers:\n" + "\n".join(offenders)


def test_the_check_sees_what_it_forbids(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from tests.e2e.test_booking import TEHRAN\n"
        "from tests.conftest import DATA\n"
        "import tests.e2e.conftest\n"
        "from tests.e2e import test_staff\n"
        "from tests.helpers.booking import book_to_summary\n"
    )
    flagged = [m for m in _imported_modules(sample) if _FORBIDDEN.match(m)]
    assert flagged == [
        "tests.e2e.test_booking",
        "tests.conftest",
        "tests.e2e.conftest",
        "tests.e2e.test_staff",
    ]
