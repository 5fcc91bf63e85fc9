"""Score a belief agent under the literature's convention, many runs at once.

Runs are simulated with the environment's own sampler (``env.unwrapped.sampler``, the pure step
function the env uses) and the agent's batched ``predict``, so thousands of runs cost a few
array operations per step.  The score of a run is its discounted return from ``b0`` over at most
``max_steps`` steps: with ``goal_mode="terminate"`` that is ``gamma^(t-1)`` for a goal entered
on step ``t`` (the published average discounted reward, ADR).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import gymnasium as gym


def discounted_rollouts(agent: Any, env: gym.Env, n_runs: int, seed: int = 0) -> dict:
    """Per-run arrays: ``returns`` (discounted), ``steps_to_goal`` (first goal entry, -1 if none)."""
    base: Any = env.unwrapped  # a partially observable maze: its task's model, sampler and goals
    model, sampler = base.episode_model, base.sampler
    rng = np.random.default_rng(seed)
    s = sampler.start(rng, n_runs)
    obs = np.full(n_runs, base.no_observation)
    state = None
    returns = np.zeros(n_runs)
    steps_to_goal = np.full(n_runs, -1)
    alive = np.ones(n_runs, dtype=bool)
    discount = 1.0
    for t in range(1, base.max_steps + 1):
        actions, state = agent.predict(obs, state, episode_start=np.full(n_runs, t == 1))
        s, obs, r = sampler.step(s, actions, rng)
        returns += np.where(alive, discount * r, 0.0)
        discount *= model.gamma
        entered = base.goal_states[s] & (steps_to_goal < 0)
        steps_to_goal[entered] = t
        if base.goal_mode == "terminate":
            alive &= ~entered
            if not alive.any():
                break
    return {"returns": returns, "steps_to_goal": steps_to_goal}


def summarize(rollouts: dict) -> dict:
    """ADR with its standard error, the share of runs reaching the goal and the median steps
    (runs that never reach it count as longer than any that do)."""
    r, steps = rollouts["returns"], rollouts["steps_to_goal"]
    reached = steps >= 0
    median = float(np.median(np.where(reached, steps, np.iinfo(np.int64).max)))
    return {
        "adr": float(r.mean()),
        "se": float(r.std(ddof=1) / np.sqrt(len(r))),
        "success": float(reached.mean()),
        "median_steps": median if reached.mean() > 0.5 else float("inf"),
        "runs": len(r),
    }
