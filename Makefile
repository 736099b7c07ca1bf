# rnnkit: one command to set up and grade, one to set up and test.
#   make demo   build the student release and autograder zips, grade the sample class (written from recipes)
#   make test   run the kit's own test suite
# Both create .venv on first use. TORCH pins the CPU build this machine's wheel cache provides;
# any torch >= 2.1 works.

PYTHON ?= python3
TORCH ?= torch==2.13.0
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test release clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: setup
	$(BIN)/rnnkit demo --out out/demo

test: setup
	$(BIN)/python -m pytest -n 2 --dist loadgroup tests

release: setup
	$(BIN)/rnnkit release

clean:
	rm -rf $(VENV) out
