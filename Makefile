# PeaceCase — `make run` starts everything, `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Find a Python >= 3.12 (Django 6 needs it); pyenv shims for absent versions are skipped.
PYTHON ?= $(shell for c in python3.13 python3.12 python3; do \
	  p=$$(command -v $$c 2>/dev/null) && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done; \
	for p in $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3 $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.12*/bin/python3 \
	         /usr/local/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.13 /usr/bin/python3.12; do \
	  [ -x $$p ] && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$p; exit 0; }; \
	done)
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: help run test lint venv check-python bench clean-var migrations lock soak i18n-check i18n-update

help: ## list the targets
	@echo "PeaceCase"
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

check-python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "PeaceCase needs Python 3.12 or newer (Django 6). Install python3.13 (e.g. 'apt-get install python3.13'," ; \
	  echo "'brew install python@3.13' or 'pyenv install 3.13') and run make again, or pass PYTHON=/path/to/python3.13."; \
	  exit 1; fi

$(STAMP): pyproject.toml | check-python
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP) ## create .venv and install PeaceCase with the dev extra

run: $(STAMP) ## migrate, load demo data once, run web + worker + beat at http://127.0.0.1:8000
	$(VPY) -m peacecase.devrun

test: $(STAMP) ## run the whole test suite (embedded servers, or DATABASE_URL / REDIS_URL)
	$(VPY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, and the six languages' catalogues complete (tools/check_catalogues.py)
	$(VENV)/bin/ruff check .
	$(VPY) tools/check_catalogues.py

migrations: $(STAMP) ## fail when a model change has no migration
	$(VPY) manage.py makemigrations --check --dry-run

# The lock is resolved against the public index only: a machine's own pip settings (local
# wheel folders, extra indexes) must not decide the pins or the hashes. UPGRADE=1 re-pins everything.
i18n-check: $(STAMP) ## fail when a catalogue (fr ar zh_Hans ru es) lacks a message or has one untranslated/fuzzy
	$(VPY) tools/check_catalogues.py

i18n-update: $(STAMP) ## makemessages + compilemessages for the five catalogues, with the checker's options
	$(VPY) tools/check_catalogues.py --update

lock: $(STAMP) ## re-pin requirements/production.txt and dev.txt (hashed) from pyproject.toml
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras \
	  --no-emit-index-url --no-emit-find-links -o requirements/production.txt $(if $(UPGRADE),--upgrade,) pyproject.toml
	env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras \
	  --allow-unsafe --extra dev --no-emit-index-url --no-emit-find-links -o requirements/dev.txt $(if $(UPGRADE),--upgrade,) pyproject.toml

bench: $(STAMP) ## measure throughput against a raw-SQL limit (QUICK=1 for a small run)
	$(VPY) bench/run.py $(if $(QUICK),--quick,)

soak: $(STAMP) ## 5 minutes of load with PostgreSQL, Redis and worker faults on its own servers (QUICK=1: 60 s)
	$(VPY) soak/run.py $(if $(QUICK),--quick,)

clean-var: ## stop the embedded servers and delete their data under var/
	-$(VPY) -m peacecase.devservers stop
	rm -rf var
