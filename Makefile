# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export HOST PORT

.PHONY: help run serve bench test test-suites lint fmt unit test-e2e test-api test-replicas test-schemathesis test-live lock messages clean
.DEFAULT_GOAL := help

## help: list these targets (what `make` alone does)
help:
	@sed -e 's|$$(HOST)|$(HOST)|g' -e 's|$$(PORT)|$(PORT)|g' -e 's|$$(BENCH_REPORT)|$(BENCH_REPORT)|g' \
		$(firstword $(MAKEFILE_LIST)) | awk '/^## / { line = substr($$0, 4); \
		if (match(line, /^[a-z][a-z0-9-]*: /)) printf "  %-19s %s\n", substr(line, 1, RLENGTH - 2), substr(line, RLENGTH + 1); \
		else printf "  %-19s %s\n", "", line }'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.base: requirements/base.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/base.txt
	touch $@

# The production dependencies plus the embedded PostgreSQL that `make run` and `make bench` use.
$(VENV)/.local: requirements/local.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/local.txt
	touch $@ $(VENV)/.base

$(VENV)/.dev: requirements/dev.txt | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/dev.txt
	touch $@ $(VENV)/.base $(VENV)/.local

# Translations: locale/*/LC_MESSAGES/*.po are the source; the .mo files Django reads are built
# from them by polib (a pinned dependency), so no GNU gettext is needed on the machine.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/*.po))

## messages: compile the translations (locale/*.po -> .mo)
messages: $(MO_FILES)

locale/%.mo: locale/%.po | $(VENV)/.base
	$(BIN)/python -c 'import sys, polib; polib.pofile(sys.argv[1]).save_as_mofile(sys.argv[2])' $< $@

## run: install, migrate and serve http://$(HOST):$(PORT) in demo mode, on the embedded
## PostgreSQL whose data is kept in var/postgres (unless DATABASE_URL is set)
DEV_SERVER = $(BIN)/uvicorn config.asgi:application --host $(HOST) --port $(PORT) \
	--no-access-log --http phoneref.server.protocol:BoundedHttpToolsProtocol
run: $(VENV)/.local messages
	DEBUG=$${DEBUG:-1} DEMO_MODE=$${DEMO_MODE:-1} POSTGRES_DATA_DIR=var/postgres \
		scripts/with-postgres sh -c '$(BIN)/python manage.py migrate --noinput && exec $(DEV_SERVER)'

## serve: the production profile (DEBUG off, gunicorn + uvicorn workers); see scripts/start
serve: $(VENV)/.base messages
	scripts/start

## test: every suite on a throwaway PostgreSQL (or on DATABASE_URL when set); first, one
## line names any tool the machine lacks (scripts/check-prereqs)
test: $(VENV)/.dev
	@scripts/check-prereqs
	scripts/with-postgres $(MAKE) --no-print-directory test-suites

test-suites: lint unit test-e2e test-api test-replicas test-schemathesis test-live

