# Voice of Customer: `make run` (whole stack locally), `make test`, `make lint`, `make bench`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: install run test lint bench soak faults fuzz clean

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m ops.devstack

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check services tests bench
	$(VENV)/bin/ruff format --check services tests bench
	$(VENV)/bin/mypy services/survey_core

bench: install
	$(PY) bench/ivr_webhook.py
	$(PY) bench/report_latency.py
	$(PY) bench/fold.py
	$(PY) bench/web_submit.py
	$(PY) bench/complaints.py
	$(PY) bench/memory.py
	$(PY) bench/import_speed.py
	$(PY) bench/dashboard_load.py --baseline main

soak: install
	$(PY) bench/soak.py $(SOAK_ARGS)

faults: install
	$(PY) bench/faults.py $(FAULTS_ARGS)

# Schemathesis (every service's OpenAPI document) and Hypothesis (signed IVR webhooks, public
# forms): 1,000 generated requests per service; the test suite runs 200.
fuzz: install
	FUZZ_CASES=1000 $(PY) -m pytest tests/fuzz -p no:logging $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
