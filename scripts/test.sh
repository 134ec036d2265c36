#!/usr/bin/env bash
# `make test`: the same setup as `make run`, then data validation, unit, integration and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASSISTANT_ENV="${ASSISTANT_ENV:-dev}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
PY=.venv/bin/python

./scripts/bootstrap.sh
./scripts/ensure_browser.sh
"$PY" -m assistant.launcher setup

echo "==> rasa data validate"
.venv/bin/rasa data validate --config config.yml --domain domain.yml --data nlu_data --fail-on-warnings \
  > test-output-validate.log 2>&1 || { cat test-output-validate.log; rm -f test-output-validate.log; exit 1; }
rm -f test-output-validate.log

echo "==> pytest"
mkdir -p test-output
"$PY" -m pytest "$@"
