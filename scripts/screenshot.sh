#!/usr/bin/env bash
# Regenerates docs/studio.png: the Studio in JupyterLab (light theme) after the whole flow of the
# browser tests (motion chosen, image given, video made and paused at 1.5 s, one history item),
# taken by real Chromium against a real JupyterLab and the local emulator.
# Usage: bash scripts/screenshot.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENAI_HK_API_KEY OPENAI_HK_BASE_URL HFWIDGETS_MOTIONS_URL
HFWIDGETS_SCREENSHOT=1 exec .venv/bin/python -m pytest -q -s \
  "tests/ui/test_studio_flow.py::test_screenshot_for_the_docs[lab-light]" "$@"
