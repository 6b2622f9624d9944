# eventsim developer tasks. `make test` is what CI runs (.ci/run).
#
#   make          install the runtime dependencies into .venv and (re)build the compiled modules
#   make demo     the same, then run the reference scenario (no JupyterLab, no test tools)
#   make lab      add the notebook extras (JupyterLab) and open the book; `make venv-lab` only installs
#   make test     add the dev extras (test tools + notebook extras), then lint and test in both builds
#
# Each install step has its own stamp in .venv, so `make demo` followed by `make test` adds the dev
# extras to the same environment instead of starting again. The package is installed editable with
# EVENTSIM_PURE_PYTHON=1 (no compilation inside pip); the `build` step compiles the modules in place,
# incrementally: Cython re-translates a module whose .py or .pxd changed, and only changed extensions
# are recompiled (a no-op build takes about half a second, so it runs every time).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

RUNTIME_STAMP   := $(VENV)/.installed-runtime
NOTEBOOKS_STAMP := $(VENV)/.installed-notebooks
DEV_STAMP       := $(VENV)/.installed-dev
# The build tools setup.py needs in the venv to compile in place (pyproject.toml's build-system requires).
BUILD_TOOLS := "setuptools>=77" "cython>=3.0"

# The compiled modules: eventsim/compiled_modules.txt, one per line, `#` starts a comment (the same
# list setup.py and eventsim/_compiled.py read).
HASH := $(shell printf '\043')
COMPILED_MODULES := $(shell sed 's/$(HASH).*//' eventsim/compiled_modules.txt)
COMPILED_SOURCES := $(addsuffix .py,$(subst .,/,$(COMPILED_MODULES)))

# Test processes (pytest-xdist's -n): `auto` is one per physical core; TEST_WORKERS=1 runs in one process.
# Notebooks go out whole (--dist loadscope: a notebook's cells run in order in one worker's kernel).
TEST_WORKERS ?= auto

SOLUTIONS := notebooks/solutions
EXERCISES := notebooks/exercises

# Notebook steps: pytest exits 5 when it collects nothing; an empty notebook folder is not a failure.
# They run without MPLBACKEND so the kernel uses matplotlib-inline, as when the committed solutions
# were executed (with Agg, figures would produce no outputs and nbval would report mismatches).
define run_nbval
	@if ls $(1)/*.ipynb >/dev/null 2>&1; then \
		env -u MPLBACKEND $(BIN)/pytest $(2) --nbval-current-env -n $(TEST_WORKERS) --dist loadscope \
			$(1) $(3); rc=$$?; \
		if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi; \
	else \
		echo "no notebooks in $(1); skipping"; \
	fi
endef

.DEFAULT_GOAL := build
.PHONY: build venv venv-lab venv-dev demo test lab exercises bench compiled-sources clean distclean

# The runtime dependencies ([project] dependencies) and the package, editable. Re-run when
# pyproject.toml or setup.py change.
$(RUNTIME_STAMP): pyproject.toml setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	EVENTSIM_PURE_PYTHON=1 $(BIN)/python -m pip install -e . $(BUILD_TOOLS)
	touch $@

# The `notebooks` extra (JupyterLab, ipywidgets) on top of the runtime install.
$(NOTEBOOKS_STAMP): $(RUNTIME_STAMP)
	EVENTSIM_PURE_PYTHON=1 $(BIN)/python -m pip install -e ".[notebooks]"
	touch $@

# The `dev` extra (test tools, linters, and the notebook extras nbval needs) on top of the runtime install;
# it includes the `notebooks` extra, so its stamp is made too.
$(DEV_STAMP): $(RUNTIME_STAMP)
	EVENTSIM_PURE_PYTHON=1 $(BIN)/python -m pip install -e ".[dev]"
	touch $@ $(NOTEBOOKS_STAMP)

venv: $(RUNTIME_STAMP)
venv-lab: $(NOTEBOOKS_STAMP) build
venv-dev: $(DEV_STAMP) build

# Compile the modules of eventsim/compiled_modules.txt in place ($(COMPILED_SOURCES) and their .pxd).
# Optional extensions: without a C compiler this builds nothing and eventsim runs as pure Python.
build: $(RUNTIME_STAMP)
	$(BIN)/python setup.py -q build_ext --inplace --parallel 2

# The compiled modules' source files, one per line (tests/test_compiled.py checks the list).
compiled-sources:
	@printf '%s\n' $(COMPILED_SOURCES)

demo: build
	MPLBACKEND=Agg $(BIN)/eventsim run data/scenarios/reference.yaml --out out/ --horizon-ms 20000

test: venv-dev
	$(BIN)/ruff check eventsim tests tools benchmarks setup.py
	MPLBACKEND=Agg $(BIN)/pytest -n $(TEST_WORKERS)
	@# The same tests on the pure-Python modules, what a machine without a C compiler runs.
	EVENTSIM_PURE_PYTHON=1 MPLBACKEND=Agg $(BIN)/pytest -n $(TEST_WORKERS) -p no:cacheprovider
	$(call run_nbval,$(SOLUTIONS),--nbval,-p no:cacheprovider)
	$(call run_nbval,$(EXERCISES),--nbval-lax,)

lab: venv-lab
	$(BIN)/jupyter lab --notebook-dir=notebooks

exercises: venv
	$(BIN)/python tools/make_exercises.py

bench: build
	MPLBACKEND=Agg $(BIN)/python benchmarks/throughput.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/memory.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/cost_split.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/calibration.py
	MPLBACKEND=Agg $(BIN)/python benchmarks/variability_cost.py

clean:
	rm -rf out/ build/ .pytest_cache/ .hypothesis/ *.egg-info $(RUNTIME_STAMP) $(NOTEBOOKS_STAMP) $(DEV_STAMP)
	find eventsim \( -name '*.c' -o -name '*.so' \) -delete
	find . -path ./$(VENV) -prune -o -type d \( -name __pycache__ -o -name .ipynb_checkpoints \) \
		-exec rm -rf {} +

# Also removes the virtualenv.
distclean: clean
	rm -rf $(VENV)
