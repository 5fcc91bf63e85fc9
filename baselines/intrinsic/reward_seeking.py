"""The reward-seeking comparison agent of the MOP paper ("R agent"; Ramírez-Ruiz, Grytskyy,
Mastrogiuseppe, Habib & Moreno-Bote 2024, Nature Communications 15:6368): value iteration of its
epsilon-greedy behaviour, acting epsilon-greedily.

On the food grid the reward is +1 for every step taken alive (the environment's reward), so the
agent maximises its discounted survival.  Its backup is the value of the epsilon-greedy policy
itself (on-policy, as the authors' code computes it), not the greedy maximum:

    Q(s, a) = r(s, a) + gamma sum_s' p(s'|s, a) V(s'),
    V(s)    = (1 - epsilon) max_{a in A(s)} Q(s, a) + epsilon / |A(s)| sum_{a in A(s)} Q(s, a),

over the admissible actions ``A(s)``.  Behaviour: with probability epsilon a uniformly drawn
admissible action, else the greedy one.  epsilon = 1 is the paper's random walker.

The greedy action is the first best one in the action order (ties are exact: far from death the
actions' values differ by 1e-12, and these differences are the model's).  With epsilon = 0 every
action that keeps survival possible has exactly the value 1/(1 - gamma), so the tie rule decides
the behaviour: on the food grid, whose first action is "stay", the agent waits,
walks to the nearest food when it must and stays there.  (The authors' code splits ties
uniformly, which would make the epsilon = 0 agent wander; their published occupancy, 3 cells in
every episode, is that of the waiting agent.)
"""

from __future__ import annotations

import numpy as np
import gymnasium as gym

from rl_envs.food_grid import SuccessorModel
from rl_envs.validation import positive, probability

from .base import TabularPlanner, check_discount, first_best


def action_values(model: SuccessorModel, V: np.ndarray, gamma: float) -> np.ndarray:
    """``Q(s, a) = r(s, a) + gamma E V(s')`` for every pair."""
    return model.reward + gamma * model.expectation(V)


def epsilon_soft_backup(model: SuccessorModel, V: np.ndarray, epsilon: float, gamma: float) -> np.ndarray:
    """One sweep: the value of acting epsilon-greedily on ``Q`` of ``V``, for every state."""
    Q = action_values(model, V, gamma)
    best = np.where(model.admissible, Q, -np.inf).max(axis=1)
    mean = np.where(model.admissible, Q, 0.0).sum(axis=1) / model.admissible.sum(axis=1)
    return (1 - epsilon) * best + epsilon * mean


def epsilon_soft_value_iteration(
    model: SuccessorModel, epsilon: float, gamma: float = 0.99, tol: float = 1e-9, max_sweeps: int = 1_000_000
) -> tuple[np.ndarray, int]:
    """``(V, sweeps)``: Jacobi sweeps of :func:`epsilon_soft_backup` from V = 0 until the largest
    change is below ``tol`` (a gamma-contraction, as the greedy backup)."""
    V = np.zeros(model.n_states)
    for sweep in range(1, max_sweeps + 1):
        V_new = epsilon_soft_backup(model, V, epsilon, gamma)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, sweep
        V = V_new
    raise RuntimeError(f"epsilon-soft value iteration did not reach tol={tol} in {max_sweeps} sweeps")


def epsilon_greedy(model: SuccessorModel, V: np.ndarray, epsilon: float, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """``(policy, greedy)``: epsilon / |A(s)| on each admissible action, 1 - epsilon more on the
    greedy one (the first best of ``Q``)."""
    greedy = first_best(action_values(model, V, gamma), model.admissible)
    policy = epsilon * model.admissible / model.admissible.sum(axis=1, keepdims=True)
    policy[np.arange(len(greedy)), greedy] += 1 - epsilon
    return policy, greedy


class RewardSeeking(TabularPlanner):
    """The paper's reward-seeking agent: ``learn()`` solves :func:`epsilon_soft_value_iteration`
    on the env's model; ``predict`` acts epsilon-greedily (``deterministic=True``: greedily) and
    ``value(obs)`` is the epsilon-greedy policy's value.

    Arguments: ``epsilon`` in [0, 1] (the paper's 0, 0.45 and 0.5; 1 is the random walker),
    ``gamma`` in [0, 1), ``tol`` the stopping tolerance of the sweeps, ``seed`` the sampling's.
    """

    def __init__(
        self, env: gym.Env | str, epsilon: float = 0.45, gamma: float = 0.99, tol: float = 1e-9, seed: int | None = 0
    ):
        self.epsilon = probability(epsilon, "epsilon")
        self.gamma = check_discount(gamma)
        self.tol = positive(tol, "tol")
        super().__init__(env, seed=seed, epsilon=epsilon, gamma=gamma, tol=tol)

    def _solve(self):
        return epsilon_soft_value_iteration(self._planning_model(), self.epsilon, self.gamma, self.tol)

    def _tables(self, V):
        return epsilon_greedy(self._planning_model(), V, self.epsilon, self.gamma)
