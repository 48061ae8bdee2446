#!/usr/bin/env bash
# Sets everything up, then runs the whole suite: lint, types, unit and integration
# tests against the local emulator, the tutorial notebooks (nbval) and the browser
# tests (real Chromium against real JupyterLab / Notebook 7). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
# Tests run against the emulator and keep their journal in a temp dir, never the user's.
unset OPENAI_HK_API_KEY OPENAI_HK_BASE_URL HFWIDGETS_MOTIONS_URL
HFWIDGETS_HOME=$(mktemp -d -t hfwidgets-home.XXXXXX)
export HFWIDGETS_HOME
# The background emulator of this home (the notebooks use it) stops with the run; so do the
# tests' own, stopped by a session fixture, and by themselves once idle.
trap 'python -m hfwidgets emulator stop >/dev/null 2>&1 || true; rm -rf "$HFWIDGETS_HOME"' EXIT

echo "== ruff"; ruff format --check hfwidgets tests benchmarks scripts; ruff check hfwidgets tests benchmarks scripts
echo "== mypy"; mypy
echo "== pytest"
set +e
# Three workers (pytest-xdist): the browser tests on one, the other modules on two (tests/scheduling.py).
python -m pytest -n 3 tests notebooks --nbval --nbval-sanitize-with notebooks/sanitize.cfg "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$status"
