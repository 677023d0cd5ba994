# Two commands: `make dev` (install what is missing, run everything) and `make test`.
SHELL := /bin/bash
PORT ?= 3000
PY := python_modules/bin/python
export MOTIA_ANALYTICS_DISABLED := true
export REDISMS_DISABLE_POSTINSTALL := 1

.PHONY: install dev start test test-fast redis bench help

help:
	@echo "make dev    - install what is missing, then Motia (API + Workbench on :$(PORT)) + the warm engine"
	@echo "make test   - install what is missing, make sure Redis runs, run every test with pytest"
	@echo "make start  - production: motia start under a supervisor, Workbench and admin routes off (needs API_KEYS; set REDIS_HOST for a shared Redis)"
	@echo "make bench  - pipeline latency/throughput (bench/pipeline.py)"

install:
	@scripts/install.sh

# In-process Redis (redis-memory-server on the system redis-server binary), no cloud keys needed.
# motia.config.ts starts the engine (python -m scoring.server) with the app and restarts it if it dies.
dev: install
	REDISMS_SYSTEM_BINARY=$$(command -v redis-server) node_modules/.bin/motia dev -p $(PORT) < /dev/null

# Production: Workbench and admin routes off (APP_ENV=production), restarted by scripts/supervise.sh if it dies.
start: install
	APP_ENV=production REDISMS_SYSTEM_BINARY=$$(command -v redis-server) scripts/supervise.sh node_modules/.bin/motia start -p $(PORT) < /dev/null

redis:
	@scripts/ensure-redis.sh

test: install redis
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: redis
	$(PY) -m pytest -m "not e2e" $(PYTEST_ARGS)

bench: install
	$(PY) bench/pipeline.py $(BENCH_ARGS)
