"""Linear actor-critics on tile-coded states: the three agents of Silver et al. 2014, §5.2.

Every function is linear in the binary tile features φ(s) of :class:`baselines.tiles.TileCoder`,
so ``f(s) = Wᵀφ(s)`` is the sum of ``W``'s rows at the state's ``n_tilings`` active tiles
``idx``, and a step ``W += α g φ(s)`` adds ``α g`` to those rows.  The update functions below do
that in place on the parameter arrays (a table of 2^16 rows per array would cost more to copy
than to update) and return the TD error δ.  Step sizes are divided by ``n_tilings``, the
squared norm of φ(s), as RLPark does (``α / ||x||``).  Actions have ``m`` dimensions, with an
independent Gaussian per dimension; an agent's parameter tables are ``(size, m)`` (``v``:
``(size,)``).

The update functions take a batch of ``N`` independent learners, every argument with a leading
axis of ``N`` (tables ``(N, size, m)``, ``idx`` ``(N, n_tilings)``, ``a`` ``(N, m)``, ``r`` and
``terminated`` ``(N,)``), and return δ as ``(N,)``: an agent is a batch of one, and
:class:`SeedBatch` runs many seeds as one array program on a native vector env.

* SAC (Degris, Pilarski & Sutton 2012a, the DPG paper's stochastic actor-critic):
  π = N(θᵀφ(s), σ(s)²) with σ(s) = exp(yᵀφ(s)), a TD(0) critic vᵀφ(s), on-policy.
* OffPAC (Degris, White & Sutton 2012b, §2-3) with λ = 0 and no gradient-correction weights
  (the DPG paper's "λ = 0, α_u = 0"): the same policy, behaviour N(θᵀφ(s), σ_β²), every update
  weighted by ρ = π(a|s) / b(a|s).
* COPDAC-Q (Silver et al. 2014, eqs 19-22) with μθ(s) = θᵀφ(s): :func:`copdac_q_tile_update`
  is :func:`baselines.linear.copdac_q.copdac_q_update` with ∇θμθ(s) = φ(s) ⊗ I_m, kept sparse.

The mean's policy gradient is Degris et al. 2012a's σ²-scaled one (RLPark's
``NormalDistributionScaled``), ``(a - μ) φ(s)``, the exact score times σ², which keeps its steps
bounded as σ shrinks.  The log standard deviation's is the exact score ``((a - μ)²/σ² - 1) φ(s)``:
its σ²-scaled form ``((a - μ)² - σ²) φ(s)`` grows with σ², so a σ that rises feeds itself (SAC
diverged so on the swing pendulum within 1000 steps at α_u = 0.01), while the exact score is
at least −1 and independent of the scale.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym
from gymnasium import spaces
from numba import njit

from rl_envs.core import VectorEnv
from rl_envs.validation import discount, positive, real

from ..agent import Agent, timesteps
from ..agent_files import ArraySpec
from ..tiles import TileCoder


@njit(cache=True)
def _sum_rows(W: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.zeros((W.shape[0], W.shape[2]))
    for k in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            for j in range(W.shape[2]):
                out[k, j] += W[k, idx[k, t], j]
    return out


def linear_value(W: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Wᵀφ(s) of each learner for binary tile features with active tiles ``idx`` (N, n_tilings)."""
    return _sum_rows(W.reshape(*W.shape[:2], -1), idx).reshape(W.shape[:1] + W.shape[2:])


@njit(cache=True)
def gaussian_scores(
    a: np.ndarray | float, mu: np.ndarray | float, sigma: np.ndarray | float
) -> tuple[np.ndarray | float, np.ndarray | float]:
    """σ² ∂ log N(a; μ, σ²)/∂μ and ∂ log N(a; μ, σ²)/∂ log σ: ``(a - μ, (a - μ)²/σ² - 1)``."""
    d = a - mu
    return d, (d / sigma) ** 2 - 1.0


@njit(cache=True)
def log_importance_ratio(
    a: np.ndarray | float, mu: np.ndarray | float, sigma: np.ndarray | float, sigma_b: np.ndarray | float
) -> np.ndarray | float:
    """log π(a|s) − log b(a|s) of one action dimension, π = N(μ, σ²) and b = N(μ, σ_β²)."""
    return np.log(sigma_b / sigma) - 0.5 * (a - mu) ** 2 * (1.0 / sigma**2 - 1.0 / sigma_b**2)


