"""QMDP (Littman, Cassandra & Kaelbling 1995): act as if the state became known after one step,

    a = argmax_a sum_s b(s) Q_MDP(s, a),

with ``Q_MDP`` the optimal action values of the fully observable MDP underneath the POMDP.  It
never takes an action only to gather information, which is why it fails on the hallways.
"""

from __future__ import annotations

import numpy as np

from rl_envs.maze.solve import value_iteration

from .base import BeliefAgent


def mdp_action_values(model) -> np.ndarray:
    """``Q_MDP[s, a]`` of the model's underlying MDP."""
    return value_iteration(model.mdp(), model.gamma, tol=1e-10)[1]


class QMDP(BeliefAgent):
    """``argmax_a b . Q_MDP[:, a]``; ``learn()`` solves the MDP by value iteration."""

    _saved_arrays = BeliefAgent._saved_arrays + ("Q",)

    def _plan(self) -> None:
        self.Q = mdp_action_values(self.model)

    def _act(self, beliefs):
        return np.argmax(beliefs @ self.Q, axis=1)
