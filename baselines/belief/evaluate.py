"""Score a belief agent under the literature's convention, many runs at once.

Runs are simulated with the environment's own sampler (``env.unwrapped.sampler``, the pure step
function the env uses) and the agent's batched ``predict``, so thousands of runs cost a few
array operations per step.  The score of a run is its discounted return from ``b0`` over at most
``max_steps`` steps: with ``goal_mode="terminate"`` that is ``gamma^(t-1)`` for a goal entered
on step ``t`` (the published average discounted reward, ADR).  A policy trained on the belief MDP
(``rl_envs.wrappers.BeliefState``) runs through :class:`OnBeliefs`, which gives it the beliefs
that wrapper would.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import gymnasium as gym

from rl_envs.maze.pomdp import POMDPModel, filter_belief


class OnBeliefs:
    """A policy over beliefs (trained on ``rl_envs.wrappers.BeliefState``'s observation, as PPO's
    zoo entry for the maze is) acting on the maze's own observations, a batch at a time:
    ``predict`` filters each run's belief with the wrapper's filter
    (:func:`rl_envs.maze.pomdp.filter_belief`, from ``b0`` at the "no observation" symbol or at
    ``episode_start``) and hands the beliefs, as float32 like the wrapper's, to ``policy.predict``."""

    def __init__(self, policy: Any, model: POMDPModel):
        self.policy, self.model = policy, model

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
        obs = np.asarray(observation)
        if episode_start is not None:
            obs = np.where(episode_start, self.model.n_obs, obs)  # the symbol a reset returns
        beliefs, last = (None, None) if state is None else state
        beliefs = filter_belief(beliefs, last, obs, self.model)
        actions, _ = self.policy.predict(beliefs.astype(np.float32), deterministic=deterministic)
        return actions, (beliefs, actions)


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