def importance_ratio(a: np.ndarray, mu: np.ndarray, sigma: np.ndarray, sigma_b: np.ndarray | float) -> np.ndarray:
    """ρ = π(a|s) / b(a|s), independent over the last axis (the product of the dimensions' ratios)."""
    f = [np.asarray(x, dtype=np.float64) for x in (a, mu, sigma, sigma_b)]
    return np.exp(np.sum(log_importance_ratio(*f), axis=-1))


def policy_sigma(y: np.ndarray, idx: np.ndarray, sigma_range: ArrayLike) -> np.ndarray:
    """σ(s) = exp(yᵀφ(s)), held in ``sigma_range = (low, high)``: an unbounded σ overflows (and a
    vanishing one makes ρ and the score explode) once a step size is too large for the task."""
    return np.exp(np.clip(linear_value(y, idx), *np.log(sigma_range)))


@njit(cache=True)
def _value_at(v, k, idx) -> float:
    """vᵀφ(s) of learner ``k`` at the tiles ``idx[k]``."""
    total = 0.0
    for t in range(idx.shape[1]):
        total += v[k, idx[k, t]]
    return total


@njit(cache=True)
def _column_at(W, k, idx, j) -> float:
    """Column ``j`` of ``W``ᵀφ(s) for learner ``k`` at the tiles ``idx[k]``."""
    total = 0.0
    for t in range(idx.shape[1]):
        total += W[k, idx[k, t], j]
    return total


@njit(cache=True)
def _td_error(v, k, idx, idx2, r, gamma, terminated) -> float:
    """δ = r + γ vᵀφ(s') − vᵀφ(s), with vᵀφ(s') = 0 after a terminal transition."""
    return r[k] + gamma * (0.0 if terminated[k] else _value_at(v, k, idx2)) - _value_at(v, k, idx)


@njit(cache=True)
def _gaussian_actor_critic(
    theta, y, v, idx, idx2, a, r, gamma, terminated, log_lo, log_hi, off_policy, sigma_b, alpha_v, alpha_u, delta
) -> None:
    """SAC, or OffPAC with behaviour σ ``sigma_b`` if ``off_policy``: one step of every learner
    ``k``, in place; δ into ``delta``.

    δ = r + γ vᵀφ(s') − vᵀφ(s);  v += α_v ρ δ φ(s);  (θ, y) += α_u ρ δ (g_μ, g_y) φ(s), with
    (g_μ, g_y) = :func:`gaussian_scores` and ρ = 1 on-policy.  Every sum is taken before any row
    moves (a state's tiles may share a hashed row)."""
    m = a.shape[1]
    g_mu, g_y = np.empty(m), np.empty(m)
    for k in range(idx.shape[0]):
        delta[k] = _td_error(v, k, idx, idx2, r, gamma, terminated)
        log_rho = 0.0
        for j in range(m):
            mu = _column_at(theta, k, idx, j)
            sigma = math.exp(min(max(_column_at(y, k, idx, j), log_lo[j]), log_hi[j]))
            g_mu[j], g_y[j] = gaussian_scores(a[k, j], mu, sigma)
            if off_policy:
                log_rho += log_importance_ratio(a[k, j], mu, sigma, sigma_b[j])
        rho_delta = delta[k] * (math.exp(log_rho) if off_policy else 1.0)
        for t in range(idx.shape[1]):
            row = idx[k, t]
            v[k, row] += alpha_v[k] * rho_delta
            for j in range(m):
                theta[k, row, j] += alpha_u[k] * rho_delta * g_mu[j]
                y[k, row, j] += alpha_u[k] * rho_delta * g_y[j]


@njit(cache=True)
def _copdac_q(theta, w, v, idx, idx2, a, r, gamma, terminated, alpha_theta, alpha_w, alpha_v, delta) -> None:
    """COPDAC-Q (Silver et al. 2014, eqs 19-22), one step of every learner ``k``, in place.

    ∇θμθ(s) = φ(s) ⊗ I_m, so φ(s, a) = (a − μθ(s)) at the rows of ``idx``, Q^w(s, a) =
    (a − μ)·wᵀφ(s) + vᵀφ(s), Q^w(s', μθ(s')) = vᵀφ(s') and ∇θμθ(s)ᵀ w = wᵀφ(s) (with w_t)."""
    m = a.shape[1]
    d, advantage_gradient = np.empty(m), np.empty(m)
    for k in range(idx.shape[0]):
        q_minus_v = 0.0
        for j in range(m):
            d[j], advantage_gradient[j] = a[k, j] - _column_at(theta, k, idx, j), _column_at(w, k, idx, j)
            q_minus_v += d[j] * advantage_gradient[j]
        delta[k] = _td_error(v, k, idx, idx2, r, gamma, terminated) - q_minus_v  # (19)
        for t in range(idx.shape[1]):
            row = idx[k, t]
            for j in range(m):
                theta[k, row, j] += alpha_theta[k] * advantage_gradient[j]  # (20)
                w[k, row, j] += alpha_w[k] * delta[k] * d[j]  # (21)
            v[k, row] += alpha_v[k] * delta[k]  # (22)


