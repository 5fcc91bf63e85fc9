"""RLPark's swing-up pendulum (Degris's RLPark library, ``SwingPendulum``, after Doya 2000): the
pendulum of Silver et al. 2014, §5.2, whose Figure 2 scale (+5000 at most in 5000 steps) fits
its reward cos θ."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from .core import SingleEnv, Task, VectorEnv
from .validation import integer, one_of

MAX_TORQUE = 2.0
STEP_TIME = 0.01
MASS, LENGTH, GRAVITY = 1.0, 1.0, 9.8
MAX_VELOCITY = (math.pi / 4) / STEP_TIME  # at most an eighth of a turn per step
FIXED_START = np.array([math.pi / 2, 0.0])
STARTS = ("random", "fixed")


@dataclass(frozen=True)
class SwingPendulumTask(Task):
    """The pendulum's parameters and batched dynamics (documented on :class:`SwingPendulumEnv`)."""

    start: str = "random"
    max_steps: int = 5000

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    # Moves of at most 0.05 and torques of at most 2, the tasks' own units (Silver et al. 2014,
    # §5.2, cap actions to these ranges)
    documented_warnings = {"symmetric and normalized": "actions in the task's own units (Silver et al. 2014, §5.2)"}

    def __post_init__(self):
        one_of(self.start, "start", STARTS)
        integer(self.max_steps, "max_steps")
        high = np.array([math.pi, MAX_VELOCITY])
        self._derive(
            observation_space=spaces.Box(-high.astype(np.float32), high.astype(np.float32), dtype=np.float32),
            action_space=spaces.Box(-MAX_TORQUE, MAX_TORQUE, shape=(1,), dtype=np.float32),
        )

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> np.ndarray:
        if self.start == "fixed":
            return np.repeat(FIXED_START[None], n, axis=0)
        return np.stack([rng.uniform(-math.pi, math.pi, size=n), np.zeros(n)], axis=1)

    def transition(
        self, state: np.ndarray, action: np.ndarray, noise: None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
        theta, velocity = state[:, 0], state[:, 1]
        # RLPark adds the whole acceleration term to the velocity (no dt) and integrates the angle with dt
        acceleration = -STEP_TIME * velocity + MASS * GRAVITY * LENGTH * np.sin(theta) + action[:, 0]
        velocity = np.clip(velocity + acceleration, -MAX_VELOCITY, MAX_VELOCITY)
        theta = theta + velocity * STEP_TIME
        # one wrap suffices: a step turns by at most pi/4
        theta = np.where(theta >= math.pi, theta - 2 * math.pi, np.where(theta < -math.pi, theta + 2 * math.pi, theta))
        return np.stack([theta, velocity], axis=1), np.cos(theta), np.zeros(len(theta), dtype=np.bool_), {}

    def paint(self, pg: Any, surface: Any, state: np.ndarray, trail: list[np.ndarray]) -> None:
        w, h = surface.get_size()
        centre, rod = (w / 2, h / 2), 0.4 * min(w, h)
        theta = state[0, 0]
        tip = (centre[0] + rod * math.sin(theta), centre[1] - rod * math.cos(theta))  # theta = 0 is up
        pg.draw.line(surface, (200, 40, 40), centre, tip, 8)
        pg.draw.circle(surface, (40, 40, 40), centre, 6)
        pg.draw.circle(surface, (200, 40, 40), tip, 12)


class SwingPendulumEnv(SingleEnv):
    """DPG §5.2, RLPark's pendulum.

    ## Description

    A pendulum with limited torque must swing up and balance (Doya 2000).  This is RLPark's
    ``SwingPendulum`` (Degris's library; Degris, Pilarski & Sutton 2012), the pendulum of Silver
    et al. 2014, §5.2.  ``θ = 0`` is upright; ``m = l = 1``, ``g = 9.8``.  Each step, with
    torque ``u``: ``θ̇ ← clip(θ̇ − 0.01 θ̇ + m g l sin θ + u, ±(π/4)/0.01)``, ``θ ← θ + 0.01 θ̇``,
    wrapped into ``[−π, π)``.  The torque bound (2) is below ``m g l``, so the pendulum must
    swing to get up.  Differences from Gymnasium's ``Pendulum-v1``:

    * Reward: ``cos θ`` per step, at most +5000 in 5000 steps (Gymnasium: ``−(θ² + 0.1 θ̇² + 0.001 u²)``).
    * Time step: RLPark's update, the velocity takes the whole acceleration term and the angle ``0.01 θ̇`` (Gymnasium: semi-implicit Euler with dt = 0.05).
    * Bounds: ``|θ̇| ≤ 78.5`` and the observation is ``(θ, θ̇)`` (Gymnasium: ``|θ̇| ≤ 8``, observation ``(cos θ, sin θ, θ̇)``).
    * Start state: ``θ`` uniform in ``[−π, π)``, ``θ̇ = 0`` (Gymnasium: ``θ̇`` uniform in ``[−1, 1]`` too).
    * Episode cap: 5000 steps, as in the DPG paper (Gymnasium: 200).

    ## Action Space

    ``Box(-2, 2, (1,), float32)``: the torque.  Out-of-range values are clipped (as RLPark and
    the DPG paper do; ``action_out_of_range = "clip"``); NaN, inf, a non-number or a wrong
    shape raises ``ValueError`` naming the action space.

    ## Observation Space

    ``Box([-π, -78.54], [π, 78.54], (2,), float32)``: the angle ``θ`` (0 upright) and the
    angular velocity ``θ̇``.

    ## Rewards

    ``cos θ`` at the angle reached: +1 upright, −1 hanging down.

    ## Starting State

    ``start="random"`` (default, RLPark given a random generator): ``θ`` uniform in
    ``[−π, π)``, ``θ̇ = 0``.  ``start="fixed"`` (RLPark without one): ``θ = π/2`` (horizontal),
    ``θ̇ = 0``.

    ## Episode End

    * Termination: none.
    * Truncation: ``max_steps`` steps (5000, the DPG paper's cap).

    Stepping after the end raises ``ResetNeeded``.

    ## Arguments

    * ``start``: ``"random"`` (default) or ``"fixed"``.
    * ``max_steps``: the step limit (default 5000).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the rod seen from the front.

    ```python
    env = gymnasium.make("rl_envs/SwingPendulum-v0")
    venv = gymnasium.make_vec("rl_envs/SwingPendulum-v0", num_envs=30, vectorization_mode="vector_entry_point")
    ```
    """

    task_type = SwingPendulumTask


class SwingPendulumVectorEnv(VectorEnv):
    """``num_envs`` pendulums stepped as one array (see :class:`SwingPendulumEnv` and
    :mod:`rl_envs.core.vector`); with ``num_envs=1`` it reproduces the single env bit for bit;
    ``render_mode="rgb_array"`` renders a tuple of frames, one per pendulum."""

    task_type = SwingPendulumTask


__all__ = ["SwingPendulumEnv", "SwingPendulumVectorEnv"]
