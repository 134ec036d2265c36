#!/usr/bin/env bash
# Create .venv with Python 3.10 and install the locked dependencies.
# Idempotent: re-installs only when requirements.lock changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
STAMP="$VENV/.lock.sha256"

if [ ! -x "$VENV/bin/python" ]; then
  PY=$(./scripts/find_python310.sh) || exit 1
  echo "==> creating virtual environment .venv with $PY"
  "$PY" -m venv "$VENV"
fi

want=$(sha256sum requirements.lock | cut -d' ' -f1)
have=$(cat "$STAMP" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  echo "==> installing locked dependencies (first run: about 2-5 minutes)"
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q --upgrade "pip==24.0"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar on -r requirements.lock
  echo "$want" > "$STAMP"
else
  echo "==> dependencies up to date"
fi
