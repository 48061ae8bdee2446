#!/usr/bin/env bash
# Sets up a fresh machine for hfwidgets: a virtualenv in .venv with the package
# (editable) and its test/dev tools, and Debian's Chromium for the browser tests.
# Idempotent: a second run only checks. Usage: bash scripts/setup.sh [--no-browser]
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.hfwidgets-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing hfwidgets[dev] into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[dev]'
  touch "$stamp"
fi
# Byte-compiled once, as pip does for an installed wheel: where PYTHONDONTWRITEBYTECODE is set,
# every new process (a kernel, the emulator, a command) would compile the package from source.
.venv/bin/python -m compileall -q hfwidgets

# The browser tests need Debian's chromium, npm to fetch axe-core (accessibility checks) and a
# Chinese font (the zh UI is rendered and screenshotted).
if [ "${1:-}" != "--no-browser" ]; then
  missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  [ -n "$(fc-list :lang=zh 2>/dev/null)" ] || missing+=(fonts-wqy-zenhei)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: installing ${missing[*]} for the browser tests"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
echo "setup: ready ($(.venv/bin/python -c 'import hfwidgets; print("hfwidgets", hfwidgets.__version__)'))"
