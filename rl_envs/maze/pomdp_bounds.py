"""Certified bounds on the optimal value of a finite POMDP, and the uniform-random policy's exact value.

The belief MDP of a :class:`~rl_envs.maze.pomdp.POMDPModel` (Kaelbling, Littman & Cassandra 1998)
has the Bellman operator

    (H V)(b) = max_a [ b . R[:, a] + gamma sum_o Pr(o | b, a) V(tau(b, a, o)) ],
    tau(b, a, o)(s') = O[a, s', o] sum_s b(s) T[a, s, s'] / Pr(o | b, a),

whose fixed point ``V*`` is convex in ``b``.  This module brackets ``V*(b0)``:

* **Upper bound** ``V_up >= V*``.  The fast informed bound (FIB; Hauskrecht 2000, JAIR 13)
  iterates one vector per action,

      Q(s, a) <- R(s, a) + gamma sum_o max_a' sum_s' T[a, s, s'] O[a, s', o] Q(s', a'),

  from ``Q = max R / (1 - gamma)``: a sum of maxima over states bounds the exact backup's maximum
  of sums, so every iterate bounds ``V*`` from above.  It is tightened by a point set
  ``{(b_i, v_i)}`` with the sawtooth interpolation (Hauskrecht 2000; the upper bound of HSVI2,
  Smith & Simmons 2005): with ``c`` the bound at the corners of the simplex,

      V_saw(b) = c . b + min_i (v_i - c . b_i) min_{s: b_i(s) > 0} b(s) / b_i(s),

  an upper bound because ``V*`` is convex (``b`` is a mixture of ``b_i`` and another belief,
  whose value is at most its corner interpolation).  A point's value is lowered to ``(H V_up)(b_i)``,
  still above ``V* = H V*`` because ``H`` is monotone.
* **Lower bound** ``V_low(b) = max_k b . alpha_k <= V*(b)``.  It starts from the values of the
  blind policies that repeat one action (Hauskrecht 2000), and adds the point-based backup
  of a belief (Pineau, Gordon & Thrun 2003): for each action, the best vector for each
  observation, ``alpha_a = R[:, a] + gamma sum_o T[a] (O[a, :, o] * alpha_k(a, o))``.  Each
  vector is at most the value of an executable conditional plan (act ``a``, then follow the plan
  of vector ``k(a, o)``), so ``b0 . alpha <= V*(b0)``: the lower bound is the guaranteed value of a
  policy, not an estimate.
* **Search**.  Heuristic search value iteration (HSVI; Smith & Simmons 2004): trials from
  ``b0`` follow the action of the best upper bound and the observation whose successor's gap,
  weighted by its probability, most exceeds ``eps / gamma^t``; both bounds are backed up at the
  trial's beliefs on the way back.  The search only decides where the bounds are improved; it
  never affects their validity.

The environment's quantity is the return of an episode cut at ``H`` steps,
``E[sum_{t < H} gamma^t r_{t+1}]``: :meth:`ValueBounds.over` turns the bounds on the infinite sum
into bounds on that one (:func:`finite_horizon_bounds` bounds it directly, for any gamma).  :func:`random_policy_value` gives the uniform-random policy's value exactly:
under it the belief plays no part, and the state follows a Markov chain.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from dataclasses import dataclass

import numpy as np

from ..validation import integer, positive
from .pomdp import POMDPModel

# Entries of the (queries x points x states) array of one sawtooth evaluation held at once.
_SAWTOOTH_CHUNK = 1 << 21


def _horizon(horizon: int | None, model: POMDPModel, what: str) -> int | None:
    if horizon is None and model.gamma >= 1.0:
        raise ValueError(f"{what} over an infinite horizon needs gamma < 1, got gamma={model.gamma}: give a horizon")
    return None if horizon is None else integer(horizon, "horizon", low=0)


def fast_informed_bound(
    model: POMDPModel, horizon: int | None = None, tol: float = 1e-10, time_limit: float | None = None
) -> np.ndarray:
    """``Q_FIB[s, a]``: ``max_a b . Q_FIB[:, a]`` bounds ``V*(b)`` from above at every belief
    (Hauskrecht 2000).

    Over the infinite horizon (``horizon=None``) iterated from the upper bound ``max R / (1 - gamma)``
    until no entry moves by more than ``tol`` or ``time_limit`` seconds have passed: every iterate
    is an upper bound, so stopping early loses tightness, not validity.  Over ``horizon`` steps,
    exactly that many iterations from 0 (whatever the time) bound the best ``horizon``-step return
    (any gamma).
    """
    horizon = _horizon(horizon, model, "the fast informed bound")
    A, S, Z = model.n_actions, model.n_states, model.n_obs
    # TO[a, s, o, s'] = T[a, s, s'] O[a, s', o]: one matrix product gives sum_s' T O Q(s', a').
    TO = (model.T[:, :, None, :] * model.O.transpose(0, 2, 1)[:, None, :, :]).reshape(A * S * Z, S)
    # Infinite horizon: from above (every iterate stays an upper bound); a horizon: from 0.
    Q = np.zeros((S, A)) if horizon is not None else np.full((S, A), max(float(model.R.max()), 0.0) / (1 - model.gamma))
    start = time.perf_counter()
    for k in itertools.count():
        if k == horizon or (horizon is None and time_limit is not None and time.perf_counter() - start > time_limit):
            return Q
        future = (TO @ Q).reshape(A, S, Z, A).max(axis=3).sum(axis=2)  # (A, S)
        Q_new = model.R + model.gamma * future.T
        moved = float(np.max(np.abs(Q_new - Q)))
        Q = Q_new
        if horizon is None and moved < tol:
            return Q
    raise AssertionError("itertools.count() does not end")


def blind_policy_alphas(model: POMDPModel, horizon: int | None = None) -> np.ndarray:
    """``alpha[a, s]``: the exact value of repeating action ``a`` from state ``s`` (a blind policy,
    Hauskrecht 2000), forever, ``(I - gamma T_a)^-1 R[:, a]``, or for ``horizon`` steps."""
    horizon = _horizon(horizon, model, "the blind policies' value")
    if horizon is None:
        eye = np.eye(model.n_states)
        return np.stack(
            [np.linalg.solve(eye - model.gamma * model.T[a], model.R[:, a]) for a in range(model.n_actions)]
        )
    alpha = np.zeros((model.n_actions, model.n_states))
    for _ in range(horizon):
        alpha = model.R.T + model.gamma * np.einsum("ast,at->as", model.T, alpha)
    return alpha


def random_policy_value(model: POMDPModel, horizon: int | None = None) -> float:
    """The uniform-random policy's expected discounted return from ``b0``: over ``horizon`` steps,
    ``sum_{t < H} gamma^t b0 P^t r`` with ``P`` and ``r`` the transition matrix and the reward
    averaged over the actions, or over the infinite horizon (``None``), ``b0 (I - gamma P)^-1 r``.
    Exact: the belief plays no part in this policy, so the state is a Markov chain."""
    horizon = _horizon(horizon, model, "the random policy's value")
    P, r = model.T.mean(axis=0), model.R.mean(axis=1)
    if horizon is None:
        return float(model.b0 @ np.linalg.solve(np.eye(model.n_states) - model.gamma * P, r))
    d, total = model.b0.copy(), 0.0
    for t in range(horizon):
        total += model.gamma**t * float(d @ r)
        d = d @ P
    return total


def model_fingerprint(model: POMDPModel) -> str:
    """A digest of the model's numbers (to 10 decimals, so that a rounding difference between
    machines does not change it, while any change to the model does)."""
    digest = hashlib.sha256()
    for array in (model.T, model.O, model.reward, model.b0, np.array([model.gamma])):
        digest.update(str(array.shape).encode())
        digest.update((np.round(array, 10) + 0.0).astype("<f8").tobytes())  # + 0.0: no -0.0
    return digest.hexdigest()


class HSVI:
    """The two bounds of :mod:`rl_envs.maze.pomdp_bounds` on one model, improved by HSVI trials.

    ``alpha`` (``(K, S)``) and ``alpha_action`` are the lower bound's vectors and the first action
    of their plans; ``points`` (``(M, S)``) and ``values`` the upper bound's point set, over the
    FIB vectors ``Q_fib``.  :meth:`run` searches until the gap at ``b0`` is at most ``tol``.
    """

    #: A successor less likely than this is valued by FIB alone in a lookahead (valid, as FIB is
    #: an upper bound too, and cheap: the sawtooth is the costly part of a backup).
    rare = 1e-3

    def __init__(self, model: POMDPModel, fib_time_limit: float | None = None):
        if model.gamma >= 1.0:
            raise ValueError(f"HSVI bounds the infinite-horizon value, which needs gamma < 1, got gamma={model.gamma}")
        self.model = model
        self.gamma = model.gamma
        self.T, self.R = model.T, model.R
        self.OT = np.ascontiguousarray(model.O.transpose(0, 2, 1))  # (A, Z, S'): O[a, s', o] by observation
        self.Q_fib = fast_informed_bound(model, time_limit=fib_time_limit)
        self.corner = self.Q_fib.max(axis=1)  # the upper bound at each vertex e_s of the simplex
        S = model.n_states
        self.points = np.zeros((0, S))
        self.values = np.zeros(0)
        self._inverse = np.zeros((0, S))  # 1 / b_i(s) on the support, inf off it
        self._drop = np.zeros(0)  # v_i - c . b_i <= 0
        self._point_at: dict[bytes, int] = {}  # the index of the point at each belief
        self.alpha = blind_policy_alphas(model)
        self.alpha_action = np.arange(model.n_actions)
        self._witness = np.tile(model.b0, (model.n_actions, 1))  # the belief each vector was backed up at
        self._alpha_at: dict[bytes, int] = {}  # the index of the vector backed up at each belief
        self._pruned_at = (len(self.alpha), 1)
        self.trials = 0

    # -- the two bounds at a batch of beliefs ---------------------------------------------------

    def lower(self, beliefs: np.ndarray) -> np.ndarray:
        """``max_k b . alpha_k`` for each row ``b``."""
        return (np.atleast_2d(beliefs) @ self.alpha.T).max(axis=1)

    def upper(self, beliefs: np.ndarray) -> np.ndarray:
        """``min(FIB(b), V_saw(b))`` for each row ``b``."""
        X = np.atleast_2d(beliefs)
        return np.minimum((X @ self.Q_fib).max(axis=1), X @ self.corner + self._sawtooth(X, self._inverse, self._drop))

    @staticmethod
    def _sawtooth(X: np.ndarray, inverse: np.ndarray, drop: np.ndarray) -> np.ndarray:
        """``min(0, min_i drop_i min_{s in supp b_i} x(s) / b_i(s))`` for each row ``x`` of ``X``.
        Off the support ``inverse`` is inf, so the product is inf (or NaN where ``x(s) = 0``),
        and ``fmin`` skips NaN."""
        best = np.zeros(len(X))
        step = max(1, _SAWTOOTH_CHUNK // (len(X) * X.shape[1]))
        with np.errstate(invalid="ignore"):
            for i in range(0, len(drop), step):
                ratio = np.fmin.reduce(X[:, None, :] * inverse[None, i : i + step], axis=2)
                best = np.minimum(best, (ratio * drop[i : i + step]).min(axis=1))
        return best

    def _add_point(self, b: np.ndarray, value: float) -> None:
        """A point at ``b``; at a belief already in the set, its value lowered instead (a trial
        revisits the same beliefs: a second point there would only cost time)."""
        i = self._point_at.get(b.tobytes())
        if i is not None:
            self.values[i] = value
            self._drop[i] = value - b @ self.corner
            return
        self._point_at[b.tobytes()] = len(self.points)
        self.points = np.vstack([self.points, b])
        self.values = np.append(self.values, value)
        with np.errstate(divide="ignore"):
            self._inverse = np.vstack([self._inverse, np.where(b > 0, 1.0 / b, np.inf)])
        self._drop = np.append(self._drop, value - b @ self.corner)

    # -- backups ----------------------------------------------------------------------------

    def successors(self, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``Pr(o | b, a)`` as ``(A, Z)`` and the beliefs ``tau(b, a, o)`` as ``(A, Z, S)`` (zero
        where the observation is impossible)."""
        joint = np.einsum("s,ast->at", b, self.T)[:, None, :] * self.OT
        p = joint.sum(axis=2)
        return p, joint / np.where(p > 0, p, 1.0)[:, :, None]

    def _lookahead_upper(self, p: np.ndarray, succ: np.ndarray) -> np.ndarray:
        """The upper bound at the successors, ``(A, Z)``: the sawtooth where the observation has
        probability at least :attr:`rare`, FIB alone where it is rarer (0 where impossible)."""
        up = (succ @ self.Q_fib).max(axis=2)
        likely = p >= self.rare
        up[likely] = self.upper(succ[likely])
        return np.where(p > 0, up, 0.0)

    def _backup_upper(self, b: np.ndarray, p: np.ndarray, up: np.ndarray) -> float:
        """``(H V_up)(b)`` from the successors' upper values; a point if it lowers ``V_up(b)``."""
        value = float((b @ self.R + self.gamma * (p * up).sum(axis=1)).max())
        if value < float(self.upper(b)[0]) - 1e-12:
            self._add_point(b, value)
        return value

    def _backup_lower(self, b: np.ndarray, p: np.ndarray, succ: np.ndarray) -> None:
        """The point-based backup of ``b`` (Pineau, Gordon & Thrun 2003); kept if it raises ``V_low(b)``."""
        joint = succ * p[:, :, None]  # tau(b, a, o) up to its factor Pr(o | b, a): same best vector
        best = (joint.reshape(-1, joint.shape[2]) @ self.alpha.T).argmax(axis=1).reshape(p.shape)
        inner = (self.OT * self.alpha[best]).sum(axis=1)  # (A, S'): sum_o O[a, s', o] alpha_k(a,o)(s')
        alphas = self.R.T + self.gamma * np.einsum("ast,at->as", self.T, inner)
        a = int(np.argmax(alphas @ b))
        if alphas[a] @ b > float(self.lower(b)[0]) + 1e-12:
            # The vector backed up at this belief before is replaced (dropping a vector only
            # loosens the bound): a trial revisits the same beliefs.
            k = self._alpha_at.get(b.tobytes())
            if k is not None:
                self.alpha[k], self.alpha_action[k] = alphas[a], a
                return
            self._alpha_at[b.tobytes()] = len(self.alpha)
            self.alpha = np.vstack([self.alpha, alphas[a]])
            self.alpha_action = np.append(self.alpha_action, a)
            self._witness = np.vstack([self._witness, b])

    def backup(self, b: np.ndarray) -> None:
        """Both bounds backed up at ``b``: a new alpha vector if it raises ``V_low(b)``, a new point
        if the lookahead lowers ``V_up(b)``."""
        p, succ = self.successors(b)
        self._backup_upper(b, p, self._lookahead_upper(p, succ))
        self._backup_lower(b, p, succ)

    # -- the search -------------------------------------------------------------------------

    def trial(self, eps: float, max_depth: int = 1000) -> None:
        """One HSVI trial from ``b0`` (Smith & Simmons 2004: the IE-MAX action and the
        weighted-excess observation), then the backups of its beliefs, deepest first.

        On the way back only the successor the trial went to is re-valued: the others' upper
        values from the way down can only have dropped since, so the stale ones still bound
        ``V*`` from above."""
        b, path = self.model.b0, []
        for t in range(max_depth + 1):
            p, succ = self.successors(b)
            up = self._lookahead_upper(p, succ)
            q = b @ self.R + self.gamma * (p * up).sum(axis=1)
            gap = min(float(q.max()), float(self.upper(b)[0])) - float(self.lower(b)[0])
            if gap <= eps / self.gamma**t or t == max_depth:
                path.append((b, p, succ, up, None))  # backed up too: its lookahead may be below V_up(b)
                break
            a = int(np.argmax(q))
            possible = p[a] > 0
            excess = np.full(p.shape[1], -np.inf)
            excess[possible] = p[a, possible] * (
                up[a, possible] - self.lower(succ[a, possible]) - eps / self.gamma ** (t + 1)
            )
            o = int(np.argmax(excess))
            path.append((b, p, succ, up, (a, o)))
            b = succ[a, o]
        for b, p, succ, up, went in reversed(path):
            if went is not None:
                up[went] = min(up[went], float(self.upper(succ[went])[0]))
            self._backup_upper(b, p, up)
            self._backup_lower(b, p, succ)
        self.trials += 1
        self._prune()

    def _prune(self) -> None:
        """When a set has doubled since the last pruning: drop the vectors that are best at none of
        the beliefs they were backed up at, and the points the others' sawtooth already bounds as
        low (removing either only loosens a bound, so both stay valid)."""
        K, M = len(self.alpha), len(self.points)
        if K >= 2 * self._pruned_at[0]:
            A = self.model.n_actions
            keep = np.zeros(K, dtype=bool)
            keep[:A] = True  # the blind policies' vectors: the bound's floor everywhere
            keep[(self._witness @ self.alpha.T).argmax(axis=1)] = True
            self.alpha, self.alpha_action, self._witness = (
                self.alpha[keep],
                self.alpha_action[keep],
                self._witness[keep],
            )
            self._alpha_at = {b.tobytes(): k for k, b in enumerate(self._witness[A:], start=A)}
        if M >= 2 * self._pruned_at[1]:
            keep = np.ones(M, dtype=bool)
            for i in np.argsort(-self._drop):  # the weakest points first
                others = keep.copy()
                others[i] = False
                bound = (
                    self.points[i] @ self.corner
                    + self._sawtooth(self.points[i : i + 1], self._inverse[others], self._drop[others])[0]
                )
                if bound <= self.values[i]:
                    keep[i] = False
            self.points, self.values = self.points[keep], self.values[keep]
            self._inverse, self._drop = self._inverse[keep], self._drop[keep]
            self._point_at = {b.tobytes(): i for i, b in enumerate(self.points)}
        self._pruned_at = (max(self._pruned_at[0], len(self.alpha)), max(self._pruned_at[1], len(self.points)))

    def gap(self) -> float:
        b0 = self.model.b0
        return float(self.upper(b0)[0] - self.lower(b0)[0])

    def run(self, tol: float = 1e-6, max_trials: int = 100_000, time_limit: float | None = None) -> HSVI:
        """Trials until the gap at ``b0`` is at most ``tol``, or ``max_trials`` trials, or
        ``time_limit`` seconds.  The trials aim at half the current gap (never below ``tol``),
        so that early trials stay shallow."""
        positive(tol, "tol")
        integer(max_trials, "max_trials", low=0)
        start = time.perf_counter()
        while self.trials < max_trials and self.gap() > tol:
            if time_limit is not None and time.perf_counter() - start > time_limit:
                break
            self.trial(max(tol, 0.5 * self.gap()))
        return self

    def policy(self, beliefs: np.ndarray) -> np.ndarray:
        """The lower bound's greedy actions: the first action of the best vector's plan."""
        return self.alpha_action[(np.atleast_2d(beliefs) @ self.alpha.T).argmax(axis=1)]


