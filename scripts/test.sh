#!/usr/bin/env bash
# Install everything the project needs on a bare Debian machine and run every check:
# ruff, mypy, the import-layer contract, and the whole pytest suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  echo "== installing PostgreSQL (Debian packages)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

echo "== installing the project with its test and dev extras"
"$PYTHON" -m pip install -q --disable-pip-version-check -e ".[dev]"

echo "== starting a throw-away PostgreSQL for the storage tests"
PISHKHAN_TEST_POSTGRES_URL="$(scripts/test-postgres.sh)"
export PISHKHAN_TEST_POSTGRES_URL

echo "== ruff"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
echo "== mypy"
"$PYTHON" -m mypy
echo "== import layers"
lint-imports
echo "== pytest"
"$PYTHON" -m pytest -q "$@"
