# The two commands of the Quickstart: `make run` and `make test`.
SHELL := /bin/bash

.PHONY: run test train check shell lint bench-nlu bench-load bench-compare bench-memory bench-startup bench-scaleout call clean

run:            ## set up what is missing, train if needed, serve everything
	@py="$$(scripts/setup.sh | tail -n1)" && exec "$$py" -m launcher run

test:           ## set up what is missing (incl. the browser), then the whole test suite
	@py="$$(scripts/setup.sh --with-browser | tail -n1)" && "$$py" -m pytest $(PYTEST_ARGS)

train:          ## compliance guard + train only when inputs changed
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" -m launcher train

check:          ## configuration and forbidden-phrase checks, rasa data validate
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" -m launcher check && "$$py" -m rasa data validate

shell:          ## chat in the terminal (with `make run` running in another terminal)
	@py="$$(scripts/setup.sh | tail -n1)" && exec "$$py" -m launcher shell

call:           ## play a phone call in the terminal against `make run` (TwiML webhooks)
	@py="$$(scripts/setup.sh | tail -n1)" && exec "$$py" -m channels.voice.simulator \
	  --url "$${PUBLIC_BASE_URL:-http://127.0.0.1:5005}" --auth-token "$${TWILIO_AUTH_TOKEN:-dev-token}"

DEV ?= ../shared/eval/dev.jsonl
NLU_ARGS ?= --folds 0 --stock-epochs 10
bench-nlu:      ## NLU: project vs stock pipeline, leave-one-source-out, DEV (NLU_ARGS adds options)
	@py="$$(scripts/setup.sh | tail -n1)" && nice -n 15 "$$py" bench/nlu.py --dev "$(DEV)" --loso \
	  --latency --json results/nlu.json $$( [ -f results/external.jsonl ] && echo --external results/external.jsonl ) $(NLU_ARGS)

# Load, memory, start-up and scale-out benchmarks (docs/BENCHMARKS.md). Each starts its own
# stack (own Redis, free ports) and stops it; LOAD_ARGS adds bench/load.py options.
bench-load:     ## turns/s and latency, REST and phone, 50/200 callers and saturation; make run's layout, then 1 replica
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" bench/compare.py --project-only --replicas default,1 \
	  --scenarios rest:callers:50,rest:callers:200,rest:saturation:50,phone:callers:50,phone:callers:200,phone:saturation:50 \
	  --json results/load.json $(LOAD_ARGS)

STOCK_EPOCHS ?= 100
bench-compare:  ## the same load against stock Rasa (trained with STOCK_EPOCHS) and the ratios
	@py="$$(scripts/setup.sh | tail -n1)" && \
	  "$$py" bench/stock/make_stock.py --out results/stock --epochs $(STOCK_EPOCHS) && \
	  "$$py" bench/compare.py --stock-model results/stock/models/stock-e$(STOCK_EPOCHS).tar.gz --replicas default,1 \
	  --json results/compare.json $(LOAD_ARGS)

bench-memory:   ## peak RSS under load, Redis bytes per 20-turn conversation
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" bench/memory.py --json results/memory.json

bench-startup:  ## start -> first answered turn (3 starts), cold training time
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" bench/startup.py --train --json results/startup.json

bench-scaleout: ## two replicas + two action servers behind nginx, one Redis (Ctrl-C stops)
	@py="$$(scripts/setup.sh --with-browser | tail -n1)" && exec "$$py" bench/scaleout.py

lint:
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" -m ruff check .

clean:
	rm -rf models .rasa test-output var/log
