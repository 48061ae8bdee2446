#!/usr/bin/env bash
# Regenerates docs/studio.png: the quickstart's Studio with a finished result, taken by the
# browser test that generates a video (real Chromium, real JupyterLab, local emulator).
# Usage: bash scripts/screenshot.sh [extra pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENAI_HK_API_KEY OPENAI_HK_BASE_URL HFWIDGETS_MOTIONS_URL
HFWIDGETS_SCREENSHOT=1 exec .venv/bin/python -m pytest -q -s \
  "tests/ui/test_lab_studio.py::test_generate_from_an_uploaded_image_plays_the_video" "$@"
