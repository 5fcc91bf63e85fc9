"""Swinging a pendulum up with limited torque, in continuous time.

Doya, K. (2000). Reinforcement learning in continuous time and space. Neural Computation
12(1), 219-245.  The single env and the native vector env are the shells of :mod:`rl_envs.core`
over :class:`PendulumSwingUpTask`, whose step is the numba kernel :func:`advance`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike
from gymnasium import spaces
from numba import njit, vectorize

from . import dp, dp_reference
from .core import Reference, SingleEnv, Task, VectorEnv
from .validation import as_box_action, integer, positive, real, real_array

UP_ANGLE = math.pi / 4  # |theta| below this counts as "up"
COS_UP = math.cos(UP_ANGLE)
OVER_ROTATION = 5 * math.pi  # |accumulated theta| beyond this ends the trial ...
PENALTY_TIME = 1.0  # ... after this long at reward -1
SUCCESS_TIME_UP = 10.0  # a trial with more time up than this succeeds
TRIAL_TIME = 20.0  # seconds: Doya's trial length, the default max_steps = round(TRIAL_TIME / dt)
# |omega| stays below this (see Observation Space): the speed at the over-rotation is at most
# sqrt(4 g + 2 u_max 6 pi) = 15.1 and |omega| grows at most by (g + u_max) per second after it.
OMEGA_BOUND = 12 * math.pi
MAX_DT = 0.5
THETA, OMEGA, OVER_TIME, TIME_UP, LAST_U = range(5)  # the columns of a state (see advance)


@dataclass(frozen=True)
class PendulumModel:
    """The pendulum ``m l^2 dω/dt = -μ ω + m g l sin θ + u`` with ``θ = 0`` upright (Doya 2000):
    the dynamics ``f(x, u)`` of ``x = (θ, ω)`` and its input gain ``∂f/∂u``."""

    mass: float = 1.0
    length: float = 1.0
    gravity: float = 9.8
    friction: float = 0.01
    u_max: float = 5.0

    def f(self, x: np.ndarray, u: ArrayLike) -> np.ndarray:
        """``dx/dt = (ω, (-μ ω + m g l sin θ + u) / (m l^2))`` for ``x = (θ, ω)`` (or a batch
        ``(N, 2)``) and a control ``u`` already inside ``[-u_max, u_max]``."""
        x = np.asarray(x, dtype=np.float64)
        theta, omega = x[..., 0], x[..., 1]
        inertia = self.mass * self.length**2
        domega = (
            -self.friction * omega
            + self.mass * self.gravity * self.length * np.sin(theta)
            + np.asarray(u, dtype=np.float64).reshape(omega.shape)
        ) / inertia
        return np.stack([omega, domega], axis=-1)

    def input_gain(self, x: np.ndarray) -> np.ndarray:
        """``∂f/∂u = (0, 1 / (m l^2))`` at ``x`` (shape ``x.shape + (1,)``): constant for the pendulum."""
        x = np.asarray(x, dtype=np.float64)
        gain = np.zeros((*x.shape, 1))
        gain[..., 1, 0] = 1.0 / (self.mass * self.length**2)
        return gain


@njit(cache=True, error_model="numpy")
def _derivative(theta, omega, u, friction, mgl, inertia):
    return omega, (-friction * omega + mgl * math.sin(theta) + u) / inertia


@njit(cache=True, error_model="numpy")
def advance(
    state: np.ndarray,
    u: np.ndarray,
    u_max: float,
    dt: float,
    substeps: int,
    friction: float,
    mgl: float,
    inertia: float,
    reward: np.ndarray,
) -> None:
    """Move every pendulum ``i`` (the row ``state[i]``, in place) by ``dt`` under the held control
    ``u[i]`` clipped to ``[-u_max, u_max]``, in ``substeps`` RK4 steps of the state and of the
    reward integral ``∫ cos θ dt`` (a third state component).

    A row is ``(θ, ω, over_time, time_up, last_u)`` (the columns ``THETA`` ... ``LAST_U``).  ``θ``
    is the accumulated angle (not wrapped).  ``over_time < 0`` until ``|θ|`` first exceeds 5π at
    a substep's end; from then on it counts the time since, and the reward rate is -1.
    ``time_up`` adds ``h`` for every substep that ends with the wrapped ``|θ| < π/4``.
    ``last_u`` receives the clipped control and ``reward[i]`` the step's integrated reward.
    """
    h = dt / substeps
    for i in range(state.shape[0]):
        ui = min(max(u[i], -u_max), u_max)
        th, om, over_time, time_up = state[i, THETA], state[i, OMEGA], state[i, OVER_TIME], state[i, TIME_UP]
        total = 0.0
        cos_th = math.cos(th)  # at the substep's start: the end of the one before
        for _ in range(substeps):
            if over_time >= 0.0:
                rate = -1.0
                over_time += h
            k1t, k1w = _derivative(th, om, ui, friction, mgl, inertia)
            k2t, k2w = _derivative(th + 0.5 * h * k1t, om + 0.5 * h * k1w, ui, friction, mgl, inertia)
            k3t, k3w = _derivative(th + 0.5 * h * k2t, om + 0.5 * h * k2w, ui, friction, mgl, inertia)
            k4t, k4w = _derivative(th + h * k3t, om + h * k3w, ui, friction, mgl, inertia)
            if over_time < 0.0:
                # RK4 on q' = cos(theta), with theta at the stages where RK4 evaluates it
                rate = (
                    cos_th
                    + 2.0 * math.cos(th + 0.5 * h * k1t)
                    + 2.0 * math.cos(th + 0.5 * h * k2t)
                    + math.cos(th + h * k3t)
                ) / 6.0
            th += h * (k1t + 2.0 * k2t + 2.0 * k3t + k4t) / 6.0
            om += h * (k1w + 2.0 * k2w + 2.0 * k3w + k4w) / 6.0
            total += h * rate
            cos_th = math.cos(th)
            if cos_th > COS_UP:  # the wrapped |theta| < pi/4
                time_up += h
            if over_time < 0.0 and abs(th) > OVER_ROTATION:
                over_time = 0.0
        state[i, THETA], state[i, OMEGA], state[i, OVER_TIME], state[i, TIME_UP] = th, om, over_time, time_up
        state[i, LAST_U], reward[i] = ui, total


@vectorize(["float64(float64)"], cache=True)
def wrap_angle(theta: np.ndarray | float) -> np.ndarray | float:
    """``θ`` wrapped into ``[-π, π)`` (a ufunc: a number, a list or an array)."""
    return (theta + math.pi) % (2 * math.pi) - math.pi


@njit(cache=True, error_model="numpy")
def observations(state: np.ndarray) -> np.ndarray:
    """The observations ``(θ wrapped into [-π, π), ω)`` of the pendulums in ``state``."""
    obs = np.empty((state.shape[0], 2))
    for i in range(state.shape[0]):
        obs[i, 0], obs[i, 1] = wrap_angle(state[i, THETA]), state[i, OMEGA]
    return obs


@dataclass(frozen=True)
class PendulumSwingUpTask(Task):
    """The swing-up's parameters and batched dynamics (documented on :class:`PendulumSwingUpEnv`).

    A state is an ``(n, 5)`` array, a row ``(θ, ω, over_time, time_up, last_u)`` per pendulum
    (see :func:`advance`): the accumulated angle, the trial's clocks and the torque drawn."""

    dt: float = 0.02
    substeps: int = 4
    max_steps: int | None = None
    u_max: float = 5.0
    #: deprecated: the trial length in seconds (``max_steps`` counts steps of ``dt``); not an
    #: alias in :attr:`Task.aliases`, which renames without converting units
    max_time: float | None = field(default=None, kw_only=True)
    # Set by __post_init__, not arguments (as are the spaces):
    action_space: spaces.Box = field(init=False, repr=False, compare=False)
    model: PendulumModel = field(init=False, repr=False, compare=False)
    _physics: tuple[float, float, int, float, float, float] = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    # The torque is in Doya's (2000) units, |u| <= 5; the agents squash into that range themselves.
    documented_warnings = {"symmetric and normalized": "the torque in Doya's (2000) units, |u| <= 5"}
    reset_options = ("state",)

    def __post_init__(self):
        dt = real(self.dt, "dt", low=0, high=MAX_DT, low_open=True)
        substeps = integer(self.substeps, "substeps")
        if self.max_time is None:
            max_time = TRIAL_TIME
        else:
            max_time = positive(self.max_time, "max_time")
            if self.max_steps is not None:
                raise TypeError("PendulumSwingUp: give 'max_steps' or the deprecated 'max_time' (seconds), not both")
            warnings.warn(
                "PendulumSwingUp: the argument 'max_time' (seconds) is deprecated; use 'max_steps' "
                f"(steps of dt): max_time={self.max_time} is max_steps={max(1, round(max_time / dt))}",
                DeprecationWarning,
                stacklevel=5,
            )
        max_steps = max(1, round(max_time / dt)) if self.max_steps is None else integer(self.max_steps, "max_steps")
        model = PendulumModel(u_max=real(self.u_max, "u_max", low=0, high=10.0, low_open=True))
        high = np.array([np.pi, OMEGA_BOUND])
        self._derive(
            dt=dt,
            max_steps=max_steps,
            model=model,
            _physics=(
                model.u_max,
                dt,
                substeps,
                model.friction,
                model.mass * model.gravity * model.length,
                model.mass * model.length**2,
            ),
            observation_space=spaces.Box(-high, high, dtype=np.float64),
            action_space=spaces.Box(-model.u_max, model.u_max, (1,), np.float32),
        )

    def check_action(self, action: Any, n: int | None) -> np.ndarray:
        # The kernel clips the torque to ±u_max in float64 (the float32 box's bound may round
        # off u_max), so only the action's type, shape and finiteness are checked here.
        return as_box_action(action, self.action_space, n).reshape(n or 1, 1)

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> np.ndarray:
        """θ ~ U(-π, π) drawn in pendulum order, ω = 0, or ``options["state"]``."""
        state = np.zeros((n, 5))
        state[:, OVER_TIME] = -1.0
        if options and "state" in options:
            start = real_array(options["state"], 'options["state"]', shape=(2,))
            if abs(start[0]) > np.pi or abs(start[1]) > OMEGA_BOUND:
                raise ValueError(
                    f'options["state"] must be (θ, ω) with |θ| <= π and |ω| <= {OMEGA_BOUND:.4g}, got {start.tolist()}'
                )
            state[:, [THETA, OMEGA]] = start
        else:
            state[:, THETA] = rng.uniform(-np.pi, np.pi, size=n)
        return state

    def transition(
        self, state: np.ndarray, action: np.ndarray, noise: None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
        state = state.copy()
        reward = np.empty(len(state))
        advance(state, action[:, 0], *self._physics, reward)
        # the trial ends when the penalty second after an over-rotation is over
        terminated = state[:, OVER_TIME] >= PENALTY_TIME - 1e-9
        return state, reward, terminated, {"time_up": state[:, TIME_UP]}

    def observe(self, state: np.ndarray) -> np.ndarray:
        return observations(state)

    def reset_info(self, state: np.ndarray) -> dict[str, np.ndarray]:
        return {"time_up": state[:, TIME_UP]}

    def end_info(self, state: np.ndarray) -> dict[str, np.ndarray]:
        return {"success": state[:, TIME_UP] > SUCCESS_TIME_UP}

    # -- the reference (dynamic programming, rl_envs.dp) ---------------------------------------

    def dp_problem(
        self,
        nodes: tuple[int, int] = (200, 201),
        actions: int = 11,
        cells: tuple[int, int] = (600, 600),
        pieces: int = 4,
        omega: float = 3 * math.pi,
    ) -> dp.ControlProblem:
        """The swing-up as :mod:`rl_envs.dp` solves it, on ``(θ, ω)`` with ``θ`` wrapped (the
        over-rotation, which needs the accumulated angle, is left to the real environment): a
        grid of ``nodes`` over ``[-π, π) x [-omega, omega]`` (an even number of angles puts a node
        upright, where holding still costs nothing), ``actions`` torques evenly over
        ``[-u_max, u_max]``; the cost of a step is ``dt`` minus its reward, so that the return is
        ``max_steps dt`` minus the total cost.  For the certified bound: the same box cut into
        ``cells``, the torque range into ``pieces``, with the enclosure of a step below, and an
        over-rotation with ``k`` steps to go costing at least ``(k - 1) dt`` (each step after the
        one it happens in pays ``-dt`` in the penalty second, then 0)."""
        low, high = (-math.pi, -omega), (math.pi, omega)
        partition = dp.Cells(low, high, cells, (True, False))
        torques, torque_pieces = dp.interval_actions(self.model.u_max, actions, pieces)
        return dp.ControlProblem(
            step=self._dp_step,
            grid=dp.Grid(low, high, nodes, (True, False)),
            actions=torques,
            reward_bound=self.dt,
            horizon=cast(int, self.max_steps),  # an int once __post_init__ has run
            start=dp.line_quadrature(-math.pi, math.pi, 4000, 0, [0.0]),
            cells=partition,
            action_pieces=torque_pieces,
            enclose=self._enclose,
            start_cells=dp.line_weights(partition, 0, [0.0]),
            end_cost=lambda k: (k - 1) * self.dt,
        )

    def reference(self) -> Reference:
        """The optimum's bounds and the uniformly random policy's return for these parameters, by
        dynamic programming (cached; see :mod:`rl_envs.dp_reference`, and "Reference value" on
        the env's page); a ValueError for parameters that have no cached record."""
        return dp_reference.cached_reference(self)

    def _dp_step(
        self, x: np.ndarray, u: np.ndarray, noise: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`transition` from the states ``(θ, ω)`` at the start of a trial's clocks, the next
        angle wrapped."""
        state = np.zeros((len(x), 5))
        state[:, [THETA, OMEGA]] = x
        state[:, OVER_TIME] = -1.0
        state, reward, terminated, _ = self.transition(state, u, None)
        return observations(state), reward, terminated

    def _jacobian_bound(self) -> np.ndarray:
        """An entrywise bound ``G`` of ``|∂(θ', ω', q') / ∂(θ, ω, u)|`` for one step (``q'`` its reward):
        RK4 on the field ``F = (ω, (-μ ω + m g l sin θ + u) / I, 0, cos θ)`` of ``(θ, ω, u, q)``,
        whose Jacobian is bounded entrywise by ``B``, has a substep Jacobian bounded by
        ``I + hB + (hB)²/2 + (hB)³/6 + (hB)⁴/24`` (its stages' chain rule, term by term), and the
        step's by that to the power ``substeps``."""
        m = self.model
        inertia = m.mass * m.length**2
        B = np.zeros((4, 4))
        B[0, 1] = 1.0
        B[1, :3] = m.mass * m.gravity * m.length / inertia, m.friction / inertia, 1.0 / inertia
        B[3, 0] = 1.0
        hB = B * self.dt / self.substeps
        G = sum(np.linalg.matrix_power(hB, k) / math.factorial(k) for k in range(5))
        G = np.linalg.matrix_power(G, self.substeps)
        return G[np.ix_([0, 1, 3], [0, 1, 2])]

    def _enclose(self, low, high, a_low, a_high, n_low, n_high) -> dp.Enclosure:
        """Every successor of the cells ``[low, high]`` under a torque in ``[a_low, a_high]``: the
        step from the cell's centre under the middle torque (the real kernel), widened by
        :meth:`_jacobian_bound` times the half-widths (the mean value theorem, entrywise)."""
        centre, u = (low + high) / 2, np.full((len(low), 1), (a_low[0] + a_high[0]) / 2)
        radius = np.concatenate([(high - low) / 2, np.full((len(low), 1), (a_high[0] - a_low[0]) / 2)], axis=1)
        state = np.zeros((len(low), 5))
        state[:, [THETA, OMEGA]] = centre
        state[:, OVER_TIME] = -1.0
        state, reward, _, _ = self.transition(state, u, None)
        spread = radius @ self._jacobian_bound().T + dp.ROUNDING
        moved = state[:, [THETA, OMEGA]]
        return dp.Enclosure(
            boxes=[(moved - spread[:, :2], moved + spread[:, :2], np.ones(len(low), dtype=bool))],
            cost_low=np.maximum(self.dt - (reward + spread[:, 2]), 0.0),
            may_end=np.zeros(len(low), dtype=bool),
        )

    def paint(self, pg: Any, surface: Any, state: np.ndarray, trail: list[np.ndarray]) -> None:
        paint_pendulum(
            pg,
            surface,
            float(state[0, THETA]),
            float(state[0, LAST_U]) / self.model.u_max,
            bool(state[0, OVER_TIME] >= 0),
        )


def paint_pendulum(pg: Any, surface: Any, theta: float, torque: float, over_rotated: bool) -> None:
    """The rod from the pivot (θ = 0 up), the up region, and the torque as a curved arrow
    about the pivot whose length is ``|u| / u_max`` of a half turn."""
    w, h = surface.get_size()
    cx, cy, L = w // 2, h // 2, int(0.38 * min(w, h))
    pg.draw.arc(
        surface,
        (200, 235, 200),
        pg.Rect(cx - L - 10, cy - L - 10, 2 * L + 20, 2 * L + 20),
        math.pi / 2 - UP_ANGLE,
        math.pi / 2 + UP_ANGLE,
        8,
    )
    tip = (cx + L * math.sin(theta), cy - L * math.cos(theta))
    pg.draw.line(surface, (200, 40, 40) if over_rotated else (40, 40, 40), (cx, cy), tip, 6)
    pg.draw.circle(surface, (60, 110, 200), (int(tip[0]), int(tip[1])), 14)
    pg.draw.circle(surface, (30, 30, 30), (cx, cy), 5)
    if abs(torque) > 1e-3:
        # positive u accelerates θ, i.e. clockwise on screen (θ grows from up towards the right)
        r, span = 0.3 * L, math.pi * abs(torque)
        start = math.pi / 2 - theta  # pygame's arc angles are counter-clockwise from +x
        a0, a1 = (start - span, start) if torque > 0 else (start, start + span)
        pg.draw.arc(surface, (240, 150, 50), pg.Rect(cx - r, cy - r, 2 * r, 2 * r), a0, a1, 4)
        end = a0 if torque > 0 else a1
        head = (cx + r * math.cos(end), cy - r * math.sin(end))
        pg.draw.circle(surface, (240, 150, 50), (int(head[0]), int(head[1])), 6)


class PendulumSwingUpEnv(SingleEnv):
    """Doya 2000, continuous time.

    ## Description

    Swing a pendulum up with limited torque and keep it up: the testbed of Doya (2000),
    *Reinforcement learning in continuous time and space*, Neural Computation 12(1).
    The state ``x = (θ, ω)`` follows

        m l² dω/dt = -μ ω + m g l sin θ + u,    dθ/dt = ω,

    with ``θ = 0`` upright, ``m = l = 1``, ``g = 9.8``, ``μ = 0.01`` and ``|u| <= u_max = 5``,
    below ``m g l``: the pendulum must swing back and forth to gather energy.  The task is in
    continuous time: the agent holds ``u`` over each control interval ``dt``, and the
    environment integrates the dynamics inside it with ``substeps`` classic RK4 steps (the
    default ``h = 0.005`` s stays within 1e-8 rad and 1e-8 in return of a 64x finer reference
    over a 20 s swing-up, see ``tests/test_pendulum_swingup.py``).

    ## Action Space

    ``Box(-u_max, u_max, (1,), float32)``: the torque ``u`` (read as float64).  Values outside
    are clipped (``action_out_of_range = "clip"``); NaN, inf, a non-number or a wrong shape raise
    ``ValueError`` naming the action space.  The box is in the paper's units, not ``[-1, 1]``.

    ## Observation Space

    ``Box([-π, -12π], [π, 12π], (2,), float64)``: ``(θ, ω)`` with ``θ`` wrapped into ``[-π, π)``.
    ``|ω|`` cannot leave the box: before the over-rotation the torque has done at most
    ``u_max · 6π`` of work and gravity at most ``2 m g l``, so ``|ω| <= 15.1``, and in the
    penalty second after it ``|ω|`` grows by at most ``(g + u_max) (1 + dt)``.

    ## Rewards

    ``r = cos θ`` per unit time, integrated over the control interval (RK4 on ``∫ cos θ dt``
    alongside the state), so a step pays about ``dt · cos θ``; no torque cost.  After an
    over-rotation the rate is ``-1``.

    ## Starting State

    ``θ ~ U(-π, π)``, ``ω = 0``.  ``reset(options={"state": (θ, ω)})`` starts from a given state
    instead (``(π, 0)`` hangs at the bottom; in the vector env, every pendulum that the reset
    restarts); ``|θ| <= π`` and ``|ω| <= 12π``, else ``ValueError``, as for an unknown option.

    ## Episode End

    * Termination: over-rotation.  When the accumulated angle (not wrapped) first exceeds
      ``|θ| > 5π``, the reward rate becomes -1 for 1 s, and then the trial ends.
    * Truncation: after ``max_steps`` steps of ``dt``; by default 20 s of them, Doya's trial
      length (``round(20 / dt)``: 1000 steps at the default ``dt``).

    ``info["time_up"]`` is the time so far in this trial with the wrapped ``|θ| < π/4``
    (counted per RK4 substep); a trial succeeds with ``info["time_up"] > 10`` s at its end
    (``info["success"]`` on the last step).  Stepping after the end raises ``ResetNeeded``.

    ## Model access

    ``env.unwrapped.model`` is the :class:`PendulumModel`: ``model.f(x, u)`` the dynamics and
    ``model.input_gain(x)`` the input gain ``∂f/∂u`` (for the value-gradient policy).

    ## Reference value

    ``env.unwrapped.reference()`` (a :class:`rl_envs.core.Reference`, cached in
    ``rl_envs/dp_references.json``; see :mod:`rl_envs.dp_reference`) bounds the best expected
    return of a trial from the documented start, undiscounted, and gives the uniformly random
    policy's, for the default arguments (others raise ``ValueError``: nothing is cached for
    them).  The best return is 20 (s) less the total shortfall ``∫ (1 − cos θ) dt``, spent
    while swinging up.

    * ``value``, ``lower``: semi-Lagrangian value iteration (Bardi & Capuzzo-Dolcetta 1997) on
      the shortfall over ``(θ, ω) ∈ [−π, π) × [−3π, 3π]``, the grid refined until its start
      value changed by less than 0.5 % (100 × 101 to 800 × 801 nodes: 1.438, 1.414, 1.404,
      1.401), 11 torques from −5 to 5 (5 or 21 change it by less than 0.01 %); the
      over-rotation, which needs the accumulated angle, is left to the environment.  Its greedy policy run in this environment: the mean of 5000 trials and the
      low end of its 99 % interval.
    * ``upper``: certified, no sampling: a lower bound of the shortfall by a conservative
      abstraction on 600 × 600 cells (Junge & Osinga 2004), which encloses a step of a cell by
      the kernel's step from its centre widened by a bound of the RK4 step's Jacobian.
    * ``random``: 10 000 trials of uniformly random torques, with the 99 % interval.

    | lower | value | upper | random (99 % interval) |
    |---:|---:|---:|---|
    | 18.56 | 18.60 | 18.94 | −8.94 (−9.15 to −8.73) |

    ## Arguments

    * ``dt``: the control interval in seconds (default 0.02, at most 0.5).
    * ``substeps``: RK4 steps per control interval (default 4).
    * ``max_steps``: the trial length in steps of ``dt`` (default ``round(20 / dt)``, i.e. 20 s).
    * ``u_max``: the torque limit (default 5, at most 10 so that the ω bound holds).
    * ``max_time`` (keyword only, deprecated, with a ``DeprecationWarning``): the trial length in
      seconds, i.e. ``max_steps = max(1, round(max_time / dt))``; give ``max_steps`` instead.
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the pendulum (red after an
      over-rotation), the up region in green and the torque as an orange arc.

    ```python
    env = gymnasium.make("rl_envs/PendulumSwingUp-v0")
    obs, info = env.reset(seed=0, options={"state": (np.pi, 0.0)})
    ```
    """

    task_type = PendulumSwingUpTask

    @property
    def state(self) -> np.ndarray:
        """``(θ, ω)`` with the accumulated (not wrapped) ``θ``."""
        return super().state[[THETA, OMEGA]]


class PendulumSwingUpVectorEnv(VectorEnv):
    """``num_envs`` pendulums stepped by one numba call (see :class:`PendulumSwingUpEnv` for the
    task and :mod:`rl_envs.core.vector`); pendulum ``i`` with the same actions reproduces a
    single env bit for bit.  ``infos["time_up"]`` holds every pendulum's time up (a restarted
    one's 0), ``infos["success"]`` (masked by ``infos["_success"]``) the outcome of the trials
    that end on this step."""

    task_type = PendulumSwingUpTask
