# Two commands on a fresh machine (Python >= 3.10 with venv):
#   make run    set everything up, then run the main job
#   make test   set everything up, then run the tests
VENV ?= .venv
PY := $(VENV)/bin/python
export SDL_VIDEODRIVER ?= dummy
export SDL_AUDIODRIVER ?= dummy
export MPLBACKEND ?= Agg

.PHONY: setup run test bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

run: setup
	$(PY) -m baselines compare --out results/compare

test: setup
	$(PY) -m pytest -n 2 -q

bench: setup
	$(PY) benchmarks/bench_envs.py
	$(PY) benchmarks/bench_agents.py
