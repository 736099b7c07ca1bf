# rnnkit: one command to set up and grade, one to set up and test.
#   make demo   grade the bundled reference solution and stub of HW1 and HW2, print the results
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
	$(BIN)/rnnkit grade hw1_rnn_cell solutions/hw1_rnn_cell/rnn_cell.py --out out/hw1_reference
	$(BIN)/rnnkit grade hw1_rnn_cell assignments/hw1_rnn_cell/rnn_cell.py --out out/hw1_stub
	$(BIN)/rnnkit grade hw2_lstm_gates solutions/hw2_lstm_gates/lstm_gates.py --out out/hw2_reference
	$(BIN)/rnnkit grade hw2_lstm_gates assignments/hw2_lstm_gates/lstm_gates.py --out out/hw2_stub

test: setup
	$(BIN)/python -m pytest -n 2 tests

release: setup
	$(BIN)/rnnkit release

clean:
	rm -rf $(VENV) out