@njit(cache=True)
def _behaviour(theta, from_y, y, log_lo, log_hi, sigma, idx, noise, low, high, a, sent) -> bool:
    """Each learner's draw ``a = θᵀφ(s) + σ noise`` and its action clipped to ``[low, high]``
    (float32, the env's dtype), in place; σ(s) = exp(yᵀφ(s)) held in ``[exp(log_lo),
    exp(log_hi)]`` if ``from_y``, else the fixed ``sigma`` (``y`` and the bounds unread).
    Returns whether every draw is finite."""
    finite = True
    for k in range(idx.shape[0]):
        for j in range(a.shape[1]):
            s = math.exp(min(max(_column_at(y, k, idx, j), log_lo[j]), log_hi[j])) if from_y else sigma[j]
            a[k, j] = _column_at(theta, k, idx, j) + s * noise[k, j]
            sent[k, j] = np.float32(min(max(a[k, j], low[j]), high[j]))
            finite &= math.isfinite(a[k, j])
    return finite


def _vectors(n: int, *values) -> list[np.ndarray]:
    """Each value (a number or an ``(n,)`` array: one per learner or per action dimension) as a
    float64 ``(n,)`` array (an array that is one already, as it is)."""
    return [
        x
        if isinstance(x, np.ndarray) and x.shape == (n,) and x.dtype == np.float64
        else np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=np.float64), (n,)))
        for x in values
    ]


def sac_update(
    theta: np.ndarray,
    y: np.ndarray,
    v: np.ndarray,
    idx: np.ndarray,
    idx2: np.ndarray,
    a: np.ndarray,
    r: ArrayLike,
    gamma: float,
    terminated: np.ndarray,
    sigma_range: ArrayLike,
    alpha_v: ArrayLike,
    alpha_u: ArrayLike,
) -> np.ndarray:
    """One SAC step (Degris, Pilarski & Sutton 2012a, λ = 0), in place; returns δ.

    δ = r + γ vᵀφ(s') − vᵀφ(s);  v += α_v δ φ(s);  (θ, y) += α_u δ (g_μ, g_y) φ(s), with
    (g_μ, g_y) = :func:`gaussian_scores`.  Step sizes: numbers or one per learner.
    """
    return _gaussian_step(theta, y, v, idx, idx2, a, r, gamma, terminated, np.log(sigma_range), None, alpha_v, alpha_u)


def offpac_update(
    theta: np.ndarray,
    y: np.ndarray,
    v: np.ndarray,
    idx: np.ndarray,
    idx2: np.ndarray,
    a: np.ndarray,
    r: ArrayLike,
    gamma: float,
    terminated: np.ndarray,
    sigma_range: ArrayLike,
    sigma_b: ArrayLike,
    alpha_v: ArrayLike,
    alpha_u: ArrayLike,
) -> np.ndarray:
    """One OffPAC step (Degris, White & Sutton 2012b) with λ = 0 and no correction weights, in place.

    With λ = 0 the traces are e_v = ρ φ(s) and e_u = ρ ∇ log π(a|s), ρ = :func:`importance_ratio`
    for the behaviour N(μ, σ_β²); with the GTD(λ) weights held at 0 the critic's correction term
    vanishes:  v += α_v ρ δ φ(s);  (θ, y) += α_u ρ δ (g_μ, g_y) φ(s).
    """
    return _gaussian_step(
        theta, y, v, idx, idx2, a, r, gamma, terminated, np.log(sigma_range), sigma_b, alpha_v, alpha_u
    )


