"""The continuous quadratic bandit of Silver et al. 2014, Sec. 5.1."""

from __future__ import annotations

from collections import deque

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from .rendering import RenderMixin, VectorRenderMixin, check_render_mode
from .validation import as_box_action, integer, positive, real_array, symmetric_matrix
from .vector import TaskVectorEnv, vector_signature

EIGENVALUES = (0.1, 1.0)


def quadratic_cost(a, C: np.ndarray, a_star: np.ndarray) -> np.ndarray | float:
    """``(a - a*)^T C (a - a*)`` for one action ``(m,)`` or a batch ``(..., m)``."""
    d = np.asarray(a, dtype=np.float64) - a_star
    return np.einsum("...i,ij,...j->...", d, C, d)


def random_cost_matrix(dim: int, rng: np.random.Generator, eigenvalues=EIGENVALUES) -> np.ndarray:
    """``Q diag(lambda) Q^T`` with each ``lambda_i`` drawn from ``eigenvalues`` and ``Q`` Haar-orthogonal.

    The paper does not say how its C was built; a uniformly random rotation is the
    assumption that favours no direction of the action space.
    """
    lam = rng.choice(np.asarray(eigenvalues, dtype=np.float64), size=dim)
    Q, R = np.linalg.qr(rng.standard_normal((dim, dim)))
    Q *= np.sign(np.diag(R))  # without the sign fix QR's rotations are not uniformly distributed
    C = (Q * lam) @ Q.T
    return (C + C.T) / 2


def _check_cost_matrix(C, dim: int) -> np.ndarray:
    C = symmetric_matrix(real_array(C, "C", shape=(dim, dim)), "C", definite=True)
    return (C + C.T) / 2


