"""The exact model of a grid maze and its exact solutions (value iteration, policy evaluation)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validation import discount
from .layouts import Layout

# Perpendicular moves a slip can turn an action into (up/down <-> left/right).
PERPENDICULAR = np.array([(1, 3), (0, 2), (1, 3), (0, 2)], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class MDPModel:
    """A finite MDP as arrays, with absorbing terminal states.

    ``P[s, a, s2]`` transition probabilities, ``R[s, a]`` expected reward of taking ``a`` in
    ``s``, ``terminal[s]`` absorbing states (zero reward, value 0: the goals, and in a maze
    also the cells that can never be occupied), ``start[s]`` the start distribution.
    """

    P: np.ndarray
    R: np.ndarray
    terminal: np.ndarray
    start: np.ndarray

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]


def move_matrix(layout: Layout, slip: float) -> np.ndarray:
    """``P[s, a, s2]`` of the four moves over all cells; a slip turns a move perpendicular."""
    n = layout.n_cells
    P = np.zeros((n, 4, n))
    rows = np.arange(n)
    for a in range(4):
        P[rows, a, layout.next_cell[:, a]] += 1.0 - slip
        for a2 in PERPENDICULAR[a]:
            P[rows, a, layout.next_cell[:, a2]] += slip / 2
    return P


def maze_model(layout: Layout, goal_reward: float, move_cost: float, slip: float) -> MDPModel:
    """The transition and reward arrays of a :class:`~rl_envs.maze.grid_maze.GridMazeEnv`."""
    n = layout.n_cells
    goal = layout.goal_mask
    P = move_matrix(layout, slip)
    R = P @ (goal_reward * goal.astype(float)) - move_cost
    # Cells the agent can never occupy (blocked or walled off) are made absorbing like the goals,
    # so that exact solvers at gamma = 1 stay well-posed; their values are 0.
    absorbing = goal | (layout.distances_from_start() < 0)
    P[absorbing] = 0.0
    P[absorbing, :, absorbing.nonzero()[0]] = 1.0
    R[absorbing] = 0.0
    start = np.zeros(n)
    start[layout.start_index] = 1.0
    return MDPModel(P, R, absorbing, start)


def value_iteration(
    model: MDPModel, gamma: float = 1.0, tol: float = 1e-12, max_iter: int = 100_000
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal values ``V*`` and action values ``Q*`` by value iteration.

    With ``gamma == 1`` this converges when every policy that the iteration favours reaches a
    terminal state (true for a maze with a move cost, or with no cost and a reachable goal).
    """
    gamma = discount(gamma)
    V = np.zeros(model.n_states)
    for _ in range(max_iter):
        Q = model.R + gamma * model.P @ V
        Q[model.terminal] = 0.0
        V_new = Q.max(axis=1)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, Q
        V = V_new
    raise RuntimeError(f"value iteration did not converge in {max_iter} iterations (gamma={gamma})")


def finite_horizon_values(model: MDPModel, horizon: int, policy: np.ndarray | None = None) -> np.ndarray:
    """The expected undiscounted return of ``horizon`` steps (or until a terminal state) from each
    state, by backward induction: of the best policy (``policy=None``; it may use the steps left,
    as an agent that counts its steps can), or of the stochastic ``policy[s, a]``.

    ``V_k = max_a (R + P V_{k-1})`` (or its average under ``policy``), ``V_0 = 0``, terminal values
    0.  This is what an episode truncated after ``horizon`` steps returns, where the stationary
    values of :func:`value_iteration` and :func:`policy_evaluation` are those of an untruncated one.
    The induction stops early once ``V_k`` repeats exactly: every later iterate is the same.
    """
    from scipy.sparse import csr_matrix

    n, n_actions = model.n_states, model.n_actions
    if policy is not None and np.shape(policy) != (n, n_actions):
        raise ValueError(f"policy must have shape {(n, n_actions)}, got {np.shape(policy)}")
    P = csr_matrix(model.P.reshape(n * n_actions, n))  # a maze cell has at most 3 successors per move
    V = np.zeros(n)
    for _ in range(horizon):
        Q = model.R + (P @ V).reshape(n, n_actions)
        V_next = Q.max(axis=1) if policy is None else (policy * Q).sum(axis=1)
        V_next[model.terminal] = 0.0
        if np.array_equal(V_next, V):
            break
        V = V_next
    return V


def policy_evaluation(model: MDPModel, policy: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """``V^pi`` of a stochastic policy ``policy[s, a]`` by one linear solve.

    Solves ``(I - gamma P_pi) V = R_pi`` over the non-terminal states (terminal values are 0).
    Raises if the policy never terminates from some state with ``gamma == 1``.
    """
    policy = np.asarray(policy, dtype=float)
    if policy.shape != (model.n_states, model.n_actions):
        raise ValueError(f"policy must have shape {(model.n_states, model.n_actions)}, got {policy.shape}")
    live = ~model.terminal
    P_pi = np.einsum("sa,sat->st", policy, model.P)[np.ix_(live, live)]
    R_pi = (policy * model.R).sum(axis=1)[live]
    A = np.eye(live.sum()) - gamma * P_pi
    V = np.zeros(model.n_states)
    try:
        V[live] = np.linalg.solve(A, R_pi)
    except np.linalg.LinAlgError as e:
        raise ValueError("the policy does not terminate from every state; V^pi is undefined at gamma=1") from e
    return V
