"""Exact, model-based references for the tabular agents, computed from an :class:`MDPModel`.

Soft value iteration (the fixed point of soft Q-learning), the exact policy gradient of a
softmax policy (what REINFORCE estimates; Sutton et al. 2000), and the book's theta_0.
"""

from __future__ import annotations

import numpy as np

from rl_envs.maze.solve import MDPModel, policy_evaluation

from .base import softmax
from .soft_q_learning import soft_value

# Ogawa (2018) §2.3, rows S0..S7 of the 3x3 maze, actions up, right, down, left; NaN = a wall.
BOOK_THETA0 = np.array(
    [
        [np.nan, 1, 1, np.nan],
        [np.nan, 1, np.nan, 1],
        [np.nan, np.nan, 1, 1],
        [1, 1, 1, np.nan],
        [np.nan, np.nan, 1, 1],
        [1, np.nan, np.nan, np.nan],
        [1, np.nan, np.nan, np.nan],
        [1, 1, np.nan, np.nan],
    ]
)


def blocked_moves(model: MDPModel) -> np.ndarray:
    """``mask[s, a]``: the move surely leaves the agent where it is (a wall), or s is terminal."""
    stays = np.einsum("sas->sa", model.P) == 1.0
    return stays | model.terminal[:, None]


def wall_theta0(model: MDPModel, value: float = 1.0) -> np.ndarray:
    """The book's way of writing theta_0 for any maze: ``value`` for open moves, NaN for walls."""
    return np.where(blocked_moves(model), np.nan, value)


def soft_value_iteration(
    model: MDPModel, temperature: float, gamma: float, tol: float = 1e-12, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Soft-optimal ``(V, Q)``: ``Q = R + gamma P V``, ``V(s) = tau log sum_a exp(Q(s, a)/tau)``.

    Terminal states have value 0.  Needs ``gamma < 1`` unless entropy cannot pile up forever.
    """
    if not 0.0 <= gamma < 1.0:
        raise ValueError(f"soft value iteration needs gamma in [0, 1) to be a contraction, got {gamma}")
    V = np.zeros(model.n_states)
    for _ in range(max_iter):
        Q = model.R + gamma * model.P @ V
        Q[model.terminal] = 0.0
        V_new = np.array([soft_value(q, temperature) for q in Q])
        V_new[model.terminal] = 0.0
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, Q
        V = V_new
    raise RuntimeError(f"soft value iteration did not converge in {max_iter} iterations")


def objective(model: MDPModel, theta: np.ndarray, gamma: float = 1.0, temperature: float = 1.0) -> float:
    """``J(theta) = E[G_0]`` of the softmax policy, by a linear solve."""
    return float(model.start @ policy_evaluation(model, softmax(theta, temperature), gamma))


def policy_gradient(model: MDPModel, theta: np.ndarray, gamma: float = 1.0, temperature: float = 1.0) -> np.ndarray:
    """The exact ``dJ/dtheta[s, a]`` of the softmax policy (the policy-gradient theorem, Sutton et al. 2000):

        dJ/dtheta[s, a] = d(s) pi(a|s) (Q(s, a) - V(s)) / temperature

    with ``d(s) = sum_t gamma^t P(s_t = s)`` the discounted visits from the start.  Entries for
    NaN (forbidden) moves are 0.
    """
    pi = softmax(theta, temperature)
    V = policy_evaluation(model, pi, gamma)
    Q = model.R + gamma * model.P @ V
    live = ~model.terminal
    P_pi = np.einsum("sa,sat->st", pi, model.P)[np.ix_(live, live)]
    d = np.zeros(model.n_states)
    d[live] = np.linalg.solve((np.eye(live.sum()) - gamma * P_pi).T, model.start[live])
    return d[:, None] * pi * (Q - V[:, None]) / temperature
