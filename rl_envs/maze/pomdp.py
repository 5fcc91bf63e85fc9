"""A finite POMDP as arrays, the exact Bayes filter over it, and sampling from it.

Conventions follow Cassandra's ``.POMDP`` files (see :mod:`rl_envs.maze.pomdp_format`):
``T[a, s, s2]`` transition probabilities, ``O[a, s2, o]`` the probability of observing ``o``
after action ``a`` led to ``s2`` (observations depend on the *resulting* state), and the
reward of a step ``reward[a, s, s2, o]``.  The belief update (the state estimator of
Kaelbling, Littman & Cassandra 1998) is

    b'(s2) = O[a, s2, o] sum_s b(s) T[a, s, s2] / Pr(o | b, a),

and :func:`filter_belief` adds the episode rule of the partially observable maze: its "no
observation" symbol ``n_obs`` restarts the belief at ``b0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..validation import discount
from .solve import MDPModel

# Row sums of published files are off by up to ~1e-5 (six printed decimals).
PROBABILITY_TOLERANCE = 1e-4


def _default_names(n: int) -> tuple[str, ...]:
    return tuple(str(i) for i in range(n))


@dataclass(frozen=True, eq=False)
class POMDPModel:
    """``T[a, s, s2]``, ``O[a, s2, o]``, ``reward[a, s, s2, o]`` (the last axis may have length 1
    when the reward does not depend on the observation), start belief ``b0`` and discount ``gamma``.

    ``R[s, a]`` is the expected immediate reward, sum over s2 and o of T * O * reward.
    """

    T: np.ndarray
    O: np.ndarray
    reward: np.ndarray
    b0: np.ndarray
    gamma: float
    states: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    observations: tuple[str, ...] = ()
    R: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        A, S, S2 = self.T.shape
        if S != S2:
            raise ValueError(f"T must have shape (A, S, S), got {self.T.shape}")
        if self.O.ndim != 3 or self.O.shape[:2] != (A, S):
            raise ValueError(f"O must have shape ({A}, {S}, n_obs), got {self.O.shape}")
        if self.reward.shape not in ((A, S, S, self.O.shape[2]), (A, S, S, 1)):
            raise ValueError(f"reward must have shape ({A}, {S}, {S}, n_obs or 1), got {self.reward.shape}")
        if self.b0.shape != (S,):
            raise ValueError(f"b0 must have shape ({S},), got {self.b0.shape}")
        for name, arr in (("T", self.T), ("O", self.O), ("b0", self.b0)):
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise ValueError(f"{name} must hold finite non-negative probabilities")
            worst = np.max(np.abs(arr.sum(axis=-1) - 1.0))
            if worst > PROBABILITY_TOLERANCE:
                raise ValueError(f"{name} rows must sum to 1 (worst row is off by {worst:.3g})")
        if not np.all(np.isfinite(self.reward)):
            raise ValueError("reward must be finite")
        object.__setattr__(self, "gamma", discount(self.gamma))
        for attr, n in (("states", S), ("actions", A), ("observations", self.O.shape[2])):
            names = getattr(self, attr) or _default_names(n)
            if len(names) != n:
                raise ValueError(f"{attr} has {len(names)} names for {n} entries")
            object.__setattr__(self, attr, tuple(names))
        R = np.einsum("ast,ato,asto->sa", self.T, self.O, np.broadcast_to(self.reward, (A, S, S, self.O.shape[2])))
        object.__setattr__(self, "R", R)

    @property
    def n_states(self) -> int:
        return self.T.shape[1]

    @property
    def n_actions(self) -> int:
        return self.T.shape[0]

    @property
    def n_obs(self) -> int:
        return self.O.shape[2]

    def reset_states(self) -> np.ndarray:
        """States that every action sends back to ``b0`` and that ``b0`` never starts in: the
        goals of the classic mazes, where the files restart the task instead of ending it."""
        resets = np.all(np.abs(self.T - self.b0) <= PROBABILITY_TOLERANCE, axis=(0, 2))
        return resets & (self.b0 == 0)

    def with_absorbing(self, goal: np.ndarray) -> POMDPModel:
        """The model of an episode that ends on entering ``goal``.

        Goal states become absorbing with zero reward, observing the goal's own observation.
        Whatever the original model pays for acting in a goal (4x3 pays +1/-1 there) is paid on
        entering it instead, since the episode stops before that action.
        """
        goal = np.asarray(goal, dtype=bool)
        T = self.T.copy()
        T[:, goal, :] = 0.0
        T[:, goal, goal.nonzero()[0]] = 1.0
        reward = self.reward.copy()
        reward[:, :, goal, :] += self.R[goal].max(axis=1)[:, None]
        reward[:, goal] = 0.0
        return replace(self, T=T, reward=reward)

    def mdp(self, terminal: np.ndarray | None = None) -> MDPModel:
        """The fully observable MDP underneath (for QMDP and the full-observation bound)."""
        terminal = np.zeros(self.n_states, dtype=bool) if terminal is None else np.asarray(terminal, dtype=bool)
        return MDPModel(self.T.transpose(1, 0, 2), self.R, terminal, self.b0)


def belief_update(b: np.ndarray, a: ArrayLike, o: ArrayLike, T: np.ndarray, O: np.ndarray) -> np.ndarray:
    """The Bayes filter: ``b'(s2)`` proportional to ``O[a, s2, o] sum_s b(s) T[a, s, s2]``.

    Works on one belief (``b`` of shape ``(S,)``, int ``a`` and ``o``) or a batch (``b`` of
    shape ``(n, S)``, ``a`` and ``o`` of shape ``(n,)``).  An observation the model gives
    probability zero raises ``ValueError``.
    """
    b = np.asarray(b, dtype=float)
    a = np.asarray(a)
    o = np.asarray(o)
    if a.ndim == 0:
        predicted = b @ T[a]
    else:  # one matrix product per distinct action: far faster than gathering T[a] per row
        predicted = np.empty_like(b)
        for action in np.unique(a):
            rows = a == action
            predicted[rows] = b[rows] @ T[action]
    unnormalised = predicted * O[a, :, o]
    total = unnormalised.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("the observation has probability 0 under this belief and action")
    return unnormalised / total


def filter_belief(belief: np.ndarray | None, action: Any, observation: ArrayLike, model: Any) -> np.ndarray:
    """The belief after ``observation``: the one Bayes filter of the env, ``BeliefState`` and the agents.

    The "no observation" symbol ``n_obs``, which ``reset`` returns, starts a new episode: the
    posterior is ``b0`` whatever the prior and the action (``belief`` may then be None).  Any
    other observation is filtered by :func:`belief_update` with the ``action`` that led to it.
    ``model`` is a :class:`POMDPModel` or anything holding its ``T``, ``O`` and ``b0``.  One
    belief (``belief`` of shape ``(S,)``, int ``action`` and ``observation``) or a batch (shape
    ``(n, S)``, ``(n,)`` and ``(n,)``): the rows at the symbol restart, the others are filtered
    together.
    """
    o = np.asarray(observation)
    restart = o == model.O.shape[2]
    if belief is None:
        if not restart.all():
            raise ValueError(
                "filter_belief needs a prior belief for an observation other than the no-observation symbol"
            )
        return np.tile(model.b0, (*o.shape, 1))
    if o.ndim == 0:
        return model.b0.copy() if restart else belief_update(belief, action, o, model.T, model.O)
    posterior = np.array(belief, dtype=float)
    posterior[restart] = model.b0
    go = ~restart
    if go.any():
        posterior[go] = belief_update(posterior[go], np.asarray(action)[go], o[go], model.T, model.O)
    return posterior


def sample_index(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF sampling along the last axis, ``u`` uniform in [0, 1).

    Scaled by the row total so that rows a few 1e-6 short of 1 (printed files) stay exact.
    """
    u = np.asarray(u, dtype=float)[..., None]
    idx = (cumulative < u * cumulative[..., -1:]).sum(axis=-1)
    return np.minimum(idx, cumulative.shape[-1] - 1)


