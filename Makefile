# Two commands on a fresh machine (Python >= 3.11 with venv; the code uses tomllib):
#   make run    set everything up, then run the main job
#   make test   set everything up, then run the tests
# The set-up installs exactly the versions of requirements-dev.lock (every transitive dependency,
# with the CPU build of torch), then this checkout in editable mode.
#   make lock   re-resolve requirements-dev.lock to today's newest versions allowed by
#               pyproject.toml and constraints.txt (then run make test and commit the lock)
VENV ?= .venv
PY := $(VENV)/bin/python
LOCK := requirements-dev.lock
export SDL_VIDEODRIVER ?= dummy
export SDL_AUDIODRIVER ?= dummy
export MPLBACKEND ?= Agg

.PHONY: setup run test bench lock

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

test: setup
	$(PY) -m pytest -n 2 -q

bench: setup
	$(PY) benchmarks/bench_envs.py
	$(PY) benchmarks/bench_sb3_vec.py
	$(PY) benchmarks/bench_agents.py

# pip-tools rather than uv: pip reads this machine's pip configuration, which offers the CPU
# build torch==2.13.0+cpu; uv ignores it and locks the PyPI build with its CUDA libraries.
# The sed drops this project's own line (the dev extra names rl_envs[...] itself).
lock: setup
	CUSTOM_COMPILE_COMMAND="make lock" $(PY) -m piptools compile --quiet --upgrade --extra dev \
		--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
		-c constraints.txt -o $(LOCK) pyproject.toml
	sed -i '/^rl-envs @ /d' $(LOCK)
