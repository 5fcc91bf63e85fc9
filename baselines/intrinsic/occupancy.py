"""The occupancy and survival measures of the MOP paper's food grid (Ramírez-Ruiz, Grytskyy,
Mastrogiuseppe, Habib & Moreno-Bote 2024, Nature Communications 15:6368, Fig. 1): episodes from
(3, 3) with full energy, each ending at death or after a fixed number of steps; per episode the
steps survived and the cells the living agent visited.

The paper reports the occupied fraction as its code computes it, ``1 - unvisited / 103`` with 104
free cells (the code's wall list names the crossing (6, 6) twice): that is ``(visited - 1) / 103``,
1 when every cell was visited.  :func:`paper_fraction` gives that number, :func:`fraction_visited`
the plain ``visited / 104``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from rl_envs.food_grid import N_FREE, SIZE, FoodGridVectorEnv

from .base import TabularPlanner


@dataclass(frozen=True)
class Episodes:
    """What :func:`run_episodes` measured: per episode the steps survived (``survival``, the step
    limit for an agent still alive), whether it died, and its visit counts ``visits[i, y - 1, x - 1]``."""

    survival: np.ndarray
    died: np.ndarray
    visits: np.ndarray

    @property
    def visited(self) -> np.ndarray:
        """The number of free cells each episode visited."""
        return (self.visits > 0).sum(axis=(1, 2))


def fraction_visited(episodes: Episodes) -> np.ndarray:
    """``visited / 104`` per episode."""
    return episodes.visited / N_FREE


def paper_fraction(episodes: Episodes) -> np.ndarray:
    """The paper's occupied fraction per episode, ``1 - (104 - visited) / 103``."""
    return 1 - (N_FREE - episodes.visited) / (N_FREE - 1)


def expected_survival(agent: TabularPlanner) -> float:
    """The exact expected number of steps the agent's behaviour policy survives from the start of
    its env's task, without a step limit: ``T = 1 + P_pi T`` on the living states, by a sparse
    linear solve on the model.  Finite only for a policy that dies with probability 1, as the
    random walker does (the reward seekers and MOP live forever)."""
    from scipy.sparse import identity
    from scipy.sparse.linalg import spsolve

    model = agent._planning_model()
    alive = ~model.terminal
    P = model.policy_matrix(agent.policy).tocsr()[alive][:, alive]
    T = spsolve((identity(int(alive.sum())) - P).tocsc(), np.ones(int(alive.sum())))
    return float(T @ model.start[alive])


def run_episodes(agent: TabularPlanner, n_episodes: int, steps: int, seed: int = 0) -> Episodes:
    """``n_episodes`` episodes of at most ``steps`` steps of ``agent`` (its ``predict`` with
    ``deterministic=False``, the behaviour policy) on its own env's task, stepped together in the
    native vector env seeded ``seed``; each episode's sub-env is ignored once it has ended."""
    grid: Any = agent.env.unwrapped  # the agent's food grid
    task = dataclasses.replace(grid.task, max_steps=steps)
    venv = FoodGridVectorEnv.from_task(task, n_episodes)
    obs, _ = venv.reset(seed=seed)
    survival = np.zeros(n_episodes, dtype=np.int64)
    died = np.zeros(n_episodes, dtype=bool)
    visits = np.zeros((n_episodes, SIZE, SIZE), dtype=np.int64)
    running = np.ones(n_episodes, dtype=bool)
    t = 0
    while running.any():
        obs, _, terminated, truncated, info = venv.step(agent.predict(obs, deterministic=False)[0])
        t += 1
        ended = running & (terminated | truncated)
        if ended.any():  # info["visits"] is there when some sub-env ends
            survival[ended], died[ended], visits[ended] = t, terminated[ended], info["visits"][ended]
            running &= ~ended
    return Episodes(survival, died, visits)
