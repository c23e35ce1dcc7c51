# Every entry point a person needs. `make help` lists them.
# Only Python 3.11+ is required: uv is bootstrapped into .tools/, the environment into .venv/.

PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := .venv
RUN := $(UV) run --frozen --no-sync
PYTEST_WORKERS ?= 2

SOURCES := libs/src services/tasks/src services/portfolio/src services/calendar/src \
	services/notifications/src gateway/src ops/src bench/src
PACKAGE_FILES := pyproject.toml uv.lock libs/pyproject.toml services/tasks/pyproject.toml \
	services/portfolio/pyproject.toml services/calendar/pyproject.toml \
	services/notifications/pyproject.toml gateway/pyproject.toml ops/pyproject.toml bench/pyproject.toml

.DEFAULT_GOAL := help
.PHONY: help install libmagic pango bytecode chromium vendor run kube kube-binaries test test-reliability bench lint audit format clean reset

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# Bytecode compiled ahead: every service, worker and CLI is its own Python process, and
# where bytecode is not written (PYTHONDONTWRITEBYTECODE, a read-only tree) each would
# otherwise compile every module it imports again: ~4 s of CPU per process start.
.venv/.synced: $(UV) $(PACKAGE_FILES)
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

bytecode: .venv/.synced ## compile the platform's own sources (only what changed since)
	@$(RUN) python -m compileall -q -j 0 $(SOURCES)

# axe-core for the browser tests' accessibility checks, pinned by package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

install: .venv/.synced node_modules/.installed libmagic pango ## create .venv with every package (uv.lock) and node_modules (package-lock.json)

libmagic: ## libmagic, with which attachments' types are sniffed (apt-get, as root, when missing)
	@ldconfig -p | grep -q 'libmagic\.so\.1 ' || { \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmagic1; }

pango: ## Pango and fonts, with which WeasyPrint lays out the PDF reports (apt-get, as root, when missing)
	@{ ldconfig -p | grep -q 'libpangoft2-1\.0\.so\.0 ' && fc-list | grep -q 'DejaVuSans\.ttf'; } || { \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core; }

chromium: ## Debian's Chromium for the browser tests (apt-get, as root, when missing)
	@test -x /usr/bin/chromium || { \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

vendor: .venv/.synced ## re-fetch the gateway's vendored JS (FullCalendar, Luxon, Tom Select, htmx, Chart.js) from npm
	$(RUN) python gateway/scripts/vendor_static.py

run: bytecode ## run the platform with embedded PostgreSQL and Redis (Ctrl-C stops)
	$(RUN) obcms-dev run

# The local Kubernetes control plane (ops/kube-local): built once from the Go module proxy,
# ~1,100 CPU-seconds the first time, cached by version in $OBCMS_KUBE_CACHE (default
# ~/.cache/obcms-kube), outside the repository; a second run only checks the cache.
kube-binaries: ## build the local control plane's binaries (etcd, Kubernetes, KWOK, helm) once
	@bash ops/kube-local/build.sh >/dev/null

kube: bytecode kube-binaries ## run a local Kubernetes control plane with simulated nodes (Ctrl-C stops)
	$(RUN) obcms-dev kube

# One file per worker (a file's stacks and fixtures start once), in the order the root
# conftest sorts them (slow files first); xdist would otherwise reorder the files by
# their number of tests and leave the long one-test files as the run's tail.
# The slowest tests close every run's output (CI's too): the suite's time stays in view.
test: bytecode node_modules/.installed chromium kube-binaries ## run the whole test suite against real PostgreSQL and Redis
	$(RUN) pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder --durations=20 $(PYTEST_ARGS)

test-reliability: bytecode ## only the reliability suite (faults: killed workers, Redis, PostgreSQL, services)
	$(RUN) pytest -m reliability $(PYTEST_ARGS) tests/reliability

BENCH_SCALES ?= ref,x10,x100
bench: bytecode ## benchmarks: dataset, production-like stack, locust load; report in bench/results/
	$(RUN) obcms-bench run --scales $(BENCH_SCALES) $(BENCH_ARGS)

lint: .venv/.synced ## ruff (lint + format check) and mypy
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy $(SOURCES)

audit: .venv/.synced ## pip-audit of every pinned runtime package (needs PyPI's JSON API or OSV)
	$(UV) export --frozen --no-dev --no-emit-workspace --no-hashes -o .tools/requirements-audit.txt
	$(RUN) pip-audit --disable-pip --no-deps --progress-spinner off -r .tools/requirements-audit.txt

format: .venv/.synced ## apply ruff fixes and formatting
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

reset: ## delete the local state (.obcms: embedded databases, Redis data, logs)
	rm -rf .obcms

clean: ## delete the environments and caches (keeps .obcms)
	rm -rf .venv node_modules $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
