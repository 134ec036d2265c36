#!/usr/bin/env bash
# `make check` (also the first step of `make test`): lint and format check (ruff), the layer and
# acyclicity contracts (import-linter, .importlinter), and types of the base and domain layers
# (mypy; pyproject.toml). Seconds, so a broken rule fails before minutes of setup.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p test-output
echo "==> ruff check"
"$BIN/ruff" check --quiet .
echo "==> ruff format --check"
"$BIN/ruff" format --check --quiet .
echo "==> import contracts (lint-imports)"
"$BIN/lint-imports" --no-cache > test-output/import-contracts.log 2>&1 || { sed -n '/Contracts/,$p' test-output/import-contracts.log; exit 1; }
grep -E "KEPT|BROKEN" test-output/import-contracts.log | sed 's/^/   /'
echo "==> mypy (base and domain layers)"
"$BIN/mypy" --no-incremental
