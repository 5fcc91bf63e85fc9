"""The maximum occupancy principle (MOP) by exact value iteration: Ramírez-Ruiz, Grytskyy,
Mastrogiuseppe, Habib & Moreno-Bote (2024), "Complex behavior from intrinsic motivation to occupy
future action-state path space", Nature Communications 15:6368.

The agent has no reward.  It maximises the discounted entropy of its future actions and states,

    V_pi(s) = E_pi[ sum_t gamma^t ( alpha H(A | s_t) + beta H(S' | s_t, a_t) ) ],

whose optimum is the fixed point of (the Bellman equation the authors' code solves)

    V*(s) = alpha ln sum_{a in A(s)} exp( [beta H(S'|s, a) + gamma sum_s' p(s'|s, a) V*(s')] / alpha ),

with the Boltzmann policy  pi*(a|s) = exp( [beta H(S'|s, a) + gamma E V*(s')] / alpha - V*(s) / alpha ).
``A(s)`` holds the admissible actions only.  A state whose only action leads back to itself
(death) has V = 0: entropy accrues only while alive, so survival emerges without a reward.

The operator is a gamma-contraction in the sup norm (log-sum-exp is 1-Lipschitz), so Jacobi
sweeps from V = 0 converge geometrically.  They stop when the largest change is below ``tol``,
the rule of the authors' code; the error of V is then at most gamma tol / (1 - gamma).  With
beta = 0 the equation is soft value iteration with zero reward at temperature alpha, the fixed
point of soft Q-learning (:func:`baselines.tabular.exact.soft_value_iteration`).
"""

from __future__ import annotations

import numpy as np
import gymnasium as gym

from rl_envs.food_grid import SuccessorModel
from rl_envs.validation import positive, real

from .base import TabularPlanner, check_discount, first_best


def mop_exponent(model: SuccessorModel, V: np.ndarray, alpha: float, beta: float, gamma: float) -> np.ndarray:
    """``[beta H(S'|s, a) + gamma E V(s')] / alpha`` for every pair, ``-inf`` where ``a`` is
    inadmissible (probability 0)."""
    x = gamma * model.expectation(V)
    if beta:
        x = x + beta * model.successor_entropy()
    return np.where(model.admissible, x / alpha, -np.inf)


def mop_backup(model: SuccessorModel, V: np.ndarray, alpha: float, beta: float, gamma: float) -> np.ndarray:
    """One sweep of the MOP Bellman operator: ``alpha ln sum_a exp(exponent)`` for every state.
    With ``gamma = 1`` and ``T`` sweeps from 0 it gives the finite-horizon values ``V_T``."""
    x = mop_exponent(model, V, alpha, beta, gamma)
    top = x.max(axis=1)
    return alpha * (top + np.log(np.exp(x - top[:, None]).sum(axis=1)))


def mop_value_iteration(
    model: SuccessorModel,
    alpha: float = 1.0,
    beta: float = 0.0,
    gamma: float = 0.99,
    tol: float = 1e-9,
    max_sweeps: int = 1_000_000,
) -> tuple[np.ndarray, int]:
    """``(V*, sweeps)``: Jacobi sweeps of :func:`mop_backup` from V = 0 until the largest change
    is below ``tol``."""
    V = np.zeros(model.n_states)
    for sweep in range(1, max_sweeps + 1):
        V_new = mop_backup(model, V, alpha, beta, gamma)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, sweep
        V = V_new
    raise RuntimeError(f"MOP value iteration did not reach tol={tol} in {max_sweeps} sweeps")


def mop_policy(model: SuccessorModel, V: np.ndarray, alpha: float, beta: float, gamma: float) -> np.ndarray:
    """``pi*(a|s)``, the Boltzmann policy of ``V`` (normalised per state; 0 for inadmissible actions)."""
    x = mop_exponent(model, V, alpha, beta, gamma)
    p = np.exp(x - x.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


class MOP(TabularPlanner):
    """The MOP agent: ``learn()`` solves the env's model by :func:`mop_value_iteration`;
    ``predict`` samples pi* (``deterministic=True``: its most likely action, the lowest index
    among ties) and ``value(obs)`` is V*.

    Arguments: ``alpha`` (> 0) weighs the action entropy, ``beta`` (>= 0) the successor-state
    entropy (only a stochastic env, the food grid's noisy-TV room, gives it any), ``gamma`` in
    [0, 1), ``tol`` the stopping tolerance of the sweeps, ``seed`` the sampling's.
    """

    def __init__(
        self,
        env: gym.Env | str,
        alpha: float = 1.0,
        beta: float = 0.0,
        gamma: float = 0.99,
        tol: float = 1e-9,
        seed: int | None = 0,
    ):
        self.alpha = positive(alpha, "alpha")
        self.beta = real(beta, "beta", low=0)
        self.gamma = check_discount(gamma)
        self.tol = positive(tol, "tol")
        super().__init__(env, seed=seed, alpha=alpha, beta=beta, gamma=gamma, tol=tol)

    def _solve(self):
        return mop_value_iteration(self._planning_model(), self.alpha, self.beta, self.gamma, self.tol)

    def _tables(self, V):
        model = self._planning_model()
        policy = mop_policy(model, V, self.alpha, self.beta, self.gamma)
        return policy, first_best(policy, model.admissible)
