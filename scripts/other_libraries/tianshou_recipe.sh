#!/usr/bin/env bash
# Tianshou's DQN on rl_envs/GridMaze-v0 in a venv of its own (Tianshou 2.0 pins pandas < 3,
# the lock has pandas 3); see tianshou_recipe.py.
#   scripts/other_libraries/tianshou_recipe.sh [VENV_DIR]   (default: a temporary venv)
exec "$(dirname "$0")/in_own_venv.sh" tianshou_recipe.py "${1:-}" "tianshou==2.0.1"
