# Two commands on a fresh clone:  make demo  (set up + flagship table),  make test  (set up + tests)
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: setup demo test lint bench clean ecg-question

setup: $(STAMP)

PLUGIN  = examples/toytasks-example-plugin

$(STAMP): pyproject.toml constraints.txt $(PLUGIN)/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test,plots,ecg,dask]'
	# the example plugin (docs/extending.md): the tests run it end to end
	$(BIN)/pip install --quiet -c constraints.txt -e $(PLUGIN)
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/toytasks run --task cycle-pattern

# pytest exits 5 when it collects no test: that is a failure of the suite, not a pass.
# -n auto: one test process per core (pytest-xdist), --dist worksteal with the slow tests
# collected first (tests/conftest.py) to keep the tail short; each trial pins its own threads, so
# results do not depend on it (docs/results.md).
test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -q -n auto --dist worksteal

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# The headline result: the paper-profile study, timed, published as docs/ecg-question.md
ecg-question: $(STAMP)
	$(BIN)/python scripts/publish_study.py --profile paper --workers 2 --out results/ecg-paper

clean:
	rm -rf $(VENV) results .pytest_cache
