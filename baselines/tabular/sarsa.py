"""SARSA (Rummery & Niranjan 1994), the on-policy TD control of Sutton & Barto 2018, §6.4:

    Q(s_t, a_t) <- Q(s_t, a_t) + alpha [ r_{t+1} + gamma Q(s_{t+1}, a_{t+1}) - Q(s_t, a_t) ]

where a_{t+1} is the action the epsilon-greedy behaviour policy will really take next, so the
agent picks it before updating.  A terminal s_{t+1} has value 0; a truncation bootstraps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import gymnasium as gym

from .base import ActionValueAgent


def sarsa_update(
    Q: np.ndarray, s: int, a: int, r: float, s2: int, a2: int, terminated: bool, alpha: float, gamma: float
) -> float:
    """Apply one SARSA update to ``Q`` in place; returns the TD error delta."""
    target = r if terminated else r + gamma * Q[s2, a2]
    delta = target - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


class Sarsa(ActionValueAgent):
    """Tabular SARSA with epsilon-greedy exploration (arguments as :class:`QLearning`)."""

    def __init__(
        self,
        env: gym.Env | str,
        alpha: float = 0.5,
        gamma: float = 1.0,
        epsilon: float | tuple[float, float, int] | Callable[[int], float] = (1.0, 0.05, 2_000),
        q_init: float = 0.0,
        seed: int | None = None,
    ):
        super().__init__(env, alpha=alpha, gamma=gamma, epsilon=epsilon, q_init=q_init, seed=seed)
        self._next_action: int | None = None

    def _behave(self, obs):
        if self._next_action is None:
            return super()._behave(obs)
        a, self._next_action = self._next_action, None
        return a, (int(obs), a)

    def _learn_step(self, memo, r, s2, terminated, truncated):
        s, a = memo
        a2 = self._action(int(s2), deterministic=False)
        sarsa_update(self.Q, s, a, r, s2, a2, terminated, self.alpha, self.gamma)
        # After a truncation the env is reset, so a2 is never taken; the next episode picks afresh.
        self._next_action = None if terminated or truncated else a2
