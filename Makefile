# The two commands a newcomer needs: `make run` (demo) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DEBUG ?= 1

.PHONY: run test test-fast deps venv messages migrate seed lint bench bench-smoke clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

deps:
	@bash scripts/system-deps.sh

messages: venv
	@$(PY) manage.py compilemessages -v 0 --ignore=.venv

migrate: deps venv messages
	$(PY) manage.py migrate --no-input -v 1
	$(PY) manage.py createcachetable

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@bash scripts/run-demo.sh $(HOST) $(PORT)

# SQLite by default; PostgreSQL when DATABASE_URL says so. Fault tests (marked slow) restart
# PostgreSQL, so they run after the rest, alone.
test: deps venv messages
	DEBUG= TESTING=1 $(PY) -m pytest -n 2 -m "not slow"
	DEBUG= TESTING=1 $(PY) -m pytest -m slow; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 5 ]

test-fast: venv messages
	DEBUG= TESTING=1 $(PY) -m pytest -n 2 -m "not slow and not browser"

lint: venv
	$(VENV)/bin/ruff check .

bench: venv messages
	$(PY) bench/run.py --full

bench-smoke: venv messages
	$(PY) bench/run.py --smoke

clean:
	rm -rf var/db.sqlite3 var/mail var/private