class QuadraticBanditTask:
    """What the single and the vector bandit share (the pattern of :mod:`rl_envs.vector`; the
    arguments are documented on :class:`QuadraticBanditEnv`)."""

    def __init__(self, dim: int = 10, C=None, a_star=None, action_bound: float = 20.0,
                 render_mode: str | None = None):
        self.render_mode = check_render_mode(render_mode, self.metadata)
        self.dim = integer(dim, "dim")
        self.action_bound = positive(action_bound, "action_bound")
        self.a_star = np.full(self.dim, 4.0) if a_star is None else real_array(a_star, "a_star", shape=(self.dim,))
        if np.any(np.abs(self.a_star) >= self.action_bound):
            raise ValueError(f"a_star must be strictly inside the action box (-{self.action_bound}, {self.action_bound})")
        self._fixed_C = C is not None
        self._set_problem(_check_cost_matrix(C, self.dim) if self._fixed_C else random_cost_matrix(self.dim, self.np_random))
        self.action_space = spaces.Box(-self.action_bound, self.action_bound, (self.dim,), np.float32)
        self.observation_space = spaces.Box(0.0, 1.0, (1,), np.float32)
        self._obs = np.zeros(1, dtype=np.float32)

    def _set_problem(self, C: np.ndarray) -> None:
        self.C = C
        self.eigenvalues, self._eigenvectors = np.linalg.eigh(C)

    def problem_kwargs(self) -> dict:
        """The constructor arguments that rebuild this very problem (a seeded reset of an env
        made without ``C`` draws another): to evaluate a policy on the problem it learned."""
        return {"C": self.C.copy()}

    def _redraw_on_seed(self, seed: int | None) -> None:
        """A seeded reset draws a new problem (unless ``C`` was given)."""
        if seed is not None and not self._fixed_C:
            self._set_problem(random_cost_matrix(self.dim, self.np_random))

    def _pull(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The clipped actions ``(k, m)`` and their costs ``(k,)``; the single env pulls a batch
        of one, so that one copy of the vector env computes exactly what it does."""
        a = np.clip(actions, -self.action_bound, self.action_bound)
        return a, quadratic_cost(a, self.C, self.a_star)

    # -- exact references -------------------------------------------------------------------

    def cost(self, a) -> np.ndarray | float:
        """The positive cost of an action ``(m,)`` (a float) or a batch ``(..., m)`` (an array)."""
        a = np.asarray(a, dtype=np.float64)
        if a.shape[-1:] != (self.dim,):
            raise ValueError(f"actions must have a last axis of length {self.dim}, got shape {a.shape}")
        c = quadratic_cost(a, self.C, self.a_star)
        return float(c) if a.ndim == 1 else c

    def optimal_cost(self) -> float:
        return 0.0

    def optimal_return(self) -> float:
        return 0.0

    # -- rendering ----------------------------------------------------------------------------

    _HISTORY = 200  # pulls kept for drawing (the cost strip's width)
    _PLANE = 300  # px, the square landscape panel; the cost strip sits to its right
    _LOG_RANGE = (-4.0, 3.0)  # decades shown in the cost strip

    def _canvas_size(self):
        return (2 * self._PLANE, self._PLANE)

    def _paint_pulls(self, pg, surface, actions, costs):
        """The landscape with ``actions`` (oldest first) projected on it, and their ``costs``."""
        u = self._eigenvectors[:, [0, -1]]  # flattest and steepest directions
        lam = self.eigenvalues[[0, -1]]
        half = 4.0 * max(np.abs(self.a_star).max(), 1.0)  # projections of a - a* are a few |a*| wide
        scale = (self._PLANE / 2) / half
        cx = cy = self._PLANE / 2

        def to_px(xy):
            return (cx + xy[0] * scale, cy - xy[1] * scale)

        surface.set_clip(pg.Rect(0, 0, self._PLANE, self._PLANE))
        # Level sets c = 10^k are ellipses with semi-axes sqrt(c / lambda) in this plane.
        for k in range(int(self._LOG_RANGE[0]), int(self._LOG_RANGE[1]) + 1):
            rx, ry = np.sqrt(10.0 ** k / lam) * scale
            if 1 <= rx <= 4 * self._PLANE and 1 <= ry <= 4 * self._PLANE:
                shade = int(120 + 15 * (k - self._LOG_RANGE[0]))
                pg.draw.ellipse(surface, (shade, shade, 255), pg.Rect(cx - rx, cy - ry, 2 * rx, 2 * ry), 1)
        pg.draw.line(surface, (200, 200, 200), (0, cy), (self._PLANE, cy))
        pg.draw.line(surface, (200, 200, 200), (cx, 0), (cx, self._PLANE))
        if len(actions):
            xy = (np.asarray(actions) - self.a_star) @ u
            for i, p in enumerate(xy):
                fade = int(230 - 180 * (i + 1) / len(xy))
                pg.draw.circle(surface, (250, fade, fade), to_px(p), 2)
            pg.draw.circle(surface, (200, 30, 30), to_px(xy[-1]), 5)
        pg.draw.circle(surface, (20, 140, 20), (cx, cy), 5)  # a*
        surface.set_clip(None)
        pg.draw.line(surface, (0, 0, 0), (self._PLANE, 0), (self._PLANE, self._PLANE), 2)

        lo, hi = self._LOG_RANGE

        def y_of(log_c):
            return self._PLANE * (hi - np.clip(log_c, lo, hi)) / (hi - lo)

        for k in range(int(lo), int(hi) + 1):
            pg.draw.line(surface, (225, 225, 225), (self._PLANE + 4, y_of(k)), (2 * self._PLANE - 4, y_of(k)))
        if len(costs):
            logs = np.log10(np.maximum(np.asarray(costs), 1e-300))
            xs = self._PLANE + 4 + (self._PLANE - 8) * np.arange(len(logs)) / max(self._HISTORY - 1, 1)
            points = [(float(x), float(y_of(v))) for x, v in zip(xs, logs)]
            if len(points) > 1:
                pg.draw.lines(surface, (200, 30, 30), False, points, 2)
            pg.draw.circle(surface, (200, 30, 30), points[-1], 4)


class QuadraticBanditEnv(QuadraticBanditTask, RenderMixin, gym.Env):
    """DPG §5.1, optimum a*.

    ## Description

    The continuous bandit of Silver et al. (2014), *Deterministic Policy Gradient
    Algorithms*, Sec. 5.1: every episode is a single action ``a`` in ``R^m``, and the cost
    ``-r(a) = (a - a*)^T C (a - a*)`` is a positive-definite quadratic whose eigenvalues are
    drawn from ``{0.1, 1}``, with ``a* = [4, ..., 4]``.  The paper uses ``m = 10, 25, 50``.

    ## Action Space

    ``Box(-action_bound, action_bound, (dim,), float32)``, by default ``[-20, 20]^m``, which
    holds ``a*`` with room to spare (the paper's units, so not the ``[-1, 1]`` box SB3
    recommends).  Actions of any float dtype are accepted and the cost is computed in float64.  ``action_out_of_range = "clip"``: an action outside the
    box is clipped to it before the cost is computed (the paper caps out-of-range actions,
    Sec. 5.2).  NaN, infinite, non-numeric (str, bool, complex, None) or wrongly shaped actions
    raise ``ValueError``.

    ## Observation Space

    ``Box(0, 1, (1,), float32)``, always ``[0.]``: a bandit has no state, and a length-1
    vector is what SB3's policies accept.

    ## Rewards

    ``-(a - a*)^T C (a - a*)`` as a Python float, so 0 at ``a*`` and negative elsewhere.
    ``info["cost"]`` holds the positive cost.

    ## Starting State

    Always the constant observation.  The problem itself (``C``; and ``a*`` when not given)
    is drawn from the seed at ``reset(seed=...)``: ``C = Q diag(lambda) Q^T`` with every
    ``lambda_i`` uniform on ``{0.1, 1}`` and ``Q`` a uniformly random rotation.  ``reset()``
    without a seed keeps the current problem, so an agent can learn it over many episodes.
    A ``C`` passed as an argument is never redrawn.

    ## Episode End

    * Termination: after every step (one action per episode).
    * Truncation: never.

    A bandit has no state, so ``step`` may be called again without ``reset``: every call is
    a fresh pull of the same problem.

    ## Exact references (on ``env.unwrapped``)

    * ``a_star``: the optimal action; ``optimal_cost() == 0``, ``optimal_return() == 0``.
    * ``C``: the cost matrix (its eigenvalues ``eigenvalues``, ascending).
    * ``cost(a)``: the cost of an action ``(m,)`` or a batch ``(..., m)``.

    ## Arguments

    * ``dim``: the action dimension ``m`` (default 10; any ``m >= 1``).
    * ``C``: a symmetric positive definite ``(m, m)`` matrix; drawn from the seed if ``None``.
    * ``a_star``: the optimal action, shape ``(m,)``, strictly inside the box (default all 4).
    * ``action_bound``: half-width of the action box (default 20).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the cost landscape in the plane through
      ``a*`` spanned by the eigenvectors of the smallest and largest eigenvalues, with the
      recent actions projected on it, next to the log cost of the recent actions.

    ## Vector environment

    ``gymnasium.make_vec("rl_envs/QuadraticBandit-v0", num_envs=n, ...)`` gives
    :class:`QuadraticBanditVectorEnv`: ``n`` copies of one problem pulled in one call.

    ```python
    env = gymnasium.make("rl_envs/QuadraticBandit-v0", dim=50)
    env.reset(seed=0)
    env.unwrapped.cost(np.zeros(50))  # cost of the action 0
    ```
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}
    action_out_of_range = "clip"

    def _set_problem(self, C: np.ndarray) -> None:
        super()._set_problem(C)
        self.actions: deque = deque(maxlen=self._HISTORY)
        self.costs: deque = deque(maxlen=self._HISTORY)

    # -- dynamics ---------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._redraw_on_seed(seed)
        if self.render_mode == "human":
            self.render()
        return self._obs.copy(), {}

    def step(self, action):
        a, cost = self._pull(as_box_action(action, self.action_space)[None])
        a, cost = a[0], float(cost[0])
        self.actions.append(a)
        self.costs.append(cost)
        if self.render_mode == "human":
            self.render()
        return self._obs.copy(), -cost, True, False, {"cost": cost}

    def _paint(self, pg, surface):
        self._paint_pulls(pg, surface, self.actions, self.costs)


