# Two commands for a newcomer: `make run` and `make test`. Nothing else to install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test deploy-check fuzz mutate install install-dev migrate seed console openapi lint-openapi bench bench-console load clean validate-cin cin-validator

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

install install-dev: $(VENV)/.installed

migrate: install
	$(BIN)/flask --app wsgi db upgrade

seed: migrate
	$(BIN)/flask --app wsgi seed

# The server, and beside it a jobs worker (verifications and exports: api/jobs.py), stopped with it.
run: seed console
	$(BIN)/flask --app wsgi jobs work & worker=$$!; \
	$(BIN)/flask --app wsgi webhooks deliver & deliverer=$$!; \
	trap 'kill $$worker $$deliverer 2>/dev/null' EXIT INT TERM; \
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

# The practitioners' console (console/): GOV.UK Frontend and axe-core from the lock file (install
# scripts off), and its stylesheet compiled from GOV.UK Frontend's Sass. Needs Node.js 20+ and
# npm. The API runs without it (its pages then answer 503 saying so); the browser tests need it.
CONSOLE := console
console: $(CONSOLE)/build/console.css

$(CONSOLE)/node_modules/.installed: $(CONSOLE)/package.json $(CONSOLE)/package-lock.json
	cd $(CONSOLE) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(CONSOLE)/build/console.css: $(CONSOLE)/node_modules/.installed $(CONSOLE)/styles/console.scss
	$(CONSOLE)/node_modules/.bin/sass --no-source-map --quiet-deps --load-path=$(CONSOLE)/node_modules \
		--style=compressed $(CONSOLE)/styles/console.scss $@

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The production stack (deploy/) brought up by the README's deployment steps and probed: two app
# servers behind nginx, Redis, on the test database (TEST_DATABASE_URL: PostgreSQL, as the app's
# role, with TEST_MIGRATION_DATABASE_URL its owner; unset, an SQLite file). Needs Debian's nginx
# and redis-server. `make test` runs the same tests among the others.
deploy-check: install-dev
	$(BIN)/python -m pytest tests/deploy $(PYTEST_ARGS)

# The DfE's own CIN census validation (the data-to-insight csc-validator-be-cin package, pinned in
# tests/cin/requirements.txt) in a virtual environment of its own: it needs Python 3.9-3.11 and
# numpy<2. `make validate-cin` exports the return of the current collection year from a fresh
# database of the demo seeds, and from one of CIN_LARGE generated contacts, and checks each (exit
# 1 when an ERROR rule fails); tests/cin/ uses the same environment in `make test` (there a
# deliberate fault must be caught).
CIN_PYTHON ?= $(shell command -v python3.11 || echo $(PYTHON))
CIN_VENV := .venv-cin
CIN_BUILD := build/cin
CIN_LARGE ?= 600  # the larger generated front door: the demo's cases cycled over 600 contacts
cin-validator: $(CIN_VENV)/.installed
$(CIN_VENV)/.installed: tests/cin/requirements.txt
	$(CIN_PYTHON) -m venv $(CIN_VENV)
	$(CIN_VENV)/bin/pip install -q --disable-pip-version-check -r tests/cin/requirements.txt
	touch $@

validate-cin: install cin-validator
	rm -rf $(CIN_BUILD) && mkdir -p $(CIN_BUILD)
	export LA_CODE=$${LA_CODE:-999}; \
	year=$$($(BIN)/python -c 'from datetime import date; d = date.today(); y = d.year - (d.month < 4); print(f"{y}-{(y + 1) % 100:02d}")'); \
	for size in 36 $(CIN_LARGE); do \
	  export DATABASE_URL=sqlite:///$(CURDIR)/$(CIN_BUILD)/demo-$$size.db; \
	  $(BIN)/flask db upgrade && $(BIN)/flask seed --contacts $$size && \
	  $(BIN)/flask cin-census --year $$year --out $(CIN_BUILD)/demo-$$size.xml && \
	  $(CIN_VENV)/bin/python tests/cin/validate.py $(CIN_BUILD)/demo-$$size.xml || exit 1; \
	done

# The contract fuzzers of `make test`, run much longer (examples per operation / state machine runs).
fuzz: install-dev
	FUZZ_MAX_EXAMPLES=$(or $(FUZZ_MAX_EXAMPLES),200) $(BIN)/python -m pytest \
		tests/contract/test_fuzz.py tests/contract/test_workflow_state_machine.py $(PYTEST_ARGS)

# Mutation testing of the rules (api/domain/, api/timescales.py) with mutmut, configured in
# pyproject.toml: hours on one core, so not part of `make test`. One worker (MUTATE_WORKERS=2 for
# two), at low priority; on SQLite whatever TEST_DATABASE_URL says. MUTANTS: mutant names or globs
# to run only those, e.g. MUTANTS='api.timescales.*'. Working files in mutants/ (git-ignored);
# the survivors and why each is left are in tests/mutation/SURVIVORS.md.
$(VENV)/.installed-mutation: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,mutation]'
	touch $@

mutate: $(VENV)/.installed-mutation
	env -u TEST_DATABASE_URL nice -n 15 $(BIN)/mutmut run --max-children $(or $(MUTATE_WORKERS),1) $(MUTANTS)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python tests/mutation/survivors.py

openapi: install
	$(BIN)/flask --app wsgi openapi write --format=yaml openapi.yaml

# openapi.yaml against Spectral's OpenAPI ruleset (spectral:oas): no error and no warning. Needs
# Node.js 20+ and npm (CI has them; `make test` does not need them). The pinned Spectral is
# installed once from the lock file (install scripts off), then runs offline.
LINT := tests/contract/lint
lint-openapi: $(LINT)/node_modules/.installed
	$(LINT)/node_modules/.bin/spectral lint openapi.yaml --ruleset $(LINT)/.spectral.yaml \
		--fail-severity=warn

$(LINT)/node_modules/.installed: $(LINT)/package.json $(LINT)/package-lock.json
	cd $(LINT) && npm ci --ignore-scripts --no-audit --no-fund
	touch $@

bench: install
	$(BIN)/python -m bench.metrics --contacts $(or $(BENCH_CONTACTS),100000) $(if $(BENCH_DATABASE_URL),--engine postgresql --url $(BENCH_DATABASE_URL),--engine sqlite)

# The console's busiest pages in headless Chromium (bench/console_render.py; needs the console's
# packages and Chromium, as the browser tests do). BENCH_DATABASE_URL: a PostgreSQL database to
# make the bench's own database beside (else a SQLite file).
bench-console: install-dev console
	$(BIN)/python -m bench.console_render

# Nothing lost under concurrent partners, retries and killed workers; POST/GET speed against the
# same-work and bare baselines (bench/load.py). LOAD_DATABASE_URL: a PostgreSQL database named
# *bench* or *load*. LOAD_ARGS: e.g. --skip nothing-lost for the speed part alone, or
# --env NAME=VALUE to raise a rate limit for the run.
load: install
	$(BIN)/python -m bench.load $(if $(LOAD_DATABASE_URL),--engine postgresql --url $(LOAD_DATABASE_URL),--engine sqlite) $(LOAD_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache $(LINT)/node_modules mutants $(CONSOLE)/node_modules \
		$(CONSOLE)/build
