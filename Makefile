# The two commands that matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash
PY := .venv/bin/python
ROLE ?= customer
SUB ?=
CUSTOMER ?=
ID ?=
INTENT ?=
ENTITIES ?=
FORCE ?=
FULL ?=

.PHONY: run setup test check token index train inbox label dismiss validate eval-nlu eval-search eval-realistic eval-risk bench bench-load bench-cpu lock clean logs

run:            ## set up what is missing, then run Rasa, the action server and the gateway
	@./scripts/run.sh run

setup:          ## venv, dependencies, database, search index and model, without starting anything
	@./scripts/run.sh setup

test:           ## setup, rasa data validate, unit + integration + browser tests
	@./scripts/test.sh

check:          ## ruff (lint, format), import-linter layer contracts, mypy on the base and domain layers
	@./scripts/bootstrap.sh
	@mkdir -p test-output && ./scripts/check.sh

token:          ## print a dev token: make token CUSTOMER=demo | make token ROLE=agent SUB=alice
	@./scripts/bootstrap.sh >&2
	@ASSISTANT_ENV=$${ASSISTANT_ENV:-dev} $(PY) -m assistant.ops.cli token --role $(ROLE) --sub "$(or $(SUB),$(CUSTOMER))"

index:          ## rebuild the search index from search_index/catalog and swap it in (no restart needed)
	@./scripts/bootstrap.sh
	@PYTHONPATH=. $(PY) -m assistant.ops.steps.index

train:          ## fine-tune on the current data (FULL=1: from scratch), refuse if held-out accuracy drops >1 point, else publish live
	@./scripts/bootstrap.sh
	@ASSISTANT_ENV=$${ASSISTANT_ENV:-dev} PYTHONPATH=. $(PY) -m assistant.ops.training.publish $(if $(FORCE),--force) $(if $(FULL),--full)

inbox:          ## list what the bot missed (the trainers' NLU inbox)
	@./scripts/bootstrap.sh >&2
	@PYTHONPATH=. $(PY) -m assistant.ops.cli inbox

label:          ## label an inbox message: make label ID=3 INTENT=check_balance [ENTITIES="payee=李四"]
	@./scripts/bootstrap.sh >&2
	@PYTHONPATH=. $(PY) -m assistant.ops.cli label "$(ID)" "$(INTENT)" --entities "$(ENTITIES)"

dismiss:        ## dismiss an inbox message: make dismiss ID=3
	@./scripts/bootstrap.sh >&2
	@PYTHONPATH=. $(PY) -m assistant.ops.cli dismiss "$(ID)"

eval-nlu:       ## train if needed, then score the model on tests/nlu/nlu_heldout.yml (fails below thresholds)
	@./scripts/run.sh setup
	@PYTHONPATH=. $(PY) -m assistant.ops.evaluation.nlu_eval

eval-realistic: ## customer-style messages through POST /api/chat on a stack of its own (fails below 0.90 acceptable or on any harmful start)
	@./scripts/run.sh setup
	@PYTHONPATH=. $(PY) -m assistant.ops.evaluation.realistic_eval

eval-search:    ## hit@1, hit@3 and MRR by query kind on tests/search/queries.yml (fails below hit@1 0.90)
	@./scripts/bootstrap.sh
	@PYTHONPATH=. $(PY) -m assistant.ops.evaluation.search_eval

eval-risk:      ## the risk engine on tests/risk/scenarios.yml: catch rate, scam scripts warned, false alarms, decision latency
	@./scripts/bootstrap.sh
	@ASSISTANT_ENV=$${ASSISTANT_ENV:-dev} PYTHONPATH=. $(PY) -m assistant.ops.evaluation.risk_eval

bench:          ## latency and training-time benchmarks (figures in README.md)
	@./scripts/run.sh setup
	@PYTHONPATH=. $(PY) -m bench.nlu_parse --train
	@PYTHONPATH=. $(PY) -m bench.search_bench
	@PYTHONPATH=. $(PY) -m bench.chat_load

bench-load:     ## closed loops of 1, 20 and 100 clients, an open loop at 10 turns/s, a 500-turn conversation, on a stack of its own
	@./scripts/run.sh setup
	@PYTHONPATH=. $(PY) -m bench.chat_load

bench-cpu:      ## CPU per chat turn in the gateway, the Rasa servers and the action server, on a stack of its own
	@./scripts/run.sh setup
	@PYTHONPATH=. $(PY) -m bench.turn_cpu

validate:       ## check the training data and domain
	@./scripts/bootstrap.sh
	@.venv/bin/rasa data validate --config config.yml --domain domain.yml --data nlu_data

lock:           ## re-resolve requirements.in into requirements.lock in a scratch venv
	@./scripts/lock.sh

logs:           ## follow the logs of a running stack
	@tail -F data/logs/*.log

clean:          ## remove the venv, models, data and test output (keeps nothing generated)
	rm -rf .venv models data test-output .rasa
