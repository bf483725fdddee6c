# Atlas Ops. `make run` to try it, `make test` to check it. Everything installs itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: install migrate demo run test lint format bench soak clean

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

migrate: install
	$(PY) manage.py migrate --noinput

# Each demo step runs only when its result is missing: a second `make run` does no demo
# work and never overwrites a workbook (pipeline_ops/pipeline/demo/prepare.py).
demo: migrate
	$(PY) manage.py demo
	$(PY) manage.py demo_admin

run: demo
	bash scripts/serve.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint
	bash scripts/test-prereqs.sh
	$(VENV)/bin/pytest -q -m "not slow" -n 2 --dist loadgroup

soak: install
	$(VENV)/bin/pytest -q -m slow

bench: migrate
	$(PY) bench/run.py

clean:
	rm -rf var bench/out analytics/target
