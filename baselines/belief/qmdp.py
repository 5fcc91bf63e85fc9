"""QMDP (Littman, Cassandra & Kaelbling 1995): act as if the state became known after one step,

    a = argmax_a sum_s b(s) Q_MDP(s, a),

with ``Q_MDP`` the optimal action values of the fully observable MDP underneath the POMDP.  It
never takes an action only to gather information, which is why it fails on the hallways.
"""

from __future__ import annotations

import numpy as np

from rl_envs.maze.pomdp import POMDPModel
from rl_envs.maze.solve import value_iteration

from ..agent_files import ArraySpec
from .base import BeliefAgent, first_max


def mdp_action_values(model: POMDPModel) -> np.ndarray:
    """``Q_MDP[s, a]`` of the model's underlying MDP."""
    return value_iteration(model.mdp(), model.gamma, tol=1e-10)[1]


class MDPValueAgent(BeliefAgent):
    """A belief agent acting on ``Q_MDP``; ``learn()`` solves the MDP by value iteration."""

    def _array_specs(self):
        specs = super()._array_specs()
        return {**specs, "Q": ArraySpec((specs["T"].shape[1], self.action_space.n))}

    def _plan(self) -> None:
        self.Q = mdp_action_values(self._pomdp())


class QMDP(MDPValueAgent):
    """``argmax_a b . Q_MDP[:, a]`` (ties within rounding: the lowest action index)."""

    def _belief_policy(self, beliefs):
        return first_max(beliefs @ self.Q)
