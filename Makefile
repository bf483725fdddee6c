# Atlas Ops. `make run` to try it, `make test` to check it. Everything installs itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The whole dependency set, locked with hashes by `make lock` from pyproject.toml (pip-tools):
# runtime.txt is what the product needs, dev.txt adds the tests' and linters' packages.
LOCK := requirements/dev.txt
STAMP := $(VENV)/.installed-$(shell sha1sum $(LOCK) | cut -c1-12)
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

.PHONY: install lock migrate demo run test lint typecheck format bench soak clean

install: $(STAMP)

# Only hashed, locked packages: pip refuses anything else, a dependency's too (--no-deps:
# the lock already names every one).
$(STAMP): $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes --no-deps -r $(LOCK)
	rm -f $(VENV)/.installed-*
	touch $@

# After changing pyproject.toml's dependencies: the locks again (pins kept unless asked to
# move: `make lock LOCK_FLAGS=--upgrade`). Needs the registry.
lock: install
	$(PIP_COMPILE) $(LOCK_FLAGS) --output-file requirements/runtime.txt pyproject.toml
	$(PIP_COMPILE) $(LOCK_FLAGS) --extra dev --output-file requirements/dev.txt pyproject.toml

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

# Types: mypy with django-stubs over pipeline_ops/ and config/ (pyproject.toml [tool.mypy]).
typecheck: install
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint typecheck
	bash scripts/test-prereqs.sh
	$(VENV)/bin/pytest -q -m "not slow" -n 2 --dist loadgroup

soak: install
	$(VENV)/bin/pytest -q -m slow

bench: migrate
	$(PY) bench/run.py

clean:
	rm -rf var bench/out analytics/target
