# Two commands for a newcomer: `make run` and `make test`. Nothing else to install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test fuzz mutate install install-dev migrate seed openapi bench load clean

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

run: seed
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:$(PORT) wsgi:app

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The contract fuzzers of `make test`, run much longer (examples per operation / state machine runs).
fuzz: install-dev
	FUZZ_MAX_EXAMPLES=$(or $(FUZZ_MAX_EXAMPLES),200) $(BIN)/python -m pytest \
		tests/contract/test_fuzz.py tests/contract/test_workflow_state_machine.py $(PYTEST_ARGS)

# Mutation testing of the rules (api/domain/, api/timescales.py) with mutmut, configured in
# pyproject.toml: hours on one core, so not part of `make test`. One worker, at low priority; on
# SQLite whatever TEST_DATABASE_URL says. MUTANTS: mutant names or globs to run only those, e.g.
# MUTANTS='api.timescales.*'. Working files in mutants/ (git-ignored); the survivors and why each
# is left are in tests/mutation/SURVIVORS.md.
$(VENV)/.installed-mutation: $(VENV)/.installed
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,mutation]'
	touch $@

mutate: $(VENV)/.installed-mutation
	env -u TEST_DATABASE_URL nice -n 15 $(BIN)/mutmut run --max-children 1 $(MUTANTS)
	$(BIN)/mutmut export-cicd-stats
	$(BIN)/python tests/mutation/survivors.py

openapi: install
	$(BIN)/flask --app wsgi openapi write --format=yaml openapi.yaml

bench: install
	$(BIN)/python -m bench.metrics --contacts $(or $(BENCH_CONTACTS),100000) $(if $(BENCH_DATABASE_URL),--engine postgresql --url $(BENCH_DATABASE_URL),--engine sqlite)

# Nothing lost under concurrent partners, retries and killed workers; POST/GET speed against a bare
# baseline (bench/load.py). LOAD_DATABASE_URL: a PostgreSQL database named *bench* or *load*.
# LOAD_ARGS: e.g. --env NAME=VALUE to raise a rate limit for the run.
load: install
	$(BIN)/python -m bench.load $(if $(LOAD_DATABASE_URL),--engine postgresql --url $(LOAD_DATABASE_URL),--engine sqlite) $(LOAD_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache mutants
