"""Q-learning (Watkins 1989), the off-policy TD control of seed 000:

    Q(s, a) <- Q(s, a) + alpha [ r + gamma max_a' Q(s', a') - Q(s, a) ]

with an epsilon-greedy behaviour policy.  At a terminal s' the target is r alone; at a
truncation (time limit) it still bootstraps, because the state itself is not terminal.
"""

from __future__ import annotations

import numpy as np

from .base import TabularAgent, as_schedule, greedy


def q_learning_update(Q: np.ndarray, s: int, a: int, r: float, s2: int, terminated: bool, alpha: float, gamma: float) -> float:
    """Apply one Q-learning update to ``Q`` in place; returns the TD error delta."""
    target = r if terminated else r + gamma * Q[s2].max()
    delta = target - Q[s, a]
    Q[s, a] += alpha * delta
    return delta


class QLearning(TabularAgent):
    """Tabular Q-learning with epsilon-greedy exploration.

    Arguments: ``alpha`` step size, ``gamma`` discount, ``epsilon`` exploration rate (a number,
    a ``(start, end, steps)`` linear decay, or a callable of the step count), ``q_init``
    initial action values, ``seed``.
    """

    _saved_arrays = ("Q",)

    def __init__(self, env, alpha: float = 0.5, gamma: float = 1.0, epsilon=(1.0, 0.05, 2_000),
                 q_init: float = 0.0, seed: int | None = None):
        super().__init__(env, gamma=gamma, seed=seed, alpha=alpha, epsilon=epsilon, q_init=q_init)
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.alpha = float(alpha)
        self.epsilon = as_schedule(epsilon, "epsilon")
        self.Q = np.full((self.n_states, self.n_actions), float(q_init))

    def _policy_action(self, s: int, deterministic: bool) -> int:
        if not deterministic and self.rng.random() < self.epsilon(self.num_timesteps):
            return int(self.rng.integers(self.n_actions))
        return greedy(self.Q[s], self.rng) if not deterministic else int(np.argmax(self.Q[s]))

    def _act(self, s: int) -> int:
        return self._policy_action(s, deterministic=False)

    def _observe(self, s, a, r, s2, terminated, truncated):
        q_learning_update(self.Q, s, a, r, s2, terminated, self.alpha, self.gamma)
