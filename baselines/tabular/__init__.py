"""Tabular reference agents: one algorithm per module, update rules as plain functions."""

from .base import TabularAgent, linear_schedule
from .q_learning import QLearning, q_learning_update

__all__ = ["TabularAgent", "linear_schedule", "QLearning", "q_learning_update"]
