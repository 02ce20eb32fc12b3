# macrosim: `make run` runs the baseline scenario offline; `make test` runs the tests.
# any of python3.11, python3.12, python3.13 (3.11 made the shipped results)
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
SUM := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# `make run` installs what a run needs; `make test` (and the rest) the dev extras too
RUN_STAMP := $(VENV)/.installed-run-$(SUM)
STAMP := $(VENV)/.installed-dev-$(SUM)

.PHONY: run test test-slow test-exhaustive lint bench bench-fit docs-figures calibrate clean

define venv
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH (or make PYTHON=python3)"; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
endef

$(RUN_STAMP): pyproject.toml
	$(venv)
	$(BIN)/python -m pip install -q -e .
	rm -f $(VENV)/.installed-run-* && touch $@

$(STAMP): pyproject.toml
	$(venv)
	$(BIN)/python -m pip install -q -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/macrosim run scenarios/baseline.yaml

test: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q

test-slow: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m slow

# every field of every shipped file, 9 mutations each (~8,000 cases; 7-16 min): not in CI
test-exhaustive: $(STAMP)
	MPLBACKEND=Agg $(BIN)/python -m pytest -q -m exhaustive

lint: $(STAMP)
	$(BIN)/ruff check simulator tests benchmarks
	$(BIN)/ruff format --check simulator tests benchmarks
	$(BIN)/mypy simulator

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_engine.py

bench-fit: $(STAMP)
	DATA=$(DATA) $(BIN)/python benchmarks/bench_fit.py

# History for fits, calibration and the slow tests: read in place, never copied here.
DATA ?= ../shared/data

# Regenerate the shipped calibrated priors (the posterior of a fit to public history).
calibrate: $(STAMP)
	$(BIN)/python -m simulator.model.export --priors priors/default.yaml --data "$(DATA)" \
		--as-of 2026-01-20 --fit-start 1990-01 --out priors/calibrated-2026-01-20.yaml

# Regenerate the example figures in docs/figures from a real baseline run.
docs-figures: $(STAMP)
	rm -rf build/docs-run
	MPLBACKEND=Agg $(BIN)/macrosim run scenarios/baseline.yaml --paths 100000 --out build/docs-run --quiet
	mkdir -p docs/figures
	cp build/docs-run/baseline/*/figures/*.png docs/figures/
	MPLBACKEND=Agg $(BIN)/macrosim run scenarios/research-view.yaml --paths 100000 --out build/docs-run --quiet
	cp build/docs-run/research-view/*/figures/fx_fan.png build/docs-run/research-view/*/figures/hedge_choice.png docs/figures/
	MPLBACKEND=Agg $(BIN)/macrosim market scenarios/fed-funds-futures-2026-01-20.csv --as-of 2026-01-20 \
		--scenario scenarios/baseline.yaml --spread-bp 1.5 --figure build/docs-run/fedwatch > /dev/null
	cp build/docs-run/fedwatch.png docs/figures/
	MPLBACKEND=Agg $(BIN)/python -m simulator.report.fx_season --data "$(DATA)" \
		--figure build/docs-run/fx_seasonality --doc docs/fx.md
	cp build/docs-run/fx_seasonality.png docs/figures/

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
