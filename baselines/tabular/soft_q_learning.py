"""Soft (maximum-entropy) Q-learning (Haarnoja et al. 2017):

    V_soft(s') = tau log sum_a' exp(Q(s', a') / tau)
    Q(s, a)   <- Q(s, a) + alpha [ r + gamma V_soft(s') - Q(s, a) ]

The soft value is a smooth maximum: as the temperature tau -> 0 it becomes max_a' Q(s', a') and
the update is Q-learning's.  At tau > 0 the fixed point is the soft-optimal Q of
:func:`~baselines.tabular.exact.soft_value_iteration`, whose policy pi(a|s) ∝ exp(Q(s, a)/tau)
is also the agent's behaviour policy (mixed with epsilon-random moves).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import gymnasium as gym

from rl_envs.validation import positive

from .base import ActionValueAgent, sample_softmax


def soft_value(q_row: np.ndarray, temperature: float) -> float:
    """``tau log sum_a exp(q_a / tau)``, computed stably (shifted by the max); plain Python over
    the row, as it runs once per step."""
    row = q_row.tolist()
    m = max(row)
    return m + temperature * math.log(sum(math.exp((q - m) / temperature) for q in row))


def soft_q_learning_update(
    Q: np.ndarray, s: int, a: int, r: float, s2: int, terminated: bool, alpha: float, gamma: float, temperature: float
) -> float:
    """Apply one soft Q-learning update to ``Q`` in place; returns the TD error delta."""
    target = r if terminated else r + gamma * soft_value(Q[s2], temperature)
    delta = target - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


class SoftQLearning(ActionValueAgent):
    """Tabular soft Q-learning.

    Arguments: ``temperature`` tau (entropy weight, > 0), ``epsilon`` probability of a uniformly
    random move on top of the Boltzmann policy (a number, ``(start, end, steps)`` or a callable;
    the default is QLearning's, so that the tau -> 0 limit is Q-learning exactly), and ``alpha``, ``gamma``, ``q_init``, ``seed`` as
    :class:`QLearning`.  The deterministic (greedy) policy is argmax_a Q(s, a).
    """

    def __init__(
        self,
        env: gym.Env | str,
        temperature: float = 0.001,
        alpha: float = 0.5,
        gamma: float = 1.0,
        epsilon: float | tuple[float, float, int] | Callable[[int], float] = (1.0, 0.05, 2_000),
        q_init: float = 0.0,
        seed: int | None = None,
    ):
        super().__init__(
            env, alpha=alpha, gamma=gamma, epsilon=epsilon, q_init=q_init, seed=seed, temperature=temperature
        )
        self.temperature = positive(temperature, "temperature")

    def _exploit(self, s: int) -> int:
        return sample_softmax(self.Q[s], self.temperature, self.rng)

    def _learn_step(self, memo, r, s2, terminated, truncated):
        s, a = memo
        soft_q_learning_update(self.Q, s, a, r, s2, terminated, self.alpha, self.gamma, self.temperature)
