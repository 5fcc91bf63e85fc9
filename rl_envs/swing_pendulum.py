"""RLPark's swing-up pendulum (Degris's RLPark library, ``SwingPendulum``, after Doya 2000): the
pendulum of Silver et al. 2014, §5.2, whose Figure 2 scale (+5000 at most in 5000 steps) fits
its reward cos θ."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from . import dp, dp_reference
from .core import Reference, SingleEnv, Task, VectorEnv
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

    # -- the reference (dynamic programming, rl_envs.dp) ---------------------------------------

    def dp_problem(
        self,
        nodes: tuple[int, int] = (300, 301),
        actions: int = 9,
        cells: tuple[int, int] = (600, 600),
        pieces: int = 4,
    ) -> dp.ControlProblem:
        """The pendulum as :mod:`rl_envs.dp` solves it: a grid of ``nodes`` over the angle (periodic)
        and the velocity's range, ``actions`` torques evenly from -2 to 2; the cost of a step is
        ``1 - cos θ``, so that the return over ``max_steps`` steps is ``max_steps`` minus the total
        cost.  For the certified bound, the state space cut into ``cells`` and the torque range
        into ``pieces``, with the interval enclosure of a step below."""
        low, high = (-math.pi, -MAX_VELOCITY), (math.pi, MAX_VELOCITY)
        partition = dp.Cells(low, high, cells, (True, False))
        if self.start == "fixed":
            start = (FIXED_START[None], np.ones(1))
            start_cells = dp.point_weights(partition, FIXED_START)
        else:
            start = dp.line_quadrature(low[0], high[0], 4000, 0, [0.0])
            start_cells = dp.line_weights(partition, 0, [0.0])
        torques, torque_pieces = dp.interval_actions(MAX_TORQUE, actions, pieces)
        return dp.ControlProblem(
            step=lambda x, a, noise: self.transition(x, a, None)[:3],
            grid=dp.Grid(low, high, nodes, (True, False)),
            actions=torques,
            reward_bound=1.0,
            horizon=self.max_steps,
            start=start,
            cells=partition,
            action_pieces=torque_pieces,
            enclose=self._enclose,
            start_cells=start_cells,
        )

    def reference(self) -> Reference:
        """The optimum's bounds and the uniformly random policy's return for these parameters, by
        dynamic programming (cached; see :mod:`rl_envs.dp_reference`, and "Reference value" on
        the env's page); a ValueError for parameters that have no cached record."""
        return dp_reference.cached_reference(self)

    def _enclose(self, low, high, a_low, a_high, n_low, n_high) -> dp.Enclosure:
        """Every successor of the cells ``[low, high]`` under a torque in ``[a_low, a_high]``
        (:meth:`transition` in interval arithmetic, the angle unwrapped): the velocity's interval
        from the extremes of sin θ over the cell, the angle's from it; the cost ``1 - cos θ'`` at
        least 1 minus the greatest cosine over the angle's interval."""
        (t0, w0), (t1, w1) = low.T, high.T
        sin_low, sin_high = dp.cos_range(t0 - math.pi / 2, t1 - math.pi / 2)
        mgl = MASS * GRAVITY * LENGTH
        w_low = np.clip((1 - STEP_TIME) * w0 + mgl * sin_low + a_low[0] - dp.ROUNDING, -MAX_VELOCITY, MAX_VELOCITY)
        w_high = np.clip((1 - STEP_TIME) * w1 + mgl * sin_high + a_high[0] + dp.ROUNDING, -MAX_VELOCITY, MAX_VELOCITY)
        t_low, t_high = t0 + STEP_TIME * w_low - dp.ROUNDING, t1 + STEP_TIME * w_high + dp.ROUNDING
        cos_high = dp.cos_range(t_low, t_high)[1]
        return dp.Enclosure(
            boxes=[
                (np.stack([t_low, w_low], axis=1), np.stack([t_high, w_high], axis=1), np.ones(len(low), dtype=bool))
            ],
            cost_low=1.0 - cos_high,
            may_end=np.zeros(len(low), dtype=bool),
        )

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

    ## Reference value

    ``env.unwrapped.reference()`` (a :class:`rl_envs.core.Reference`, cached in
    ``rl_envs/dp_references.json``; see :mod:`rl_envs.dp_reference`) bounds the best expected
    return from the documented start, undiscounted, and gives the uniformly random policy's, for
    the parameters of the table (others raise ``ValueError``: nothing is cached for them).  The
    best return is 5000 less the total shortfall ``Σ (1 − cos θ)``, spent while swinging up.

    * ``value``, ``lower``: semi-Lagrangian value iteration (Bardi & Capuzzo-Dolcetta 1997) on
      the shortfall, on a grid refined until its start value changed by less than 0.5 % (from
      the fixed start, 100 × 101 and 200 × 201 nodes give 27.40 and 27.53; from the random
      start, up to 800 × 801 nodes: 34.69, 34.52, 34.33, 34.26), 9 torques from −2 to 2; its
      greedy policy run in this environment: one episode from the fixed start (deterministic),
      the mean of 2000 episodes and the low end of its 99 % interval from the random start.
    * ``upper``: certified, no sampling: a lower bound of the shortfall by a conservative
      abstraction on 600 × 600 cells (Junge & Osinga 2004).
    * ``random``: 2000 episodes of uniformly random torques, with the 99 % interval.

    | start | lower | value | upper | random (99 % interval) |
    |---|---:|---:|---:|---|
    | `'fixed'` | 4972.46 | 4972.46 | 4974.14 | −4770.93 (−4773.24 to −4768.61) |
    | `'random'` | 4963.84 | 4965.36 | 4972.95 | −4764.72 (−4768.30 to −4761.15) |

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
