#!/usr/bin/env bash
# Create the virtual environment .venv (once) and install genlib with its dev tools into it.
# Python 3.11+; set PYTHON to choose the interpreter, GENLIB_VENV to put the environment elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${GENLIB_VENV:-.venv}"
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3.12 python3.13 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
  done
fi
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), f"genlib needs Python 3.11 or newer, found {sys.version.split()[0]}"'
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating $VENV with $("$PY" --version)"
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
echo "setup: installing genlib and its dependencies into $VENV (the first time this downloads PyTorch)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]"
