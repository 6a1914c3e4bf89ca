# The two set-up commands of the README: `make run` (serve the service offline, demo mode)
# and `make test` (the whole test suite). Both create `.venv` on first use.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
VENV_PY := $(VENV)/bin/python
# Touched after a successful install: dependencies are re-installed only when
# pyproject.toml is newer than it (or the venv is gone).
STAMP := $(VENV)/.installed-dev-group
# Interpreters tried in order when the venv is created (override: make PYTHON=python3.12 ...).
PYTHON_CANDIDATES := python3 python3.13 python3.12 python3.11
PYTEST_ARGS ?=

.PHONY: help run test lint format spec clean venv

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

run: $(STAMP) ## migrate, create the demo user, start the fake TikTok upstream, serve on http://127.0.0.1:8000 (HOST, PORT)
	@# exec: run.sh is make's own child, so it sees make go away and gets the SIGTERM make passes on.
	@exec bash scripts/run.sh

test: $(STAMP) ## run the whole test suite (extra pytest arguments: PYTEST_ARGS="-k auth -x")
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

spec: $(STAMP) ## lint the OpenAPI document (Redocly) and type-check a TypeScript client of it (needs node + npm)
	bash clients/typescript/check.sh

venv: $(STAMP) ## create .venv and install the dev dependency group

clean: ## remove the venv, the SQLite files, collected static files and caches
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
	rm -rf clients/typescript/node_modules clients/typescript/generated clients/typescript/.npm-cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

$(STAMP): pyproject.toml
	@if [ -x "$(VENV_PY)" ] && ! "$(VENV_PY)" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
		echo "$(VENV) is broken or older than Python 3.11: recreating it."; rm -rf "$(VENV)"; \
	fi
	@if [ ! -x "$(VENV_PY)" ]; then \
		chosen=""; \
		for candidate in $(or $(PYTHON),$(PYTHON_CANDIDATES)); do \
			if command -v "$$candidate" >/dev/null 2>&1 \
				&& "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
				chosen="$$candidate"; break; \
			fi; \
		done; \
		if [ -z "$$chosen" ]; then \
			echo "error: Python 3.11 or newer is required (tried: $(or $(PYTHON),$(PYTHON_CANDIDATES)))." >&2; \
			echo "       Install it, or point make at it: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)" >&2; \
			exit 1; \
		fi; \
		echo "Creating $(VENV) with $$chosen ($$("$$chosen" --version 2>&1))"; \
		"$$chosen" -m venv "$(VENV)" || { \
			echo "error: '$$chosen -m venv' failed; on Debian/Ubuntu install the python3-venv package." >&2; \
			rm -rf "$(VENV)"; exit 1; }; \
	fi
	@# `pip install --group` needs pip >= 25.1; this is a no-op when pip is already new enough.
	"$(VENV_PY)" -m pip install --quiet --disable-pip-version-check 'pip>=25.1'
	"$(VENV_PY)" -m pip install --quiet --disable-pip-version-check --group dev
	@touch "$@"
