# The README's commands. Every target creates what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test smoke bench lint format install clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Web server, the worker queues and django-q2 (schedules) together; Ctrl-C stops them all.
# Links in e-mails point at the address the server was started on (unless SITE_URL is set).
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py setup_schedules
	$(PY) manage.py seed_demo
	@echo ""
	@echo "SMPLAT is starting on http://$(HOST):$(PORT)/  (staff: admin / smplat-admin, client: client / smplat-client)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py qcluster & \
	  $(PY) manage.py run_worker --queues payments,fulfillment,emails,chat --sleep 1 & \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload

test: install
	$(PY) -m pytest -q -n 2 $(PYTEST_ARGS)

# Both smoke checks in process, then against gunicorn on a fresh demo database (.ci/smoke).
smoke: install
	bash .ci/smoke

bench: install
	@command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
ifeq ($(BENCH_ARGS),)
	$(PY) bench/all.py
else
	$(PY) bench/run.py $(BENCH_ARGS)
endif

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-*
