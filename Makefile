# Two commands: `make run` starts lumatui, `make test` runs every check CI runs.
PYTHON ?= python3
# pytest-xdist workers: three on two cores, since a workstation test spends a fifth of its
# time in Textual's pilot pauses (a third worker runs meanwhile: 243 s against 301 s with two,
# same machine, idle); worksteal hands a finished worker half of another's queue, so none
# idles at the end (README: Development). tests/conftest.py puts the slowest modules first.
PYTEST_WORKERS ?= 3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint typecheck pytest bench sim clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	$(BIN)/lumatui

sim: $(VENV)/.run-installed
	$(BIN)/lumatui sim

test: $(VENV)/.test-installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	@start=$$(date +%s); $(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal --durations=10; \
	status=$$?; echo "make test: the suite took $$(($$(date +%s) - start)) s on $(PYTEST_WORKERS) workers"; \
	exit $$status

bench: $(VENV)/.test-installed
	@for script in bench/[!_]*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .import_linter_cache .grimp_cache build dist
