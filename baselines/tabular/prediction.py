"""Value prediction for a fixed policy (Sutton & Barto 2018, §5.1 and §6.1):

    Monte Carlo:  V(s_t) <- V(s_t) + alpha [ G_t - V(s_t) ]
    TD(0):        V(s_t) <- V(s_t) + alpha [ r_{t+1} + gamma V(s_{t+1}) - V(s_t) ]

Monte Carlo waits for the return G_t of a finished episode; TD(0) bootstraps from the next
state's estimate after every step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from ..agent_files import ArraySpec
from .base import FixedPolicyAgent, as_schedule, check_step_size, discounted_returns


def first_visits(states: np.ndarray) -> np.ndarray:
    """Mask of the steps at which a state occurs for the first time in the episode."""
    first = np.zeros(len(states), dtype=bool)
    first[np.unique(states, return_index=True)[1]] = True
    return first


def monte_carlo_update(
    V: np.ndarray, N: np.ndarray, states: np.ndarray, G: np.ndarray, first_visit: bool, alpha: float | None
) -> None:
    """Move ``V`` towards the returns ``G`` of one episode, in place.

    ``alpha=None`` uses the step size 1/N(s), which makes ``V(s)`` the plain average of the
    returns seen from ``s``.  ``N`` counts the returns used.
    """
    use = first_visits(states) if first_visit else np.ones(len(states), dtype=bool)
    for s, g in zip(states[use], G[use]):
        N[s] += 1
        V[s] += (1.0 / N[s] if alpha is None else alpha) * (g - V[s])


def td0_update(V: np.ndarray, s: int, r: float, s2: int, terminated: bool, alpha: float, gamma: float) -> float:
    """Apply one TD(0) update to ``V`` in place; returns the TD error delta."""
    delta = r + (0.0 if terminated else gamma * V[s2]) - V[s]
    V[s] += alpha * delta
    return delta


class MonteCarlo(FixedPolicyAgent):
    """Monte Carlo prediction of ``V^pi`` (first-visit or every-visit).

    Arguments: ``policy`` (an ``(n_states, n_actions)`` table; default uniformly random),
    ``first_visit`` (True), ``alpha`` (None: sample averages; or a constant step size),
    ``gamma``, ``seed``.  Only episodes that terminate are used: a truncated episode's returns
    are missing the rewards after the time limit.
    """

    def __init__(
        self,
        env: gym.Env | str,
        policy: ArrayLike | None = None,
        first_visit: bool = True,
        alpha: float | None = None,
        gamma: float = 1.0,
        seed: int | None = None,
    ):
        super().__init__(env, policy=policy, gamma=gamma, seed=seed, first_visit=first_visit, alpha=alpha)
        self.first_visit = bool(first_visit)
        self.alpha = None if alpha is None else check_step_size(alpha, "alpha")  # None: sample averages
        self.N = np.zeros(self.n_states, dtype=np.int64)

    def _array_specs(self):
        return {**super()._array_specs(), "N": ArraySpec((self.n_states,), integer=True, low=0)}

    def _learn_episode(self, terminated):
        states, _, rewards = self._take_episode()
        if terminated:
            G = discounted_returns(rewards, self.gamma)
            monte_carlo_update(self.V, self.N, states, G, self.first_visit, self.alpha)


class TD0(FixedPolicyAgent):
    """TD(0) prediction of ``V^pi``.

    Arguments: ``policy`` (default uniformly random), ``alpha`` step size (a number, a
    ``(start, end, steps)`` linear decay or a callable of the step count), ``gamma``, ``seed``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        policy: ArrayLike | None = None,
        alpha: float | tuple[float, float, int] | Callable[[int], float] = 0.1,
        gamma: float = 1.0,
        seed: int | None = None,
    ):
        super().__init__(env, policy=policy, gamma=gamma, seed=seed, alpha=alpha)
        self.alpha = as_schedule(alpha, "alpha")

    def _learn_step(self, memo, r, s2, terminated, truncated):
        s, _ = memo
        td0_update(self.V, s, r, s2, terminated, self.alpha(self.num_timesteps), self.gamma)
