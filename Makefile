# eventsim developer tasks. `make test` is what CI runs (.ci/run).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The modules setup.py compiles when a C compiler is present (COMPILED in eventsim/_compiled.py): a
# change to one re-runs the install, which rebuilds its extension.
COMPILED_SOURCES := $(shell sed -n 's/^    "\(eventsim[a-z_.]*\)",$$/\1/p' eventsim/_compiled.py | tr . / | sed 's/$$/.py/')

SOLUTIONS := notebooks/solutions
EXERCISES := notebooks/exercises

# Notebook steps: pytest exits 5 when it collects nothing; an empty notebook folder is not a failure.
# They run without MPLBACKEND so the kernel uses matplotlib-inline, as when the committed solutions
# were executed (with Agg, figures would produce no outputs and nbval would report mismatches).
define run_nbval
	@if ls $(1)/*.ipynb >/dev/null 2>&1; then \
		env -u MPLBACKEND $(BIN)/pytest $(2) --nbval-current-env $(1) $(3); rc=$$?; \
		if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; \
	else \
		echo "no notebooks in $(1); skipping"; \
	fi
endef

.PHONY: venv demo test lab exercises bench clean distclean

venv: $(STAMP)

# Re-installs whenever pyproject.toml, setup.py or a compiled module (or its .pxd) is newer than the stamp.
$(STAMP): pyproject.toml setup.py eventsim/_compiled.py $(COMPILED_SOURCES) $(wildcard eventsim/*.pxd eventsim/*/*.pxd)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[dev]"
	touch $(STAMP)

demo: venv
	MPLBACKEND=Agg $(BIN)/eventsim run data/scenarios/reference.yaml --out out/ --horizon-ms 20000

test: venv
	$(BIN)/ruff check eventsim tests tools benchmarks setup.py
	MPLBACKEND=Agg $(BIN)/pytest
	@# The same tests on the pure-Python modules, what a machine without a C compiler runs.
	EVENTSIM_PURE_PYTHON=1 MPLBACKEND=Agg $(BIN)/pytest -p no:cacheprovider
	$(call run_nbval,$(SOLUTIONS),--nbval,-p no:cacheprovider)
	$(call run_nbval,$(EXERCISES),--nbval-lax,)

lab: venv
	$(BIN)/jupyter lab --notebook-dir=notebooks

exercises: venv
	$(BIN)/python tools/make_exercises.py

bench: venv
	MPLBACKEND=Agg $(BIN)/python benchmarks/throughput.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/memory.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/cost_split.py

clean:
	rm -rf out/ build/ .pytest_cache/ .hypothesis/ *.egg-info $(STAMP)
	find eventsim \( -name '*.c' -o -name '*.so' \) -delete
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) \
		-exec rm -rf {} +

# Also removes the virtualenv.
distclean: clean
	rm -rf $(VENV)