@dataclass(frozen=True)
class ValueBounds:
    """Bounds on the infinite-horizon ``V*(b0)`` and how they were found: ``corner_max >= V*`` and
    ``lower_min <= V*`` everywhere (the upper bound's largest corner, the best blind policy's
    smallest state value) turn them into bounds over a horizon (:meth:`over`)."""

    lower: float
    upper: float
    fib: float
    corner_max: float
    lower_min: float
    trials: int
    seconds: float

    def over(self, horizon: int, gamma: float) -> tuple[float, float]:
        """Bounds on the best expected return over ``horizon`` steps, ``E[sum_{t < H} gamma^t r_t]``.

        A policy's infinite sum is its first ``H`` terms plus ``gamma^H`` times its value from the
        belief it reaches, which lies in ``[lower_min, corner_max]``.  So the policy behind
        ``lower`` earns at least ``lower - gamma^H corner_max`` in ``H`` steps, and no policy earns
        more than ``upper - gamma^H lower_min``.
        """
        tail = gamma ** integer(horizon, "horizon", low=0)
        return self.lower - tail * self.corner_max, self.upper - tail * self.lower_min


def solve_bounds(
    model: POMDPModel, tol: float = 1e-6, max_trials: int = 100_000, time_limit: float | None = None
) -> tuple[ValueBounds, HSVI]:
    """:class:`HSVI` on ``model`` until the gap at ``b0`` is at most ``tol``, or ``max_trials``
    trials, or ``time_limit`` seconds (FIB included), summarised as :class:`ValueBounds`."""
    start = time.perf_counter()
    solver = HSVI(model, fib_time_limit=time_limit)
    lower_min = float(solver.alpha.min(axis=1).max())
    rest = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - start))
    solver.run(tol, max_trials, rest)
    b0 = model.b0
    bounds = ValueBounds(
        lower=float(solver.lower(b0)[0]),
        upper=float(solver.upper(b0)[0]),
        fib=float((b0 @ solver.Q_fib).max()),
        corner_max=float(solver.corner.max()),
        lower_min=lower_min,
        trials=solver.trials,
        seconds=time.perf_counter() - start,
    )
    return bounds, solver


def finite_horizon_bounds(model: POMDPModel, horizon: int) -> tuple[float, float]:
    """Bounds on the best expected return over ``horizon`` steps for any gamma (undiscounted
    too): the best blind policy's value below, FIB over the horizon above."""
    lower = float((blind_policy_alphas(model, horizon) @ model.b0).max())
    return lower, float((model.b0 @ fast_informed_bound(model, horizon)).max())