def _gaussian_step(theta, y, v, idx, idx2, a, r, gamma, terminated, log_sigma_range, sigma_b, alpha_v, alpha_u):
    """:func:`sac_update` (``sigma_b`` None) or :func:`offpac_update`, with the log σ bounds."""
    n, m = a.shape
    delta = np.empty(n)
    (r,), (log_lo, log_hi), (alpha_v, alpha_u) = (
        _vectors(n, r),
        _vectors(m, *log_sigma_range),
        _vectors(n, alpha_v, alpha_u),
    )
    (sigma_behaviour,) = _vectors(m, 1.0 if sigma_b is None else sigma_b)
    _gaussian_actor_critic(
        theta,
        y,
        v,
        idx,
        idx2,
        a,
        r,
        float(gamma),
        terminated,
        log_lo,
        log_hi,
        sigma_b is not None,
        sigma_behaviour,
        alpha_v,
        alpha_u,
        delta,
    )
    return delta


def copdac_q_tile_update(
    theta: np.ndarray,
    w: np.ndarray,
    v: np.ndarray,
    idx: np.ndarray,
    idx2: np.ndarray,
    a: np.ndarray,
    r: ArrayLike,
    gamma: float,
    terminated: np.ndarray,
    alpha_theta: ArrayLike,
    alpha_w: ArrayLike,
    alpha_v: ArrayLike,
) -> np.ndarray:
    """One COPDAC-Q step (Silver et al. 2014, eqs 19-22) for μθ(s) = θᵀφ(s), in place; returns δ.

    ∇θμθ(s) = φ(s) ⊗ I_m, so φ(s, a) = ∇θμθ(s)(a − μθ(s)) is (a − μ) at the rows ``idx``,
    Q^w(s, a) = (a − μ)·wᵀφ(s) + vᵀφ(s), and ∇θμθ(s)ᵀ w = wᵀφ(s).  Step sizes: numbers or one
    per learner.
    """
    n = len(a)
    delta = np.empty(n)
    (r,), (alpha_theta, alpha_w, alpha_v) = _vectors(n, r), _vectors(n, alpha_theta, alpha_w, alpha_v)
    _copdac_q(theta, w, v, idx, idx2, a, r, float(gamma), terminated, alpha_theta, alpha_w, alpha_v, delta)
    return delta


