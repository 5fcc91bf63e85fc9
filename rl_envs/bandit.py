"""The continuous quadratic bandit of Silver et al. 2014, Sec. 5.1."""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike
from gymnasium import spaces

from .core import Reference, SingleEnv, Task, VectorEnv
from .core.vector import all_true
from .validation import clipped_box_actions, integer, positive, real_array, symmetric_matrix

EIGENVALUES = (0.1, 1.0)
HISTORY = 200  # pulls the single env draws (the cost strip's width)
PLANE = 300  # px, the square landscape panel; the cost strip sits to its right
LOG_RANGE = (-4.0, 3.0)  # decades shown in the cost strip


def quadratic_cost(a: ArrayLike, C: np.ndarray, a_star: np.ndarray) -> np.ndarray | float:
    """``(a - a*)^T C (a - a*)`` for one action ``(m,)`` or a batch ``(..., m)``."""
    d = np.subtract(a, a_star, dtype=np.float64)
    return np.einsum("...i,ij,...j->...", d, C, d)


def random_cost_matrix(dim: int, rng: np.random.Generator, eigenvalues: ArrayLike = EIGENVALUES) -> np.ndarray:
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


@dataclass(frozen=True, eq=False)  # eq=False: C may be an array, which does not compare to a bool
class QuadraticBanditTask(Task):
    """The bandit's parameters, batched pulls and exact references (documented on
    :class:`QuadraticBanditEnv`).

    A state holds, per copy, its last pull for the drawing: the clipped ``action`` and its
    ``cost`` (NaN before the episode's pull)."""

    dim: int = 10
    C: Any = None
    a_star: Any = None
    action_bound: float = 20.0
    # Set by __post_init__, not arguments (as are the spaces):
    action_space: spaces.Box = field(init=False, repr=False, compare=False)
    eigenvalues: np.ndarray = field(init=False, repr=False, compare=False)
    _eigenvectors: np.ndarray = field(init=False, repr=False, compare=False)
    _draws_C: bool = field(init=False, repr=False, compare=False)
    _no_pull: np.ndarray = field(init=False, repr=False, compare=False)
    _no_cost: np.ndarray = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}
    # Actions are in the paper's units (a* = [4, ..., 4]); a [-1, 1] box would not hold a*.
    documented_warnings = {
        "symmetric and normalized": "actions in the paper's units (Silver et al. 2014, §5.1): a* = [4, ..., 4]"
    }
    canvas_size = (2 * PLANE, PLANE)
    # every episode leaves its start state and its pull in the trail
    trail_length = 2 * HISTORY

    def __post_init__(self):
        dim = integer(self.dim, "dim")
        action_bound = positive(self.action_bound, "action_bound")
        a_star = np.full(dim, 4.0) if self.a_star is None else real_array(self.a_star, "a_star", shape=(dim,))
        if np.any(np.abs(a_star) >= action_bound):
            raise ValueError(f"a_star must be strictly inside the action box (-{action_bound}, {action_bound})")
        self._derive(
            dim=dim,
            action_bound=action_bound,
            a_star=a_star,
            max_steps=1,
            _draws_C=self.C is None,
            _no_pull=np.full((1, dim), np.nan),
            _no_cost=np.full(1, np.nan),
            action_space=spaces.Box(-action_bound, action_bound, (dim,), np.float32),
            observation_space=spaces.Box(0.0, 1.0, (1,), np.float32),
        )
        # Without C the env has a problem before its first seeded reset too: one drawn from
        # fresh entropy, as an unseeded env's np_random would draw it.
        self._set_problem(
            random_cost_matrix(dim, np.random.default_rng()) if self._draws_C else _check_cost_matrix(self.C, dim)
        )

    def _set_problem(self, C: np.ndarray) -> None:
        eigenvalues, eigenvectors = np.linalg.eigh(C)
        self._derive(C=C, eigenvalues=eigenvalues, _eigenvectors=eigenvectors)

    def redraw(self, rng: np.random.Generator, seeded: bool) -> QuadraticBanditTask:
        """The problem after a seeded reset: a new C drawn from ``rng`` (``random_cost_matrix``),
        unless C was given."""
        if not (seeded and self._draws_C):
            return self
        task = copy.copy(self)
        task._set_problem(random_cost_matrix(self.dim, rng))
        return task

    def frozen_problem(self) -> QuadraticBanditTask:
        return dataclasses.replace(self, C=self.C.copy())

    def problem_kwargs(self) -> dict:
        """The constructor arguments that rebuild this very problem (a seeded reset of an env
        made without ``C`` draws another): to evaluate a policy on the problem it learned."""
        return {"C": self.C.copy()}

    # -- pulls (batched) ----------------------------------------------------------------------

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> dict[str, np.ndarray]:
        if n == 1:  # the single env's, before every pull: copies take a third of np.full's time
            return {"action": self._no_pull.copy(), "cost": self._no_cost.copy()}
        return {"action": np.full((n, self.dim), np.nan), "cost": np.full(n, np.nan)}

    def check_action(self, action: Any, n: int | None) -> np.ndarray:
        return clipped_box_actions(action, self.action_space, n, self.action_bound)

    def transition(
        self, state: dict[str, np.ndarray], action: np.ndarray, noise: None
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict]:
        cost = cast(np.ndarray, quadratic_cost(action, self.C, self.a_star))  # of a batch: an array
        return {"action": action, "cost": cost}, -cost, all_true(len(action)), {"cost": cost}

    def step_one(
        self, state: dict[str, np.ndarray], action: np.ndarray, rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], np.ndarray, float, bool, dict]:
        """:meth:`transition` of one pull with a float cost out: on one action, building the
        batch's arrays around the cost took as long as the cost itself."""
        cost = cast(np.ndarray, quadratic_cost(action, self.C, self.a_star))
        c = cost.item()
        return {"action": action, "cost": cost}, np.zeros(1, dtype=np.float32), -c, True, {"cost": c}

    def observe(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return np.zeros((len(state["cost"]), 1), dtype=np.float32)

    def state_from(self, value: Any) -> dict[str, np.ndarray]:
        raise ValueError("QuadraticBandit has no state to set: every pull is an episode of its own")

    # -- exact references -------------------------------------------------------------------

    def cost(self, a: ArrayLike) -> np.ndarray | float:
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

    def random_cost(self) -> float:
        """The uniform-random policy's expected cost on this problem, exactly:
        ``E[(a - a*)' C (a - a*)] = tr(C Var a) + (E a - a*)' C (E a - a*) = tr(C) b^2 / 3 + a*' C a*``
        for ``a`` uniform in the box ``[-b, b]^m`` (``E a = 0``, ``Var a = (b^2 / 3) I``)."""
        return float(np.trace(self.C) * self.action_bound**2 / 3 + self.a_star @ self.C @ self.a_star)

    def reference(self) -> Reference:
        """The optimum (0, at ``a*``) and the uniform-random policy's expected reward
        (:meth:`random_cost`) of one pull on this problem ``C``.  Per problem, not averaged over the
        draw of ``C``: an agent is evaluated on the problem it learned (``problem_kwargs()``), and
        a seeded reset that draws another ``C`` gives another random value (about
        ``-0.55 (m b^2 / 3 + |a*|^2)`` on average over the draw, ``E[C] = 0.55 I``)."""
        random = -self.random_cost()
        return Reference(
            kind="exact",
            value=0.0,
            lower=0.0,
            upper=0.0,
            random=random,
            random_lower=random,
            random_upper=random,
            quantity="the reward of one pull (an episode) on this problem C",
            gamma=1.0,
            method="the optimum at a_star; the random policy's cost tr(C) b²/3 + a_starᵀ C a_star in closed form",
            citation="Silver et al. 2014, Deterministic Policy Gradient Algorithms, §5.1 (the task)",
        )

    # -- drawing ------------------------------------------------------------------------------

    def paint(self, pg: Any, surface: Any, state: dict[str, np.ndarray], trail: list[dict[str, np.ndarray]]) -> None:
        """The landscape with the pulls (``trail`` then ``state``, oldest first; the last
        ``HISTORY``) projected on it, and their costs."""
        pulls = [s for s in (*trail, state) if not np.isnan(s["cost"][0])][-HISTORY:]
        actions = [s["action"][0] for s in pulls]
        costs = [float(s["cost"][0]) for s in pulls]
        u = self._eigenvectors[:, [0, -1]]  # flattest and steepest directions
        lam = self.eigenvalues[[0, -1]]
        half = 4.0 * max(np.abs(self.a_star).max(), 1.0)  # projections of a - a* are a few |a*| wide
        scale = (PLANE / 2) / half
        cx = cy = PLANE / 2

        def to_px(xy):
            return (cx + xy[0] * scale, cy - xy[1] * scale)

        surface.set_clip(pg.Rect(0, 0, PLANE, PLANE))
        # Level sets c = 10^k are ellipses with semi-axes sqrt(c / lambda) in this plane.
        for k in range(int(LOG_RANGE[0]), int(LOG_RANGE[1]) + 1):
            rx, ry = np.sqrt(10.0**k / lam) * scale
            if 1 <= rx <= 4 * PLANE and 1 <= ry <= 4 * PLANE:
                shade = int(120 + 15 * (k - LOG_RANGE[0]))
                pg.draw.ellipse(surface, (shade, shade, 255), pg.Rect(cx - rx, cy - ry, 2 * rx, 2 * ry), 1)
        pg.draw.line(surface, (200, 200, 200), (0, cy), (PLANE, cy))
        pg.draw.line(surface, (200, 200, 200), (cx, 0), (cx, PLANE))
        if len(actions):
            xy = (np.asarray(actions) - self.a_star) @ u
            for i, p in enumerate(xy):
                fade = int(230 - 180 * (i + 1) / len(xy))
                pg.draw.circle(surface, (250, fade, fade), to_px(p), 2)
            pg.draw.circle(surface, (200, 30, 30), to_px(xy[-1]), 5)
        pg.draw.circle(surface, (20, 140, 20), (cx, cy), 5)  # a*
        surface.set_clip(None)
        pg.draw.line(surface, (0, 0, 0), (PLANE, 0), (PLANE, PLANE), 2)

        lo, hi = LOG_RANGE

        def y_of(log_c):
            return PLANE * (hi - np.clip(log_c, lo, hi)) / (hi - lo)

        for k in range(int(lo), int(hi) + 1):
            pg.draw.line(surface, (225, 225, 225), (PLANE + 4, y_of(k)), (2 * PLANE - 4, y_of(k)))
        if len(costs):
            logs = np.log10(np.maximum(np.asarray(costs), 1e-300))
            xs = PLANE + 4 + (PLANE - 8) * np.arange(len(logs)) / max(HISTORY - 1, 1)
            points = [(float(x), float(y_of(v))) for x, v in zip(xs, logs)]
            if len(points) > 1:
                pg.draw.lines(surface, (200, 30, 30), False, points, 2)
            pg.draw.circle(surface, (200, 30, 30), points[-1], 4)


class QuadraticBanditEnv(SingleEnv):
    """DPG §5.1, optimum a*.

    ## Description

    The continuous bandit of Silver et al. (2014), *Deterministic Policy Gradient
    Algorithms*, Sec. 5.1: every episode is a single action ``a`` in ``R^m``, and the cost
    ``-r(a) = (a - a*)^T C (a - a*)`` is a positive-definite quadratic whose eigenvalues are
    drawn from ``{0.1, 1}``, with ``a* = [4, ..., 4]``.  The paper uses ``m = 10, 25, 50``.

    ## Action Space

    ``Box(-action_bound, action_bound, (dim,), float32)``, by default ``[-20, 20]^m``, which
    holds ``a*`` with room to spare (the paper's units, so not the ``[-1, 1]`` box SB3
    recommends).  Actions of any float dtype are accepted and the cost is computed in float64.
    ``action_out_of_range = "clip"``: an action outside the box is clipped to
    ``[-action_bound, action_bound]`` before the cost is computed (the paper caps out-of-range
    actions, Sec. 5.2).  NaN, infinite, non-numeric (str, bool, complex, None) or wrongly shaped actions
    raise ``ValueError``.

    ## Observation Space

    ``Box(0, 1, (1,), float32)``, always ``[0.]``: a bandit has no state, and a length-1
    vector is what SB3's policies accept.

    ## Rewards

    ``-(a - a*)^T C (a - a*)`` as a Python float, so 0 at ``a*`` and negative elsewhere.
    ``info["cost"]`` holds the positive cost.

    ## Starting State

    Always the constant observation.  The problem's matrix ``C`` (``a*`` is never drawn) is
    drawn from the seed: ``reset(seed=s)`` seeds the env's ``np_random`` with ``s``, then draws
    from it, in this order, the ``m`` eigenvalues ``lambda_i`` (uniform on ``{0.1, 1}``) and an
    ``m x m`` standard normal matrix whose QR factor is the rotation ``Q`` (uniform), and sets
    ``C = Q diag(lambda) Q^T`` (:func:`random_cost_matrix`).  These are the only random numbers
    the env draws (a pull draws none, a start state is constant), so ``C`` is a function of
    ``s`` and ``dim`` alone.  ``reset()`` without a seed draws nothing and keeps the current
    problem, so an agent can learn it over many episodes.  A ``C`` passed as an argument is
    never redrawn.  Before the first seeded reset an env made without ``C`` has a problem drawn
    from fresh entropy (not reproducible); ``problem_kwargs()`` gives the arguments that
    rebuild the current problem (``{"C": ...}``).

    ## Episode End

    * Termination: after every step (one action per episode).
    * Truncation: never.

    Stepping after the end raises ``ResetNeeded``, as in every environment here: call
    ``reset()`` (without a seed it draws nothing and keeps the problem) before the next pull.

    ## Exact references (on ``env.unwrapped``)

    * ``a_star``: the optimal action; ``optimal_cost() == 0``, ``optimal_return() == 0``.
    * ``C``: the cost matrix (its eigenvalues ``eigenvalues``, ascending).
    * ``cost(a)``: the cost of an action ``(m,)`` or a batch ``(..., m)``.
    * ``random_cost()``: the uniform-random policy's expected cost on this ``C``,
      ``tr(C) b² / 3 + a*ᵀ C a*`` (``b = action_bound``); ``reference()`` holds it with the
      optimum 0 (a :class:`rl_envs.core.Reference`, for the current problem).

    ## Arguments

    * ``dim``: the action dimension ``m`` (default 10; any ``m >= 1``).
    * ``C``: a symmetric positive definite ``(m, m)`` matrix; drawn from the seed if ``None``.
    * ``a_star``: the optimal action, shape ``(m,)``, strictly inside the box (default all 4).
    * ``action_bound``: half-width of the action box (default 20).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the cost landscape in the plane through
      ``a*`` spanned by the eigenvectors of the smallest and largest eigenvalues, with the
      recent actions (the last 200 pulls on this problem) projected on it, next to the log
      cost of the recent actions.

    ## Vector environment

    ``gymnasium.make_vec("rl_envs/QuadraticBandit-v0", num_envs=n, vectorization_mode="vector_entry_point", ...)``
    gives :class:`QuadraticBanditVectorEnv`: ``n`` copies of one problem pulled in one call, in
    any of Gymnasium's autoreset modes.  Its seeded ``reset`` draws the one shared ``C`` as the
    single env does, from the stream seeded ``s`` (with ``seed=[s_0, ...]``, from ``s_0``'s).

    ```python
    env = gymnasium.make("rl_envs/QuadraticBandit-v0", dim=50)
    env.reset(seed=0)
    env.unwrapped.cost(np.zeros(50))  # cost of the action 0
    ```
    """

    task_type = QuadraticBanditTask


class QuadraticBanditVectorEnv(VectorEnv):
    """``num_envs`` copies of one bandit problem, pulled with one array operation (see
    :class:`QuadraticBanditEnv` for the task and :mod:`rl_envs.core.vector` for the autoreset
    modes; the arguments are the same plus ``num_envs``).

    Every pull ends its episode: with the default next-step autoreset a copy's next step
    restarts it (observation ``[0.]``, reward 0, its action ignored, ``info["_cost"]`` False;
    no ``cost`` entry at all when no copy pulls) and the step after pulls again.  The copies
    share one problem ``C``: a seeded ``reset`` draws it (unless ``C`` was given) from the
    vector env's ``np_random`` just seeded, as the single env draws it, so with ``num_envs=1``
    the env reproduces :class:`QuadraticBanditEnv` bit for bit; ``reset(seed=[s_0, ...])``
    draws it from the stream seeded ``s_0``, so copy ``i`` pulls on the problem of a single env
    seeded ``s_i`` only if ``C`` was given (or ``s_i = s_0``).
    ``info["cost"]`` holds the costs (mask ``info["_cost"]``: the copies that pulled).
    ``render_mode="rgb_array"`` renders a tuple of frames, one per copy, showing its last pull.
    The exact references (``C``, ``a_star``, ``cost(a)``, ...) are those of :class:`QuadraticBanditEnv`.
    """

    task_type = QuadraticBanditTask


__all__ = ["QuadraticBanditEnv", "QuadraticBanditVectorEnv", "quadratic_cost", "random_cost_matrix"]
