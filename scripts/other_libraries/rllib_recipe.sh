#!/usr/bin/env bash
# RLlib's PPO on rl_envs/GridMaze-v0 and PendulumSwingUp-v0 in a venv of its own (ray[rllib]
# pins gymnasium 1.2.2, the lock has 1.4; RLlib brings no torch, so it is asked for); see
# rllib_recipe.py.
#   scripts/other_libraries/rllib_recipe.sh [VENV_DIR]   (default: a temporary venv)
exec "$(dirname "$0")/in_own_venv.sh" rllib_recipe.py "${1:-}" "ray[rllib]==2.60.0" torch
