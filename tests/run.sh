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

# The HTML report test renders in headless Chromium, the SARIF test validates with Microsoft's
# SARIF multitool (an npm package, installed beside the test virtualenv, which git ignores).
apt_missing=()
command -v chromium >/dev/null 2>&1 || apt_missing+=(chromium)
command -v npm >/dev/null 2>&1 || apt_missing+=(npm)
if [ "${#apt_missing[@]}" -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
fi
npm_prefix="$venv/npm"
if [ ! -f "$npm_prefix/node_modules/@microsoft/sarif-multitool-linux/sarif-2.1.0.json" ] && command -v npm >/dev/null 2>&1; then
  mkdir -p "$npm_prefix"
  npm install --prefix "$npm_prefix" --no-audit --no-fund --silent @microsoft/sarif-multitool-linux
fi
CREDSCOPE_NPM_PREFIX="$(cd "$npm_prefix" 2>/dev/null && pwd || echo "$npm_prefix")"
export CREDSCOPE_NPM_PREFIX

# The providers' API descriptions the probe tests check against, from the registry packages pinned in
# tests/data/api-descriptions.json (into tests/data/api/, which git ignores). A failed download stops the run here,
# and under CREDSCOPE_REQUIRE_API_DESCRIPTIONS a pinned description that is missing fails its tests, never skips them.
"$venv/bin/python" tests/fetch_descriptions.py
export CREDSCOPE_REQUIRE_API_DESCRIPTIONS=1

"$venv/bin/python" -m ruff check credscope tests
"$venv/bin/python" -m ruff format --check credscope tests
"$venv/bin/python" -m mypy
# The package as it would be released: sdist and wheel built, their metadata checked as PyPI would.
dist="$(mktemp -d)"
trap 'rm -rf "$dist"' EXIT
"$venv/bin/python" -m build --no-isolation --outdir "$dist" . >/dev/null
"$venv/bin/python" -m twine check --strict "$dist"/*
"$venv/bin/python" -m pytest "$@"
