"""Swinging a pendulum up with limited torque, in continuous time.

Doya, K. (2000). Reinforcement learning in continuous time and space. Neural Computation
12(1), 219-245.  The single env and the native vector env share :class:`PendulumSwingUpTask`
and the numba kernel :func:`advance`, following the pattern of :mod:`rl_envs.vector`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv
from numba import njit

from .rendering import RenderMixin, VectorRenderMixin, check_render_mode
from .validation import as_box_action, integer, positive, real, real_array
from .vector import TaskVectorEnv, vector_signature

UP_ANGLE = math.pi / 4  # |theta| below this counts as "up"
COS_UP = math.cos(UP_ANGLE)
OVER_ROTATION = 5 * math.pi  # |accumulated theta| beyond this ends the trial ...
PENALTY_TIME = 1.0  # ... after this long at reward -1
SUCCESS_TIME_UP = 10.0  # a trial with more time up than this succeeds
# |omega| stays below this (see Observation Space): the speed at the over-rotation is at most
# sqrt(4 g + 2 u_max 6 pi) = 15.1 and |omega| grows at most by (g + u_max) per second after it.
OMEGA_BOUND = 12 * math.pi
MAX_DT = 0.5


@dataclass(frozen=True)
class PendulumModel:
    """The pendulum ``m l^2 dω/dt = -μ ω + m g l sin θ + u`` with ``θ = 0`` upright (Doya 2000):
    the dynamics ``f(x, u)`` of ``x = (θ, ω)`` and its input gain ``∂f/∂u``."""

    mass: float = 1.0
    length: float = 1.0
    gravity: float = 9.8
    friction: float = 0.01
    u_max: float = 5.0

    def f(self, x, u) -> np.ndarray:
        """``dx/dt = (ω, (-μ ω + m g l sin θ + u) / (m l^2))`` for ``x = (θ, ω)`` (or a batch
        ``(N, 2)``) and a control ``u`` already inside ``[-u_max, u_max]``."""
        x = np.asarray(x, dtype=np.float64)
        theta, omega = x[..., 0], x[..., 1]
        inertia = self.mass * self.length**2
        domega = (-self.friction * omega + self.mass * self.gravity * self.length * np.sin(theta)
                  + np.asarray(u, dtype=np.float64).reshape(omega.shape)) / inertia
        return np.stack([omega, domega], axis=-1)

    def input_gain(self, x) -> np.ndarray:
        """``∂f/∂u = (0, 1 / (m l^2))`` at ``x`` (shape ``x.shape + (1,)``): constant for the pendulum."""
        x = np.asarray(x, dtype=np.float64)
        gain = np.zeros((*x.shape, 1))
        gain[..., 1, 0] = 1.0 / (self.mass * self.length**2)
        return gain


@njit(cache=True, error_model="numpy")
def _derivative(theta, omega, u, friction, mgl, inertia):
    return omega, (-friction * omega + mgl * math.sin(theta) + u) / inertia


@njit(cache=True, error_model="numpy")
def advance(theta, omega, over_time, time_up, u, dt, substeps, friction, mgl, inertia, reward):
    """Move every pendulum ``i`` by ``dt`` under the held control ``u[i]``, in ``substeps`` RK4
    steps of the state and of the reward integral ``∫ cos θ dt`` (a third state component).

    ``theta`` is the accumulated angle (not wrapped).  ``over_time[i] < 0`` until ``|θ|`` first
    exceeds 5π at a substep's end; from then on it counts the time since, and the reward rate is
    -1.  ``time_up`` adds ``h`` for every substep that ends with the wrapped ``|θ| < π/4``.
    ``reward[i]`` receives the step's integrated reward.
    """
    h = dt / substeps
    for i in range(theta.shape[0]):
        th, om, total = theta[i], omega[i], 0.0
        for _ in range(substeps):
            if over_time[i] >= 0.0:
                rate = -1.0
                over_time[i] += h
            k1t, k1w = _derivative(th, om, u[i], friction, mgl, inertia)
            k2t, k2w = _derivative(th + 0.5 * h * k1t, om + 0.5 * h * k1w, u[i], friction, mgl, inertia)
            k3t, k3w = _derivative(th + 0.5 * h * k2t, om + 0.5 * h * k2w, u[i], friction, mgl, inertia)
            k4t, k4w = _derivative(th + h * k3t, om + h * k3w, u[i], friction, mgl, inertia)
            if over_time[i] < 0.0:
                # RK4 on q' = cos(theta), with theta at the stages where RK4 evaluates it
                rate = (math.cos(th) + 2.0 * math.cos(th + 0.5 * h * k1t) + 2.0 * math.cos(th + 0.5 * h * k2t)
                        + math.cos(th + h * k3t)) / 6.0
            th += h * (k1t + 2.0 * k2t + 2.0 * k3t + k4t) / 6.0
            om += h * (k1w + 2.0 * k2w + 2.0 * k3w + k4w) / 6.0
            total += h * rate
            if math.cos(th) > COS_UP:  # the wrapped |theta| < pi/4
                time_up[i] += h
            if over_time[i] < 0.0 and abs(th) > OVER_ROTATION:
                over_time[i] = 0.0
        theta[i], omega[i], reward[i] = th, om, total


def wrap_angle(theta):
    """``θ`` wrapped into ``[-π, π)``."""
    return (np.asarray(theta) + np.pi) % (2 * np.pi) - np.pi


class PendulumSwingUpTask:
    """What the single and the vector env share (see :mod:`rl_envs.vector`): the model, the
    task arguments and the pendulums' state buffers; the arguments are documented on
    :class:`PendulumSwingUpEnv`."""

    def __init__(self, dt: float = 0.02, substeps: int = 4, max_time: float = 20.0, u_max: float = 5.0,
                 render_mode: str | None = None):
        self.render_mode = check_render_mode(render_mode, self.metadata)
        self.dt = real(dt, "dt", low=0, high=MAX_DT, low_open=True)
        self.substeps = integer(substeps, "substeps")
        self.max_time = positive(max_time, "max_time")
        self.model = PendulumModel(u_max=real(u_max, "u_max", low=0, high=10.0, low_open=True))
        self.max_steps = max(1, round(self.max_time / self.dt))
        m = self.model
        self._physics = (self.dt, self.substeps, m.friction, m.mass * m.gravity * m.length, m.mass * m.length**2)
        n = self.num_envs if isinstance(self, VectorEnv) else 1
        self._theta, self._omega = np.zeros(n), np.zeros(n)
        self._over_time, self._time_up = np.full(n, -1.0), np.zeros(n)
        self._last_u, self._reward = np.zeros(n), np.zeros(n)
        high = np.array([np.pi, OMEGA_BOUND])
        self.observation_space = spaces.Box(-high, high, dtype=np.float64)
        self.action_space = spaces.Box(-self.model.u_max, self.model.u_max, (1,), np.float32)

    def _start(self, mask: np.ndarray, options: dict | None = None) -> None:
        """Start the pendulums in ``mask``: θ ~ U(-π, π) drawn in pendulum order, ω = 0, or
        ``options["state"]``."""
        k = int(mask.sum())
        if options and "state" in options:
            state = real_array(options["state"], 'options["state"]', shape=(2,))
            if abs(state[0]) > np.pi or abs(state[1]) > OMEGA_BOUND:
                raise ValueError(f'options["state"] must be (θ, ω) with |θ| <= π and |ω| <= {OMEGA_BOUND:.4g}, '
                                 f"got {state.tolist()}")
            self._theta[mask], self._omega[mask] = state
        else:
            self._theta[mask], self._omega[mask] = self.np_random.uniform(-np.pi, np.pi, size=k), 0.0
        self._over_time[mask], self._time_up[mask], self._last_u[mask] = -1.0, 0.0, 0.0

    def _move(self, u: np.ndarray) -> np.ndarray:
        """Advance every pendulum by ``dt`` under ``u`` (clipped); True where the trial ends now
        (the penalty second after an over-rotation is over)."""
        u = np.clip(u, -self.model.u_max, self.model.u_max)
        advance(self._theta, self._omega, self._over_time, self._time_up, u, *self._physics, self._reward)
        self._last_u[:] = u
        return self._over_time >= PENALTY_TIME - 1e-9

    def _observations(self) -> np.ndarray:
        return np.stack([wrap_angle(self._theta), self._omega], axis=1)

    def _canvas_size(self):
        return (400, 400)

    def _paint_pendulum(self, pg, surface, i: int) -> None:
        paint_pendulum(pg, surface, float(self._theta[i]), float(self._last_u[i]) / self.model.u_max,
                       self._over_time[i] >= 0)


def paint_pendulum(pg, surface, theta: float, torque: float, over_rotated: bool) -> None:
    """The rod from the pivot (θ = 0 up), the up region, and the torque as a curved arrow
    about the pivot whose length is ``|u| / u_max`` of a half turn."""
    w, h = surface.get_size()
    cx, cy, L = w // 2, h // 2, int(0.38 * min(w, h))
    pg.draw.arc(surface, (200, 235, 200), pg.Rect(cx - L - 10, cy - L - 10, 2 * L + 20, 2 * L + 20),
                math.pi / 2 - UP_ANGLE, math.pi / 2 + UP_ANGLE, 8)
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


class PendulumSwingUpEnv(PendulumSwingUpTask, RenderMixin, gym.Env):
    """
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
    instead (``(π, 0)`` hangs at the bottom).

    ## Episode End

    * Termination: over-rotation.  When the accumulated angle (not wrapped) first exceeds
      ``|θ| > 5π``, the reward rate becomes -1 for 1 s, and then the trial ends.
    * Truncation: after ``max_time`` (20 s), i.e. ``round(max_time / dt)`` steps.

    ``info["time_up"]`` is the time so far in this trial with the wrapped ``|θ| < π/4``
    (counted per RK4 substep); a trial succeeds with ``info["time_up"] > 10`` s at its end
    (``info["success"]`` on the last step).  Stepping after the end raises ``ResetNeeded``.

    ## Model access

    ``env.unwrapped.model`` is the :class:`PendulumModel`: ``model.f(x, u)`` the dynamics and
    ``model.input_gain(x)`` the input gain ``∂f/∂u`` (for the value-gradient policy).

    ## Arguments

    * ``dt``: the control interval in seconds (default 0.02, at most 0.5).
    * ``substeps``: RK4 steps per control interval (default 4).
    * ``max_time``: the trial length in seconds (default 20).
    * ``u_max``: the torque limit (default 5, at most 10 so that the ω bound holds).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the pendulum (red after an
      over-rotation), the up region in green and the torque as an orange arc.

    ```python
    env = gymnasium.make("rl_envs/PendulumSwingUp-v0")
    obs, info = env.reset(seed=0, options={"state": (np.pi, 0.0)})
    ```
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    action_out_of_range = "clip"
    _done = True  # before the first reset: step() raises ResetNeeded

    @property
    def state(self) -> np.ndarray:
        """``(θ, ω)`` with the accumulated (not wrapped) ``θ``."""
        return np.array([self._theta[0], self._omega[0]])

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._start(np.ones(1, dtype=np.bool_), options)
        self._t, self._done = 0, False
        if self.render_mode == "human":
            self.render()
        return self._observations()[0], {"time_up": 0.0}

    def step(self, action):
        u = as_box_action(action, self.action_space)
        if self._done:
            raise ResetNeeded("the episode has ended (or not started): call reset() before step()")
        terminated = bool(self._move(u)[0])
        self._t += 1
        truncated = not terminated and self._t >= self.max_steps
        self._done = terminated or truncated
        info = {"time_up": float(self._time_up[0])}
        if self._done:
            info["success"] = info["time_up"] > SUCCESS_TIME_UP
        if self.render_mode == "human":
            self.render()
        return self._observations()[0], float(self._reward[0]), terminated, truncated, info

    def _paint(self, pg, surface):
        self._paint_pendulum(pg, surface, 0)


class PendulumSwingUpVectorEnv(TaskVectorEnv, PendulumSwingUpTask, VectorRenderMixin, VectorEnv):
    """``num_envs`` pendulums stepped by one numba call (see :class:`PendulumSwingUpEnv` for the
    task).  Autoreset is next-step (:mod:`rl_envs.vector`); pendulum ``i`` with the same actions
    reproduces a single env bit for bit.  ``infos["time_up"]`` holds every pendulum's time up."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50, "autoreset_mode": AutoresetMode.NEXT_STEP}
    action_out_of_range = "clip"
    __signature__ = vector_signature(PendulumSwingUpTask)

    def _observe(self):
        return self._observations(), {"time_up": self._time_up.copy()}

    def step(self, actions):
        u = as_box_action(actions, self.action_space)[:, 0]
        restarted = self._begin_step()
        terminated = self._move(u) & ~restarted
        reward = np.where(restarted, 0.0, self._reward)
        truncated = self._finish_step(restarted, terminated)
        infos = {"time_up": self._time_up.copy()}
        if restarted.any():
            self._start(restarted, None)
        return self._observations(), reward, terminated, truncated, infos

    def _paint_env(self, pg, surface, i: int) -> None:
        self._paint_pendulum(pg, surface, i)
