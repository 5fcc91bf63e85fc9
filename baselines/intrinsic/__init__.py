"""Intrinsically motivated agents and their reward-seeking comparison on the food grid
(``rl_envs/FoodGrid-v0``): the maximum occupancy principle (Ramírez-Ruiz, Grytskyy,
Mastrogiuseppe, Habib & Moreno-Bote 2024, Nature Communications 15:6368) by exact value
iteration, the paper's epsilon-greedy reward-seeking agent, and the occupancy and survival
measures of its Fig. 1."""

from .base import TabularPlanner, first_best
from .mop import MOP, mop_backup, mop_policy, mop_value_iteration
from .occupancy import Episodes, expected_survival, fraction_visited, paper_fraction, run_episodes
from .reward_seeking import RewardSeeking, epsilon_greedy, epsilon_soft_backup, epsilon_soft_value_iteration

__all__ = [
    "TabularPlanner",
    "first_best",
    "MOP",
    "mop_backup",
    "mop_policy",
    "mop_value_iteration",
    "Episodes",
    "expected_survival",
    "fraction_visited",
    "paper_fraction",
    "run_episodes",
    "RewardSeeking",
    "epsilon_greedy",
    "epsilon_soft_backup",
    "epsilon_soft_value_iteration",
]
