"""Belief-state agents for partially observable mazes: the exact Bayes filter keeps the belief
in ``predict``'s state; QMDP, most likely state and the point-based solver Perseus plan on the
model (``env.unwrapped.episode_model``)."""

from .base import BeliefAgent
from .evaluate import OnBeliefs, discounted_rollouts, summarize
from .most_likely_state import MostLikelyState
from .perseus import Perseus, point_backup, projections
from .qmdp import QMDP, mdp_action_values

__all__ = [
    "BeliefAgent",
    "QMDP",
    "MostLikelyState",
    "Perseus",
    "point_backup",
    "projections",
    "mdp_action_values",
    "discounted_rollouts",
    "OnBeliefs",
    "summarize",
]