class TileActorCritic(Agent):
    """The shared part of :class:`TileSAC`, :class:`TileOffPAC` and :class:`TileCOPDACQ`: a 1-D Box
    observation with finite bounds, tile coded (``n_tilings`` tilings of ``tiles_per_dim`` tiles
    per dimension, a table of ``table_size`` rows), and a 1-D Box action.

    The behaviour's draw goes to the env clipped to the action box (the DPG paper caps
    out-of-range actions); the learner sees the raw draw, as in ``COPDACQ``.  ``predict`` with
    ``deterministic=True`` is the mean θᵀφ(s), the policy the DPG paper tests.  ``STEP_SIZES``
    names the step-size arguments (what a :class:`SeedBatch` may vary between its members).
    """

    STEP_SIZES: tuple[str, ...] = ()

    observation_space: spaces.Box
    action_space: spaces.Box

    def __init__(
        self,
        env: gym.Env | str,
        gamma: float = 0.99,
        n_tilings: int = 10,
        tiles_per_dim: int = 10,
        table_size: int = 1 << 16,
        seed: int | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(
            env,
            seed=seed,
            gamma=gamma,
            n_tilings=n_tilings,
            tiles_per_dim=tiles_per_dim,
            table_size=table_size,
            **hyperparameters,
        )
        for what, space in (("observation", self.observation_space), ("action", self.action_space)):
            if not isinstance(space, spaces.Box) or len(space.shape) != 1:
                raise TypeError(f"{type(self).__name__} needs a 1-D Box {what} space, got {space}")
        lo, hi = self.observation_space.low.astype(np.float64), self.observation_space.high.astype(np.float64)
        if not np.all(np.isfinite(lo) & np.isfinite(hi)):
            raise ValueError(f"{type(self).__name__} tile codes bounded observations, got {self.observation_space}")
        self.gamma = discount(gamma)
        self.coder = TileCoder(lo, hi, n_tilings, tiles_per_dim, table_size)
        self.low, self.high = self.action_space.low.astype(np.float64), self.action_space.high.astype(np.float64)
        self.m = self.action_space.shape[0]
        self.theta = np.zeros((self.coder.size, self.m))
        self.v = np.zeros(self.coder.size)
        if self.action_space.dtype != np.float32:
            raise TypeError(f"{type(self).__name__} needs a float32 Box action space, got {self.action_space}")

    def _step(self, value: float, name: str) -> float:
        """A step size, divided by n_tilings (the squared norm of φ(s))."""
        return real(value, name, low=0) / self.coder.n_tilings

    def _half_range_or(self, value, name: str) -> np.ndarray:
        """A standard deviation per action dimension: ``value``, or half the action range if None."""
        return (self.high - self.low) / 2 if value is None else np.full(self.m, positive(value, name))

    def step_sizes(self) -> tuple[float, ...]:
        """The step sizes named in ``STEP_SIZES``, divided by n_tilings, in that order."""
        return tuple(getattr(self, name) for name in self.STEP_SIZES)

    def _tables(self) -> list[np.ndarray]:
        """The parameter tables, in the order the update kernel takes them."""
        raise NotImplementedError

    def _update(self, tables, idx, idx2, a, r, terminated, steps) -> np.ndarray:
        """One update of a batch of learners in place (the kernel of the subclass); returns δ."""
        raise NotImplementedError

    def _one(self) -> list[np.ndarray]:
        """This agent's tables as a batch of one learner (views: updates write into them)."""
        return [t[None] for t in self._tables()]

    def _sigma_args(self, tables):
        """What :func:`_behaviour` needs of the behaviour's σ: ``(from_y, y, log_lo, log_hi, sigma)``."""
        raise NotImplementedError

    def _act(self, tables, idx, noise) -> tuple[np.ndarray, np.ndarray, bool]:
        """The draws ``a`` (N, m) of a batch of learners at the tiles ``idx`` with standard normal
        ``noise``, the actions sent (clipped, float32), and whether every draw is finite."""
        a, sent = np.empty((len(idx), self.m)), np.empty((len(idx), self.m), dtype=np.float32)
        finite = _behaviour(tables[0], *self._sigma_args(tables), idx, noise, self.low, self.high, a, sent)  # pyright: ignore[reportCallIssue] - pyright cannot count the unpacked lists
        return a, sent, finite

    def _behave(self, obs):
        idx = self.coder.tiles(np.asarray(obs, dtype=np.float64))[None]
        a, sent, _ = self._act(self._one(), idx, self.rng.standard_normal((1, self.m)))
        return sent[0], (idx, a)  # a non-finite action: the env refuses it

    def _learn_step(self, memo, r, s2, terminated, truncated) -> float:
        idx, a = memo
        idx2 = self.coder.tiles(np.asarray(s2, dtype=np.float64))[None]
        steps = tuple(np.array([s]) for s in self.step_sizes())
        return float(self._update(self._one(), idx, idx2, a, np.array([float(r)]), np.array([terminated]), steps)[0])

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        obs = np.asarray(observation, dtype=np.float64)
        d = self.observation_space.shape[0]
        if obs.shape[-1:] != (d,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape ({d},) or (N, {d}), got {obs.shape}")
        idx = self.coder.tiles(np.atleast_2d(obs))
        tables = [np.broadcast_to(t, (len(idx), *t.shape)) for t in self._tables()]  # every state, this agent
        noise = np.zeros((len(idx), self.m)) if deterministic else self.rng.standard_normal((len(idx), self.m))
        _, actions, _ = self._act(tables, idx, noise)
        return (actions if obs.ndim == 2 else actions[0]), state


class GaussianTileActorCritic(TileActorCritic):
    """SAC's and OffPAC's policy N(θᵀφ(s), σ(s)²), σ(s) = exp(yᵀφ(s)) held in
    [10⁻³ h, max(2 h, sigma_init)] for half the action range h: ``sigma_init`` (default h, the
    DPG paper's initial variance read as a standard deviation) sets y."""

    STEP_SIZES = ("alpha_v", "alpha_u")

    def __init__(
        self,
        env: gym.Env | str,
        alpha_v: float = 0.1,
        alpha_u: float = 0.01,
        sigma_init: float | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(env, alpha_v=alpha_v, alpha_u=alpha_u, sigma_init=sigma_init, **hyperparameters)
        self.alpha_v, self.alpha_u = self._step(alpha_v, "alpha_v"), self._step(alpha_u, "alpha_u")
        sigma0 = self._half_range_or(sigma_init, "sigma_init")
        self.y = np.tile(np.log(sigma0) / self.coder.n_tilings, (self.coder.size, 1))
        half_range = (self.high - self.low) / 2
        self.sigma_range = (1e-3 * half_range, np.maximum(2 * half_range, sigma0))
        self._log_sigma_range = tuple(np.log(self.sigma_range))

    def _array_specs(self):
        table = ArraySpec((self.coder.size, self.m))
        return {"theta": table, "y": table, "v": ArraySpec((self.coder.size,))}

    def _tables(self):
        return self.theta, self.y, self.v


class TileSAC(GaussianTileActorCritic):
    """SAC, the stochastic actor-critic of the DPG paper's §5.2 (Degris, Pilarski & Sutton 2012a),
    on-policy with λ = 0: :func:`sac_update`.  Arguments: ``alpha_v`` (critic), ``alpha_u``
    (actor), ``sigma_init``, ``gamma``, the tile coding (``n_tilings``, ``tiles_per_dim``,
    ``table_size``), ``seed``."""

    def _sigma_args(self, tables):
        return True, tables[1], *self._log_sigma_range, self._log_sigma_range[0]  # the last unread

    def _update(self, tables, idx, idx2, a, r, terminated, steps):  # sac_update, σ's log bounds computed once
        return _gaussian_step(*tables, idx, idx2, a, r, self.gamma, terminated, self._log_sigma_range, None, *steps)  # pyright: ignore[reportCallIssue] - pyright cannot count the unpacked lists


class TileOffPAC(GaussianTileActorCritic):
    """OffPAC (Degris, White & Sutton 2012b) as the DPG paper runs it: λ = 0, no correction
    weights, behaviour N(θᵀφ(s), σ_β²) with ``sigma`` = σ_β (default half the action range):
    :func:`offpac_update`.  Other arguments as :class:`TileSAC`'s."""

    def __init__(self, env: gym.Env | str, sigma: float | None = None, **hyperparameters: Any):
        super().__init__(env, sigma=sigma, **hyperparameters)
        self.sigma = self._half_range_or(sigma, "sigma")

    def _sigma_args(self, tables):
        return False, tables[1], *self._log_sigma_range, self.sigma

    def _update(self, tables, idx, idx2, a, r, terminated, steps):  # offpac_update, σ's log bounds computed once
        gamma, sigma_b = self.gamma, self.sigma
        return _gaussian_step(*tables, idx, idx2, a, r, gamma, terminated, self._log_sigma_range, sigma_b, *steps)  # pyright: ignore[reportCallIssue] - pyright cannot count the unpacked lists


class TileCOPDACQ(TileActorCritic):
    """COPDAC-Q on tile features (Silver et al. 2014, §5.2): μθ(s) = θᵀφ(s), behaviour
    N(μθ(s), σ_β²) with ``sigma`` = σ_β (default half the action range), step sizes
    ``alpha_theta``, ``alpha_w``, ``alpha_v``: :func:`copdac_q_tile_update`.  (``COPDACQ`` is the
    same algorithm on RBF features or networks.)"""

    STEP_SIZES = ("alpha_theta", "alpha_w", "alpha_v")

    def __init__(
        self,
        env: gym.Env | str,
        alpha_theta: float = 0.01,
        alpha_w: float = 0.1,
        alpha_v: float = 0.1,
        sigma: float | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(env, alpha_theta=alpha_theta, alpha_w=alpha_w, alpha_v=alpha_v, sigma=sigma, **hyperparameters)
        self.alpha_theta = self._step(alpha_theta, "alpha_theta")
        self.alpha_w, self.alpha_v = self._step(alpha_w, "alpha_w"), self._step(alpha_v, "alpha_v")
        self.sigma = self._half_range_or(sigma, "sigma")
        self.w = np.zeros((self.coder.size, self.m))

    def _array_specs(self):
        table = ArraySpec((self.coder.size, self.m))
        return {"theta": table, "w": table, "v": ArraySpec((self.coder.size,))}

    def _tables(self):
        return self.theta, self.w, self.v

    def _sigma_args(self, tables):
        return False, tables[1], self.sigma, self.sigma, self.sigma  # w and the bounds unread

    def _update(self, tables, idx, idx2, a, r, terminated, steps):
        return copdac_q_tile_update(*tables, idx, idx2, a, r, self.gamma, terminated, *steps)  # pyright: ignore[reportCallIssue] - pyright cannot count the unpacked lists


@njit(cache=True)
def _take_rows(buffer, used, acting, out) -> bool:
    """``out[k]``: the next unused row of seed ``k``'s block if it acts (else zeros); whether a
    block is now spent."""
    spent = False
    for k in range(len(used)):
        for j in range(out.shape[1]):
            out[k, j] = buffer[k, used[k], j] if acting[k] else 0.0
        used[k] += acting[k]
        spent |= used[k] == buffer.shape[1]
    return spent


class NoiseBlocks:
    """Each seed's behaviour noise, drawn from its agent's own stream ``block`` steps at a time
    (one call per block instead of one per step): ``rng.standard_normal((block, m))`` is the same
    sequence as ``block`` calls of ``rng.standard_normal(m)``.  ``sync()`` puts every stream
    where the per-step draws would have left it."""

    def __init__(self, rngs: list[np.random.Generator], m: int, block: int = 256):
        self.rngs, self.m, self.block = rngs, m, block
        self.buffer = np.empty((len(rngs), block, m))
        self.used = np.full(len(rngs), block)  # every block is spent: the first draw fills them
        self._states: list[Mapping[str, Any] | None] = [None] * len(rngs)
        self._spent = True  # some seed has used its whole block

    def draw(self, acting: np.ndarray) -> np.ndarray:
        """One draw ``(N, m)`` for each acting seed (zeros for the others; their streams wait)."""
        if self._spent:
            for k in np.flatnonzero(self.used == self.block):
                self._states[k] = self.rngs[k].bit_generator.state
                self.buffer[k] = self.rngs[k].standard_normal((self.block, self.m))
                self.used[k] = 0
        noise = np.empty((len(acting), self.m))
        self._spent = _take_rows(self.buffer, self.used, acting, noise)
        return noise

    def sync(self) -> None:
        for k, rng in enumerate(self.rngs):
            state = self._states[k]
            if state is not None and self.used[k] < self.block:
                rng.bit_generator.state = state
                rng.standard_normal((self.used[k], self.m))
                self.used[k] = self.block


class SeedBatch:
    """Independent runs of one tile actor-critic with many seeds, as one array program on
    ``env_id``'s native vector env (the parameter tables stacked to ``(N, size, ...)``).

    ``settings`` (optional, one dict per seed) gives each member its own step sizes (the
    arguments in the class's ``STEP_SIZES``; everything else is ``agent_kwargs``, shared), so a
    step-size sweep runs as one batch too.  ``learn(n)`` steps the batch until every seed has
    taken ``n`` more steps.  A sub-env's autoreset step takes no action, so a seed whose episodes
    ended less often takes a few steps more (``steps`` holds each seed's count; a sub-env cannot
    wait for the others).  Seed ``k``'s run is, bit for bit, the agent ``cls(gym.make(env_id,
    **env_kwargs), seed=seeds[k], **agent_kwargs, **settings[k])`` after ``learn(steps[k])``:
    each sub-env is seeded as that agent seeds its env (the vector env's ``reset(seed=[...])``),
    each seed draws its behaviour noise from its own agent's stream, and an autoreset step
    neither draws nor learns.  ``test_returns(seeds)`` is each member's return of the mean policy
    on one episode of the env seeded with its own seed of ``seeds``, the measure of the DPG paper's Figure 2;
    ``agents()`` gives the trained agents.

    A member whose draw or TD error stops being finite (a step size too large for the task: its
    tables overflowed) is marked in ``diverged`` and frozen: from then on it sends the action 0,
    learns nothing and tests as NaN, while the other members run on unchanged (the run alone
    would have stopped there, the env refusing a non-finite action).
    """

    def __init__(
        self,
        cls: type[TileActorCritic],
        env_id: str,
        seeds: Sequence[int],
        env_kwargs: dict | None = None,
        settings: Sequence[dict[str, Any]] | None = None,
        **agent_kwargs: Any,
    ):
        self.env_id, self.env_kwargs = env_id, dict(env_kwargs or {})
        self.seeds = [int(s) for s in seeds]
        settings = [{}] * len(self.seeds) if settings is None else [dict(s) for s in settings]
        if len(settings) != len(self.seeds):
            raise ValueError(f"settings must hold one dict per seed ({len(self.seeds)}), got {len(settings)}")
        for s in settings:
            if set(s) - set(cls.STEP_SIZES):
                raise ValueError(
                    f"settings may only vary the step sizes {cls.STEP_SIZES} of {cls.__name__}, "
                    f"got {sorted(set(s) - set(cls.STEP_SIZES))}"
                )
        self._agents = [
            cls(gym.make(env_id, **self.env_kwargs), seed=seed, **{**agent_kwargs, **s})
            for seed, s in zip(self.seeds, settings)
        ]
        self.lead = self._agents[0]
        self.n = len(self._agents)
        self.tables = [np.stack(group) for group in zip(*(agent._tables() for agent in self._agents))]
        self._step_sizes = [np.array(column) for column in zip(*(agent.step_sizes() for agent in self._agents))]
        self.venv = self._vector_env()
        obs, _ = self.venv.reset(seed=self.seeds)
        self._idx = self.lead.coder.index(obs)
        self._restarting = np.zeros(self.n, dtype=np.bool_)
        self.steps = np.zeros(self.n, dtype=np.int64)
        self._returns, self._lengths = np.zeros(self.n), np.zeros(self.n, dtype=np.int64)
        self._noise = NoiseBlocks([agent.rng for agent in self._agents], self.lead.m)
        self.diverged = np.zeros(self.n, dtype=np.bool_)
        self._any_diverged = False

    def _vector_env(self) -> VectorEnv:
        venv = gym.make_vec(self.env_id, num_envs=self.n, vectorization_mode="vector_entry_point", **self.env_kwargs)
        if not isinstance(venv, VectorEnv):  # a seed per sub-env is the core's
            raise TypeError(f"SeedBatch runs on an rl_envs native vector env, got {type(venv).__name__}")
        return venv

    def learn(self, total_timesteps: int) -> SeedBatch:
        lead, end = self.lead, self.steps + timesteps(total_timesteps)
        while np.any(self.steps < end):
            acting = ~self._restarting
            a, sent, finite = lead._act(self.tables, self._idx, self._noise.draw(acting))
            self._freeze(None if finite else ~np.isfinite(a).all(axis=1), sent)
            obs2, r, terminated, truncated, _ = self.venv.step(sent)
            idx2 = lead.coder.index(obs2)  # the next step's idx too: obs2 is its observation
            learning = acting & ~self.diverged if self._any_diverged else acting
            delta = lead._update(
                self.tables, self._idx, idx2, a, r, terminated, [s * learning for s in self._step_sizes]
            )
            if not np.isfinite(delta).all():
                self._freeze(~np.isfinite(delta) & learning, sent)
            self.steps += acting
            self._returns += np.where(acting, r, 0.0)
            self._lengths += acting
            ended = acting & (terminated | truncated)
            if ended.any():
                for k in np.flatnonzero(ended):
                    self._agents[k].episodes.add(self._returns[k], self._lengths[k], self.steps[k])
                    self._returns[k], self._lengths[k] = 0.0, 0
            self._restarting = terminated | truncated
            self._idx = idx2
        return self

    def _freeze(self, bad: np.ndarray | np.bool_ | None, sent: np.ndarray) -> None:
        """Mark the members in ``bad`` (if any) diverged; every diverged member's action sent is 0."""
        if bad is not None and bad.any():
            self.diverged |= bad
            self._any_diverged = True
        if self._any_diverged:
            sent[self.diverged] = 0.0

    def test_returns(self, seeds: Sequence[int] | np.ndarray) -> np.ndarray:
        """Each member's return, ``(N,)``, of its mean policy θᵀφ(s) over one episode of the env
        reset with its own seed of ``seeds`` (one per member, from its run's test stream,
        :func:`baselines.seeds.checkpoint_test_seeds`; NaN for a diverged member)."""
        seeds = [int(s) for s in seeds]
        if len(seeds) != self.n:
            raise ValueError(f"seeds must hold one test seed per member ({self.n}), got {len(seeds)}")
        venv = self._vector_env()
        obs, _ = venv.reset(seed=seeds)
        total, running = np.zeros(self.n), np.ones(self.n, dtype=np.bool_)
        zero = np.zeros((self.n, self.lead.m))
        while running.any():
            _, sent, _ = self.lead._act(self.tables, self.lead.coder.index(obs), zero)
            self._freeze(None, sent)
            obs, r, terminated, truncated, _ = venv.step(sent)
            total += np.where(running, r, 0.0)
            running &= ~(terminated | truncated)
        venv.close()
        return np.where(self.diverged, np.nan, total)

    def agents(self) -> list:
        """The agents, each holding its seed's tables, step count, episodes and random stream
        (a copy of the tables)."""
        self._noise.sync()
        for k, agent in enumerate(self._agents):
            for name, table in zip(agent._array_specs(), self.tables):
                setattr(agent, name, table[k].copy())
            agent.num_timesteps = int(self.steps[k])
        return self._agents
