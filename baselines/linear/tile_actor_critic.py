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

import numpy as np
import gymnasium as gym
from numba import njit
from gymnasium import spaces
from rl_envs.validation import discount

from ..common import Agent, ArraySpec, check_positive, timesteps
from ..tiles import TileCoder


@njit(cache=True)
def _sum_rows(W: np.ndarray, idx: np.ndarray) -> np.ndarray:
    out = np.zeros((W.shape[0], W.shape[2]))
    for k in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            for j in range(W.shape[2]):
                out[k, j] += W[k, idx[k, t], j]
    return out


@njit(cache=True)
def _add_rows(W: np.ndarray, idx: np.ndarray, step: np.ndarray) -> None:
    for k in range(idx.shape[0]):
        for t in range(idx.shape[1]):
            for j in range(W.shape[2]):
                W[k, idx[k, t], j] += step[k, j]


def linear_value(W: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Wᵀφ(s) of each learner for binary tile features with active tiles ``idx`` (N, n_tilings)."""
    return _sum_rows(W.reshape(*W.shape[:2], -1), idx).reshape(W.shape[:1] + W.shape[2:])


def add_at_tiles(W: np.ndarray, idx: np.ndarray, step: np.ndarray) -> None:
    """W += step φ(s) for each learner, in place (row by row: a state's tiles may share a hashed row)."""
    _add_rows(W.reshape(*W.shape[:2], -1), idx, np.asarray(step, dtype=np.float64).reshape(len(W), -1))


def gaussian_scores(a: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """σ² ∂ log N(a; μ, σ²)/∂μ and ∂ log N(a; μ, σ²)/∂ log σ: ``(a - μ, (a - μ)²/σ² - 1)``."""
    d = a - mu
    return d, (d / sigma) ** 2 - 1.0


def td_error(v: np.ndarray, idx, idx2, r, gamma: float, terminated) -> np.ndarray:
    """δ = r + γ vᵀφ(s') − vᵀφ(s), with vᵀφ(s') = 0 after a terminal transition."""
    return r + gamma * np.where(terminated, 0.0, linear_value(v, idx2)) - linear_value(v, idx)


def policy_sigma(y: np.ndarray, idx: np.ndarray, sigma_range) -> np.ndarray:
    """σ(s) = exp(yᵀφ(s)), held in ``sigma_range = (low, high)``: an unbounded σ overflows (and a
    vanishing one makes ρ and the score explode) once a step size is too large for the task."""
    return np.exp(np.clip(linear_value(y, idx), *np.log(sigma_range)))


def sac_update(theta, y, v, idx, idx2, a, r, gamma, terminated, sigma_range, alpha_v, alpha_u) -> np.ndarray:
    """One SAC step (Degris, Pilarski & Sutton 2012a, λ = 0), in place; returns δ.

    δ = r + γ vᵀφ(s') − vᵀφ(s);  v += α_v δ φ(s);  (θ, y) += α_u δ (g_μ, g_y) φ(s), with
    (g_μ, g_y) = :func:`gaussian_scores`.
    """
    mu, sigma = linear_value(theta, idx), policy_sigma(y, idx, sigma_range)
    delta = td_error(v, idx, idx2, r, gamma, terminated)
    g_mu, g_y = gaussian_scores(a, mu, sigma)
    add_at_tiles(v, idx, alpha_v * delta)
    add_at_tiles(theta, idx, (alpha_u * delta)[:, None] * g_mu)
    add_at_tiles(y, idx, (alpha_u * delta)[:, None] * g_y)
    return delta


def importance_ratio(a: np.ndarray, mu: np.ndarray, sigma: np.ndarray, sigma_b) -> np.ndarray:
    """ρ = π(a|s) / b(a|s) for π = N(μ, σ²) and b = N(μ, σ_β²), independent over the last axis."""
    d2 = (a - mu) ** 2
    log_rho = np.log(sigma_b / sigma) - 0.5 * d2 * (1.0 / sigma**2 - 1.0 / sigma_b**2)
    return np.exp(log_rho.sum(axis=-1))


def offpac_update(theta, y, v, idx, idx2, a, r, gamma, terminated, sigma_range, sigma_b, alpha_v, alpha_u) -> np.ndarray:
    """One OffPAC step (Degris, White & Sutton 2012b) with λ = 0 and no correction weights, in place.

    With λ = 0 the traces are e_v = ρ φ(s) and e_u = ρ ∇ log π(a|s); with the GTD(λ) weights
    held at 0 the critic's correction term vanishes:  v += α_v ρ δ φ(s);  (θ, y) += α_u ρ δ (g_μ, g_y) φ(s).
    """
    mu, sigma = linear_value(theta, idx), policy_sigma(y, idx, sigma_range)
    rho = importance_ratio(a, mu, sigma, sigma_b)
    delta = td_error(v, idx, idx2, r, gamma, terminated)
    g_mu, g_y = gaussian_scores(a, mu, sigma)
    add_at_tiles(v, idx, alpha_v * rho * delta)
    add_at_tiles(theta, idx, (alpha_u * rho * delta)[:, None] * g_mu)
    add_at_tiles(y, idx, (alpha_u * rho * delta)[:, None] * g_y)
    return delta


def copdac_q_tile_update(theta, w, v, idx, idx2, a, r, gamma, terminated, alpha_theta, alpha_w, alpha_v) -> np.ndarray:
    """One COPDAC-Q step (Silver et al. 2014, eqs 19-22) for μθ(s) = θᵀφ(s), in place; returns δ.

    ∇θμθ(s) = φ(s) ⊗ I_m, so φ(s, a) = ∇θμθ(s)(a − μθ(s)) is (a − μ) at the rows ``idx``,
    Q^w(s, a) = (a − μ)·wᵀφ(s) + vᵀφ(s), and ∇θμθ(s)ᵀ w = wᵀφ(s).
    """
    d = a - linear_value(theta, idx)
    advantage_gradient = linear_value(w, idx)  # ∇θμθ(s)ᵀ w, with w_t
    delta = td_error(v, idx, idx2, r, gamma, terminated) - (d * advantage_gradient).sum(axis=1)  # (19)
    add_at_tiles(theta, idx, np.expand_dims(alpha_theta, -1) * advantage_gradient)  # (20)
    add_at_tiles(w, idx, (alpha_w * delta)[:, None] * d)  # (21)
    add_at_tiles(v, idx, alpha_v * delta)  # (22)
    return delta


class TileActorCritic(Agent):
    """The shared part of :class:`TileSAC`, :class:`TileOffPAC` and :class:`TileCOPDACQ`: a 1-D Box
    observation with finite bounds, tile coded (``n_tilings`` tilings of ``tiles_per_dim`` tiles
    per dimension, a table of ``table_size`` rows), and a 1-D Box action.

    The behaviour's draw goes to the env clipped to the action box (the DPG paper caps
    out-of-range actions); the learner sees the raw draw, as in ``COPDACQ``.  ``predict`` with
    ``deterministic=True`` is the mean θᵀφ(s), the policy the DPG paper tests.
    """

    def __init__(self, env, gamma: float = 0.99, n_tilings: int = 10, tiles_per_dim: int = 10,
                 table_size: int = 1 << 16, seed: int | None = None, **hyperparameters):
        super().__init__(env, seed=seed, gamma=gamma, n_tilings=n_tilings, tiles_per_dim=tiles_per_dim,
                         table_size=table_size, **hyperparameters)
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

    def _step(self, value: float, name: str) -> float:
        """A step size, divided by n_tilings (the squared norm of φ(s))."""
        return check_positive(value, name, allow_zero=True) / self.coder.n_tilings

    def _half_range_or(self, value, name: str) -> np.ndarray:
        """A standard deviation per action dimension: ``value``, or half the action range if None."""
        return (self.high - self.low) / 2 if value is None else np.full(self.m, check_positive(value, name))

    def _one(self) -> list[np.ndarray]:
        """This agent's tables as a batch of one learner (views: updates write into them)."""
        return [t[None] for t in self._tables()]

    def _behaviour_sigma(self, tables, idx) -> np.ndarray:
        """The behaviour's standard deviations ``(N, m)`` of a batch of learners."""
        raise NotImplementedError

    def _behave(self, obs):
        idx = self.coder.tiles(np.asarray(obs, dtype=np.float64))[None]
        tables = self._one()
        a = linear_value(tables[0], idx)[0] + self._behaviour_sigma(tables, idx)[0] * self.rng.standard_normal(self.m)
        return np.clip(a, self.low, self.high).astype(self.action_space.dtype), (idx, a)

    def _learn_step(self, memo, r, s2, terminated, truncated) -> float:
        idx, a = memo
        idx2 = self.coder.tiles(np.asarray(s2, dtype=np.float64))[None]
        return float(self._update(self._one(), idx, idx2, a[None], np.array([r]), np.array([terminated]), 1.0)[0])

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        obs = np.asarray(observation, dtype=np.float64)
        d = self.observation_space.shape[0]
        if obs.shape[-1:] != (d,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape ({d},) or (N, {d}), got {obs.shape}")
        idx = self.coder.tiles(np.atleast_2d(obs))
        tables = [np.broadcast_to(t, (len(idx), *t.shape)) for t in self._tables()]  # every state, this agent
        actions = linear_value(tables[0], idx)
        if not deterministic:
            actions = actions + self._behaviour_sigma(tables, idx) * self.rng.standard_normal(actions.shape)
        actions = np.clip(actions, self.low, self.high).astype(self.action_space.dtype)
        return (actions if obs.ndim == 2 else actions[0]), state


class GaussianTileActorCritic(TileActorCritic):
    """SAC's and OffPAC's policy N(θᵀφ(s), σ(s)²), σ(s) = exp(yᵀφ(s)) held in
    [10⁻³ h, max(2 h, sigma_init)] for half the action range h: ``sigma_init`` (default h, the
    DPG paper's initial variance read as a standard deviation) sets y."""

    def __init__(self, env, alpha_v: float = 0.1, alpha_u: float = 0.01, sigma_init: float | None = None,
                 **hyperparameters):
        super().__init__(env, alpha_v=alpha_v, alpha_u=alpha_u, sigma_init=sigma_init, **hyperparameters)
        self.alpha_v, self.alpha_u = self._step(alpha_v, "alpha_v"), self._step(alpha_u, "alpha_u")
        sigma0 = self._half_range_or(sigma_init, "sigma_init")
        self.y = np.tile(np.log(sigma0) / self.coder.n_tilings, (self.coder.size, 1))
        half_range = (self.high - self.low) / 2
        self.sigma_range = (1e-3 * half_range, np.maximum(2 * half_range, sigma0))

    def _array_specs(self):
        table = ArraySpec((self.coder.size, self.m))
        return {"theta": table, "y": table, "v": ArraySpec((self.coder.size,))}

    def _tables(self):
        return self.theta, self.y, self.v

    def _policy_sigma(self, tables, idx) -> np.ndarray:
        return policy_sigma(tables[1], idx, self.sigma_range)


class TileSAC(GaussianTileActorCritic):
    """SAC, the stochastic actor-critic of the DPG paper's §5.2 (Degris, Pilarski & Sutton 2012a),
    on-policy with λ = 0: :func:`sac_update`.  Arguments: ``alpha_v`` (critic), ``alpha_u``
    (actor), ``sigma_init``, ``gamma``, the tile coding (``n_tilings``, ``tiles_per_dim``,
    ``table_size``), ``seed``."""

    def _behaviour_sigma(self, tables, idx):
        return self._policy_sigma(tables, idx)

    def _update(self, tables, idx, idx2, a, r, terminated, learning):
        return sac_update(*tables, idx, idx2, a, r, self.gamma, terminated, self.sigma_range, self.alpha_v * learning,
                          self.alpha_u * learning)


class TileOffPAC(GaussianTileActorCritic):
    """OffPAC (Degris, White & Sutton 2012b) as the DPG paper runs it: λ = 0, no correction
    weights, behaviour N(θᵀφ(s), σ_β²) with ``sigma`` = σ_β (default half the action range):
    :func:`offpac_update`.  Other arguments as :class:`TileSAC`'s."""

    def __init__(self, env, sigma: float | None = None, **hyperparameters):
        super().__init__(env, sigma=sigma, **hyperparameters)
        self.sigma = self._half_range_or(sigma, "sigma")

    def _behaviour_sigma(self, tables, idx):
        return np.broadcast_to(self.sigma, (len(idx), self.m))

    def _update(self, tables, idx, idx2, a, r, terminated, learning):
        return offpac_update(*tables, idx, idx2, a, r, self.gamma, terminated, self.sigma_range, self.sigma,
                             self.alpha_v * learning,
                             self.alpha_u * learning)


class TileCOPDACQ(TileActorCritic):
    """COPDAC-Q on tile features (Silver et al. 2014, §5.2): μθ(s) = θᵀφ(s), behaviour
    N(μθ(s), σ_β²) with ``sigma`` = σ_β (default half the action range), step sizes
    ``alpha_theta``, ``alpha_w``, ``alpha_v``: :func:`copdac_q_tile_update`.  (``COPDACQ`` is the
    same algorithm on RBF features or networks.)"""

    def __init__(self, env, alpha_theta: float = 0.01, alpha_w: float = 0.1, alpha_v: float = 0.1,
                 sigma: float | None = None, **hyperparameters):
        super().__init__(env, alpha_theta=alpha_theta, alpha_w=alpha_w, alpha_v=alpha_v, sigma=sigma,
                         **hyperparameters)
        self.alpha_theta = self._step(alpha_theta, "alpha_theta")
        self.alpha_w, self.alpha_v = self._step(alpha_w, "alpha_w"), self._step(alpha_v, "alpha_v")
        self.sigma = self._half_range_or(sigma, "sigma")
        self.w = np.zeros((self.coder.size, self.m))

    def _array_specs(self):
        table = ArraySpec((self.coder.size, self.m))
        return {"theta": table, "w": table, "v": ArraySpec((self.coder.size,))}

    def _tables(self):
        return self.theta, self.w, self.v

    def _behaviour_sigma(self, tables, idx):
        return np.broadcast_to(self.sigma, (len(idx), self.m))

    def _update(self, tables, idx, idx2, a, r, terminated, learning):
        return copdac_q_tile_update(*tables, idx, idx2, a, r, self.gamma, terminated, self.alpha_theta * learning,
                                    self.alpha_w * learning, self.alpha_v * learning)


class SeedBatch:
    """Independent runs of one tile actor-critic with many seeds, as one array program on
    ``env_id``'s native vector env (the parameter tables stacked to ``(N, size, ...)``).

    ``learn(n)`` steps the batch until every seed has taken ``n`` more steps.  A sub-env's
    autoreset step takes no action, so a seed whose episodes ended less often takes a few steps
    more (``steps`` holds each seed's count; a sub-env cannot wait for the others).  Seed ``k``'s
    run is, bit for bit, the agent ``cls(gym.make(env_id, **env_kwargs), seed=seeds[k],
    **agent_kwargs)`` after ``learn(steps[k])``: each sub-env is seeded as that agent seeds its
    env (the vector env's ``reset(seed=[...])``), each seed draws its behaviour noise from its
    own agent's stream, and an autoreset step neither draws nor learns.  ``test_returns(seed)`` is each
    seed's return of the mean policy on one episode of the env seeded ``seed``, the measure of
    the DPG paper's Figure 2; ``agents()`` gives the trained agents.
    """

    def __init__(self, cls, env_id: str, seeds, env_kwargs: dict | None = None, **agent_kwargs):
        self.env_id, self.env_kwargs = env_id, dict(env_kwargs or {})
        self.seeds = [int(s) for s in seeds]
        self._agents = [cls(gym.make(env_id, **self.env_kwargs), seed=s, **agent_kwargs) for s in self.seeds]
        self.lead = self._agents[0]
        self.n = len(self._agents)
        self.tables = [np.stack(group) for group in zip(*(agent._tables() for agent in self._agents))]
        self.venv = self._vector_env()
        obs, _ = self.venv.reset(seed=self.seeds)
        self._idx = self.lead.coder.tiles(obs.astype(np.float64))
        self._restarting = np.zeros(self.n, dtype=np.bool_)
        self.steps = np.zeros(self.n, dtype=np.int64)
        self._returns, self._lengths = np.zeros(self.n), np.zeros(self.n, dtype=np.int64)
        self._noise = np.zeros((self.n, self.lead.m))

    def _vector_env(self):
        return gym.make_vec(self.env_id, num_envs=self.n, vectorization_mode="vector_entry_point", **self.env_kwargs)

    def _act(self, idx, noise):
        a = linear_value(self.tables[0], idx) + self.lead._behaviour_sigma(self.tables, idx) * noise
        return a, np.clip(a, self.lead.low, self.lead.high).astype(self.lead.action_space.dtype)

    def learn(self, total_timesteps: int) -> "SeedBatch":
        lead, end = self.lead, self.steps + timesteps(total_timesteps)
        while np.any(self.steps < end):
            acting = ~self._restarting
            for k in np.flatnonzero(acting):
                self._noise[k] = self._agents[k].rng.standard_normal(lead.m)
            a, sent = self._act(self._idx, self._noise)
            obs2, r, terminated, truncated, _ = self.venv.step(sent)
            idx2 = lead.coder.tiles(obs2.astype(np.float64))  # the next step's idx too: obs2 is its observation
            lead._update(self.tables, self._idx, idx2, a, r, terminated, acting.astype(np.float64))
            self.steps += acting
            self._returns += np.where(acting, r, 0.0)
            self._lengths += acting
            for k in np.flatnonzero(acting & (terminated | truncated)):
                self._agents[k].episodes.add(self._returns[k], self._lengths[k], self.steps[k])
                self._returns[k], self._lengths[k] = 0.0, 0
            self._restarting = terminated | truncated
            self._idx = idx2
        return self

    def test_returns(self, seed: int = 0) -> np.ndarray:
        """Each seed's return, ``(N,)``, of its mean policy θᵀφ(s) over one episode of the env
        reset with ``seed`` (the same start for every seed)."""
        venv = self._vector_env()
        obs, _ = venv.reset(seed=[int(seed)] * self.n)
        total, running = np.zeros(self.n), np.ones(self.n, dtype=np.bool_)
        while running.any():
            _, sent = self._act(self.lead.coder.tiles(obs.astype(np.float64)), 0.0)
            obs, r, terminated, truncated, _ = venv.step(sent)
            total += np.where(running, r, 0.0)
            running &= ~(terminated | truncated)
        venv.close()
        return total

    def agents(self) -> list:
        """The agents, each holding its seed's tables, step count and episodes (a copy of the tables)."""
        for k, agent in enumerate(self._agents):
            for name, table in zip(agent._array_specs(), self.tables):
                setattr(agent, name, table[k].copy())
            agent.num_timesteps = int(self.steps[k])
        return self._agents
