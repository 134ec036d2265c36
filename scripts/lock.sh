#!/usr/bin/env bash
# Re-resolve requirements.in into requirements.lock (exact versions of everything) in a scratch venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=$(./scripts/find_python310.sh)
tmp=$(mktemp -d)
"$PY" -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q "pip==24.0"
"$tmp/venv/bin/pip" install -q -r requirements.in
"$tmp/venv/bin/pip" freeze --exclude pip | sort -f > requirements.lock
rm -rf "$tmp"
echo "requirements.lock: $(wc -l < requirements.lock) pinned packages"
