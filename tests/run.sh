#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need, then lint, types and every test.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CREDSCOPE_TEST_VENV:-.venv-test}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'

"$venv/bin/python" -m ruff check credscope tests
"$venv/bin/python" -m ruff format --check credscope tests || echo "(formatting differences above are reported, not fatal)"
"$venv/bin/python" -m mypy
"$venv/bin/python" -m pytest "$@"
