# The two commands of the Quickstart: `make run` and `make test`.
SHELL := /bin/bash

.PHONY: run test train check shell lint bench-nlu call clean

run:            ## set up what is missing, train if needed, serve everything
	@py="$$(scripts/setup.sh | tail -n1)" && exec "$$py" -m bot.ops run

test:           ## set up what is missing (incl. the browser), then the whole test suite
	@py="$$(scripts/setup.sh --with-browser | tail -n1)" && "$$py" -m pytest $(PYTEST_ARGS)

train:          ## compliance guard + train only when inputs changed
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" -m bot.ops train

check:          ## configuration and forbidden-phrase checks, rasa data validate
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" -m bot.ops check && "$$py" -m rasa data validate

shell:          ## chat in the terminal (with `make run` running in another terminal)
	@py="$$(scripts/setup.sh | tail -n1)" && exec "$$py" -m bot.ops shell

call:           ## play a phone call in the terminal against `make run` (TwiML webhooks)
	@py="$$(scripts/setup.sh | tail -n1)" && exec "$$py" -m channels.voice.simulator \
	  --url "$${PUBLIC_BASE_URL:-http://127.0.0.1:5005}" --auth-token "$${TWILIO_AUTH_TOKEN:-dev-token}"

DEV ?= ../shared/eval/dev.jsonl
bench-nlu:      ## NLU: project vs stock pipeline, 5-fold CV and the evaluation set DEV
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" bench/nlu.py --dev "$(DEV)" --latency --json results/nlu.json

lint:
	@py="$$(scripts/setup.sh | tail -n1)" && "$$py" -m ruff check .

clean:
	rm -rf models .rasa test-output var/log
