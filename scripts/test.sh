#!/usr/bin/env bash
# `make test`: the same setup as `make run` (plus Chromium and a local PostgreSQL when they can be
# installed), then rasa data validate, rasa test core on tests/stories, the NLU and search
# evaluations, and pytest (unit, integration against the real stack, headless browser).
# Full logs of each step are kept in test-output/.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASSISTANT_ENV="${ASSISTANT_ENV:-dev}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1 RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2
PY=.venv/bin/python
mkdir -p test-output

./scripts/bootstrap.sh
./scripts/check.sh
./scripts/ensure_browser.sh
TEST_POSTGRES_URL=$(./scripts/ensure_postgres.sh)
export TEST_POSTGRES_URL
TEST_REDIS_URL=$(./scripts/ensure_redis.sh)
export TEST_REDIS_URL
"$PY" -m assistant.ops.launcher setup

echo "==> rasa data validate"
.venv/bin/rasa data validate --config config.yml --domain domain.yml --data nlu_data --fail-on-warnings \
  > test-output/validate.log 2>&1 || { cat test-output/validate.log; exit 1; }

echo "==> rasa test core (tests/stories)"
model=$("$PY" -c "from assistant.base.config import Settings; from assistant.ops.steps.model import model_path; print(model_path(Settings.from_env()))")
.venv/bin/rasa test core -m "$model" --stories tests/stories --out test-output/stories --fail-on-prediction-errors \
  > test-output/stories.log 2>&1 || { grep -v "Processed" test-output/stories.log | tail -40; exit 1; }
grep -E "Correct:|Accuracy:" test-output/stories.log | sed 's/.*INFO *rasa.core.test *- */   /'

echo "==> NLU evaluation on the held-out set (make eval-nlu)"
status=0
"$PY" -m assistant.ops.evaluation.nlu_eval > test-output/nlu-eval.log 2>&1 || status=$?
sed -n '/NLU evaluation on/,$p' test-output/nlu-eval.log | grep -v "Warning\|deprecated\|ParserElement"
[ "$status" = 0 ] || exit "$status"

echo "==> search evaluation (make eval-search)"
status=0
"$PY" -m assistant.ops.evaluation.search_eval > test-output/search-eval.log 2>&1 || status=$?
sed -n '/Search evaluation on/,$p' test-output/search-eval.log
[ "$status" = 0 ] || exit "$status"

echo "==> risk evaluation (make eval-risk)"
status=0
"$PY" -m assistant.ops.evaluation.risk_eval > test-output/risk-eval.log 2>&1 || status=$?
sed -n '/Risk evaluation on/,$p' test-output/risk-eval.log
[ "$status" = 0 ] || exit "$status"

echo "==> pytest (unit, integration incl. the realistic evaluation, browser)"
status=0
"$PY" -m pytest "$@" || status=$?
if [ -f test-output/realistic/realistic_report.json ]; then
  echo "==> realistic evaluation (make eval-realistic, run inside pytest on the shared stack)"
  echo "   $("$PY" -m assistant.ops.evaluation.realistic_eval --summary test-output/realistic/realistic_report.json)"
fi
exit "$status"
