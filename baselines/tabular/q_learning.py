"""Q-learning (Watkins 1989), the off-policy TD control of Sutton & Barto 2018, §6.5:

    Q(s, a) <- Q(s, a) + alpha [ r + gamma max_a' Q(s', a') - Q(s, a) ]

with an epsilon-greedy behaviour policy.  At a terminal s' the target is r alone; at a
truncation (time limit) it still bootstraps, because the state itself is not terminal.
"""

from __future__ import annotations

import numpy as np

from .base import ActionValueAgent


def q_learning_update(
    Q: np.ndarray, s: int, a: int, r: float, s2: int, terminated: bool, alpha: float, gamma: float
) -> float:
    """Apply one Q-learning update to ``Q`` in place; returns the TD error delta."""
    target = r if terminated else r + gamma * Q[s2].max()
    delta = target - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


class QLearning(ActionValueAgent):
    """Tabular Q-learning with epsilon-greedy exploration.

    Arguments: ``alpha`` step size, ``gamma`` discount, ``epsilon`` exploration rate (a number,
    a ``(start, end, steps)`` linear decay, or a callable of the step count), ``q_init``
    initial action values, ``seed``.
    """

    def _learn_step(self, memo, r, s2, terminated, truncated):
        s, a = memo
        q_learning_update(self.Q, s, a, r, s2, terminated, self.alpha, self.gamma)
