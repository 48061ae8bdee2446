#!/usr/bin/env bash
# Builds the documentation site into site/ (strict: a broken link, a missing reference
# or a notebook that does not render fails the build). `--serve` serves it on
# http://127.0.0.1:8000 and rebuilds on change. Extra arguments go to mkdocs.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/mkdocs ]; then
  echo "docs: installing the docs extra into .venv"
  .venv/bin/python -m pip install -q -e '.[docs]'
fi
if [ "${1:-}" = "--serve" ]; then
  shift
  exec .venv/bin/mkdocs serve --strict --dev-addr 127.0.0.1:8000 "$@"
fi
exec .venv/bin/mkdocs build --strict --site-dir site "$@"