@dataclass(frozen=True, eq=False)
class POMDPSampler:
    """Draws steps of a model; shared by the environment and the batched evaluation of agents."""

    model: POMDPModel
    cum_T: np.ndarray = field(init=False, repr=False)
    cum_O: np.ndarray = field(init=False, repr=False)
    cum_b0: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "cum_T", np.cumsum(self.model.T, axis=-1))
        object.__setattr__(self, "cum_O", np.cumsum(self.model.O, axis=-1))
        object.__setattr__(self, "cum_b0", np.cumsum(self.model.b0))

    def start(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        return sample_index(self.cum_b0, rng.random(n))

    def step(self, s: ArrayLike, a: ArrayLike, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(s2, o, r)`` for state(s) ``s`` and action(s) ``a`` (scalars or equal-length arrays)."""
        s = np.asarray(s)
        u = rng.random((2, *s.shape))
        return self.step_given(s, np.asarray(a), u[0], u[1])

    def step_given(
        self, s: np.ndarray, a: np.ndarray, u_next: np.ndarray, u_obs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`step` with its uniforms given: ``u_next`` draws the next state, ``u_obs`` the observation."""
        s2 = sample_index(self.cum_T[a, s], u_next)
        o = sample_index(self.cum_O[a, s2], u_obs)
        r = self.model.reward[a, s, s2, o if self.model.reward.shape[3] > 1 else 0]
        return s2, o, r
