#!/usr/bin/env bash
# Sets everything up and opens the demo: JupyterLab on the quickstart notebook.
# With no OPENAI_HK_API_KEY set, the widgets start the local emulator by themselves:
# no key and no network are needed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-browser
extra=()
[ "$(id -u)" -eq 0 ] && extra+=(--allow-root)
exec .venv/bin/jupyter lab notebooks/01_quickstart.ipynb "${extra[@]}" "$@"
