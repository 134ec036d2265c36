#!/usr/bin/env bash
# `make run`: set up what is missing, then run the stack in the foreground.
# exec keeps the launcher a direct child of make, so killing make stops the stack too.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/bootstrap.sh
export ASSISTANT_ENV="${ASSISTANT_ENV:-dev}"
exec .venv/bin/python -m assistant.ops.launcher "${1:-run}"
