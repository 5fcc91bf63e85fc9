"""Tabular reference agents: one algorithm per module, update rules as plain functions."""

from .base import TabularAgent, linear_schedule, softmax
from .policy_gradient import (
    ActorCritic,
    Reinforce,
    SoftmaxPolicyGradient,
    actor_critic_update,
    book_delta_theta,
    reinforce_gradient,
)
from .prediction import TD0, MonteCarlo, monte_carlo_update, td0_update
from .q_learning import QLearning, q_learning_update
from .sarsa import Sarsa, sarsa_update
from .soft_q_learning import SoftQLearning, soft_q_learning_update, soft_value

CONTROL_AGENTS = (QLearning, Sarsa, SoftQLearning, SoftmaxPolicyGradient, Reinforce, ActorCritic)

__all__ = [
    "TabularAgent",
    "linear_schedule",
    "softmax",
    "MonteCarlo",
    "TD0",
    "monte_carlo_update",
    "td0_update",
    "QLearning",
    "q_learning_update",
    "Sarsa",
    "sarsa_update",
    "SoftQLearning",
    "soft_q_learning_update",
    "soft_value",
    "SoftmaxPolicyGradient",
    "Reinforce",
    "ActorCritic",
    "book_delta_theta",
    "reinforce_gradient",
    "actor_critic_update",
    "CONTROL_AGENTS",
]