class QuadraticBanditVectorEnv(TaskVectorEnv, QuadraticBanditTask, VectorRenderMixin, VectorEnv):
    """``num_envs`` copies of one bandit problem, pulled with one array operation (see
    :class:`QuadraticBanditEnv` for the task; the arguments are the same plus ``num_envs``).

    Autoreset is next-step, as in Gymnasium's ``CartPoleVectorEnv``: every pull ends its
    episode, so a copy's next step restarts it (observation ``[0.]``, reward 0, its action
    ignored, ``info["_cost"]`` False) and the step after pulls again.  A seeded ``reset`` draws
    the one problem that every copy shares from the vector env's ``np_random``, as the single
    env draws it, so with ``num_envs=1`` the env reproduces :class:`QuadraticBanditEnv` bit for
    bit.  ``info["cost"]`` holds the costs (mask ``info["_cost"]``: the copies that pulled).
    ``render_mode="rgb_array"`` renders a tuple of frames, one per copy, showing its last pull.
    The exact references (``C``, ``a_star``, ``cost(a)``, ...) are those of :class:`QuadraticBanditEnv`.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30, "autoreset_mode": AutoresetMode.NEXT_STEP}
    action_out_of_range = "clip"
    __signature__ = vector_signature(QuadraticBanditTask)
    max_steps = 1  # every episode is one pull, and the pull terminates it, so truncation never fires
    _last_actions: np.ndarray | None = None  # no pull yet

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        out = super().reset(seed=seed, options=options)
        self._redraw_on_seed(seed)  # after the seeding; starting a copy draws nothing
        return out

    def _start(self, mask: np.ndarray, options: dict | None = None) -> None:
        if self._last_actions is not None:
            self._last_costs[mask] = np.nan

    def _observe(self):
        return np.zeros((self.num_envs, 1), dtype=np.float32), {}

    def step(self, actions):
        a = as_box_action(actions, self.action_space)
        restarted = self._begin_step()  # their step is discarded: they start a new episode instead
        pulled = ~restarted
        a, cost = self._pull(a)
        cost = np.where(pulled, cost, 0.0)
        terminated = pulled.copy()
        truncated = self._finish_step(restarted, terminated)
        if self.render_mode is not None:
            if self._last_actions is None:
                self._last_actions, self._last_costs = np.full_like(a, np.nan), np.full(self.num_envs, np.nan)
            self._last_actions[pulled], self._last_costs[pulled] = a[pulled], cost[pulled]
        return (np.zeros((self.num_envs, 1), dtype=np.float32), np.where(pulled, -cost, 0.0), terminated, truncated,
                {"cost": cost, "_cost": pulled})

    def _paint_env(self, pg, surface, i: int) -> None:
        pulled = self._last_actions is not None and not np.isnan(self._last_costs[i])
        self._paint_pulls(pg, surface, self._last_actions[i:i + 1] if pulled else (),
                          self._last_costs[i:i + 1] if pulled else ())


__all__ = ["QuadraticBanditEnv", "QuadraticBanditVectorEnv", "quadratic_cost", "random_cost_matrix"]
