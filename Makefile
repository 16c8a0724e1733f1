# EventLens: `make run` starts everything on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-stamp
DEV_STAMP := $(VENV)/.dev-stamp

# The bib reader's OCR models ship in this wheel. --no-deps: it asks for opencv-python, which would
# overwrite the cv2 of our opencv-python-headless; its other dependencies are in pyproject.toml.
BIB_OCR := rapidocr-onnxruntime==1.4.4

.PHONY: install install-dev system-deps run test test-embedded test-scaled lint bench clean

# A fresh Debian has python3 but maybe not its venv module (package python3-venv): install it when root.
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  rm -rf $(VENV); \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing python3-venv"; apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
	    $(PYTHON) -m venv $(VENV); \
	  else echo "Python's venv module is missing: sudo apt-get install python3-venv"; exit 1; fi; }

# Running needs only the package itself; the dev extra (test tools, the optional face engines) is for tests.
$(RUN_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m pip install --quiet --no-deps $(BIB_OCR)
	@touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(DEV_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

# Chromium, lftp, curl: installed with apt when root, otherwise the command to run is printed.
system-deps:
	@scripts/test-system-deps.sh

run: install
	$(BIN)/eventlens serve

lint: install-dev
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The suite runs twice: embedded defaults, then PostgreSQL + Redis + S3 (SeaweedFS, started by the suite).
# Each run spreads its tests over TEST_WORKERS processes (pytest-xdist): much of a test's time is spent
# waiting on sockets, subprocesses and the browser, so two processes finish in about half the time even
# on two cores. TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: lint test-embedded test-scaled

test-embedded: install-dev system-deps
	EVENTLENS_TEST_PROFILE=embedded $(BIN)/pytest -q -n $(TEST_WORKERS)

test-scaled: install-dev system-deps
	EVENTLENS_TEST_PROFILE=scaled $(BIN)/pytest -q -n $(TEST_WORKERS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
