# Two commands do all the set-up on a fresh machine:
#   make demo   - install into .venv and run the demo on the embedded database (SQLite)
#   make test   - install, make sure PostgreSQL and Chromium are there, run the whole test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/listingguard demo $(ARGS)

test: setup
	scripts/ensure-services.sh
	scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(ARGS)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench.run_all

clean:
	rm -rf $(VENV) .listingguard .pytest_cache .mypy_cache .ruff_cache
