# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: run serve test test-suites lint unit lock messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.base: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/base.txt
	touch $@

$(VENV)/.dev: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.base

## run: install, migrate and serve http://$(HOST):$(PORT) in demo mode (SQLite unless DATABASE_URL)
run: $(VENV)/.base
	@mkdir -p var
	DEBUG=$${DEBUG:-1} DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} DEMO_MODE=$${DEMO_MODE:-1} $(BIN)/uvicorn config.asgi:application \
		--host $(HOST) --port $(PORT) --no-access-log

## test: every suite on a throwaway PostgreSQL (or on DATABASE_URL when set)
test: $(VENV)/.dev
	scripts/with-postgres $(MAKE) --no-print-directory test-suites

test-suites: lint unit

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings_test

unit:
	$(BIN)/pytest -q

## lock: re-pin requirements/*.txt from pyproject.toml (needs uv)
lock:
	uv pip compile pyproject.toml -o requirements/base.txt --python-version 3.11 --generate-hashes -q
	uv pip compile pyproject.toml --group dev -o requirements/dev.txt --python-version 3.11 --generate-hashes -q

clean:
	rm -rf $(VENV) var/static