## lint: ruff's checks and formatting, mypy's types, the import contracts (which package may
## import which), no model change without its migration, and every manifest in
## deploy/kubernetes/ valid against the Kubernetes schemas
lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy phoneref config
	@# The contracts are [tool.importlinter] in pyproject.toml.
	$(BIN)/lint-imports --no-logo
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings_test
	@# Every manifest against the Kubernetes API schemas kubernetes-validate ships (no cluster).
	$(BIN)/kubernetes-validate --strict --quiet deploy/kubernetes/*.yaml

## fmt: apply ruff's fixes and formatting, so that `make lint` passes
fmt: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## unit: the unit, API and concurrency tests (pytest-django) on DATABASE_URL, which make test sets
unit: messages
	$(BIN)/pytest -q --ignore=e2e --ignore=live

## test-e2e: the web pages in a real browser (Playwright driving the system's Chromium)
test-e2e: messages
	$(BIN)/pytest -q e2e

# The API suites run against a live server (scripts/with-server, on a throwaway PostgreSQL unless
# DATABASE_URL is set, through a throwaway PgBouncer in transaction pooling) served as in
# production (DEBUG off) but in demo mode, so clients read the code from the response, with no
# simulated SMS delay, and over plain HTTP on loopback (where production has TLS in front).
LIVE_SECRET = SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')
LIVE_SERVER = DEBUG=0 DEMO_MODE=1 OTP_DELAY_MIN=0 OTP_DELAY_MAX=0 SECURE_SSL_REDIRECT=0 \
	$(LIVE_SECRET) scripts/with-postgres scripts/with-pgbouncer scripts/with-server

postman/node_modules/.package-lock.json: postman/package-lock.json
	cd postman && npm ci --no-audit --no-fund --loglevel=error

## test-api: on one live server behind PgBouncer, the Postman collection (newman, pinned in
## postman/), then the limits and races with parallel requests and a burst (live/api); the
## server must have logged no error
# These requests all come from one address: the per-client caps on sends and on wrong codes
# over all phones would refuse most of them.
LIVE_ONE_CLIENT = OTP_IP_SENDS_PER_HOUR=0 OTP_IP_FAILURES_PER_HOUR=0
test-api: $(VENV)/.dev postman/node_modules/.package-lock.json
	$(LIVE_ONE_CLIENT) $(LIVE_SERVER) sh -c 'postman/node_modules/.bin/newman run \
		postman/phoneref.postman_collection.json -e postman/phoneref.postman_environment.json \
		--env-var "baseUrl=$$BASE_URL" && $(BIN)/pytest -q -p no:randomly live/api'

## test-replicas: two production replicas behind HAProxy, through PgBouncer: the limits and races
## of live/api with requests spread over both, a rolling restart during a burst, the burst,
## and no error in either replica's log
# A send delay keeps code requests in flight when a replica gets SIGTERM.
test-replicas: $(VENV)/.dev messages
	DEMO_MODE=1 OTP_DELAY_MIN=0.2 OTP_DELAY_MAX=0.5 $(LIVE_ONE_CLIENT) SECURE_SSL_REDIRECT=0 \
		WEB_CONCURRENCY=2 $(LIVE_SECRET) scripts/with-postgres scripts/with-pgbouncer \
		scripts/with-replicas $(BIN)/pytest -q -s -p no:randomly live/api/test_limits_and_races.py \
		live/replicas live/api/test_server_log.py

## test-schemathesis: property-based tests of the live API against its OpenAPI schema
# The fuzzer asks for hundreds of codes from one address: the per-IP send cap would answer
# all but the first 20 with 429 and leave the rest of the request-code operation untested.
test-schemathesis: $(VENV)/.dev
	OTP_IP_SENDS_PER_HOUR=0 $(LIVE_SERVER) sh -c '$(BIN)/st --config-file fuzz/schemathesis.toml \
		run --checks all "$$BASE_URL/api/schema/?format=json"'

## test-live: the production profile (scripts/start) on a PostgreSQL of its own, which the
## outage test stops and starts: check --deploy, pages, API, limits, a database outage; and
## the README's curl examples against make run
test-live: $(VENV)/.dev messages
	env -u DATABASE_URL scripts/with-postgres $(BIN)/pytest -q -p no:randomly live \
		--ignore=live/api --ignore=live/replicas

## bench: the load benchmark of the production profile, on its own throwaway PostgreSQL;
## prints the table and writes it to $(BENCH_REPORT); BENCH_WRITE_DOCS=1 also puts it into
## docs/benchmarks.md, BENCH_SERVER_LOG=<file> keeps the server's log there
BENCH_REPORT ?= var/bench.md
bench: $(VENV)/.local messages
	env -u DATABASE_URL scripts/with-postgres $(BIN)/python -m bench.run --report $(BENCH_REPORT) \
		$(if $(filter 1,$(BENCH_WRITE_DOCS)),--write-docs) \
		$(if $(BENCH_SERVER_LOG),--server-log $(BENCH_SERVER_LOG))

## lock: re-pin requirements/*.txt from pyproject.toml (needs uv)
lock:
	uv pip compile pyproject.toml -o requirements/base.txt --python-version 3.11 --generate-hashes -q
	uv pip compile pyproject.toml --group local -o requirements/local.txt --python-version 3.11 --generate-hashes -q
	uv pip compile pyproject.toml --group dev -o requirements/dev.txt --python-version 3.11 --generate-hashes -q

## clean: remove the venv and the collected static files
clean:
	rm -rf $(VENV) var/static
