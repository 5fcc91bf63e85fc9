"""RLPark's mountain car with a continuous throttle (Degris's RLPark library, ``MountainCar``): the
mountain car of Silver et al. 2014, §5.2, whose Figure 2 scale (−5000 for a car that never
reaches the goal in 5000 steps) fits its −1 per step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gymnasium import spaces

from . import dp, dp_reference
from .core import Reference, SingleEnv, Task, VectorEnv
from .validation import integer, one_of, real

POSITION_RANGE = (-1.2, 0.6)
VELOCITY_RANGE = (-0.07, 0.07)
POWER, GRAVITY = 0.001, 0.0025
FIXED_START = np.array([-0.5, 0.0])
STARTS = ("random", "fixed")


def hill_height(position: np.ndarray | float) -> np.ndarray | float:
    """The drawn height of the track, sin(3p): its slope gives the cos(3p) gravity term."""
    return np.sin(3 * position)


@dataclass(frozen=True)
class MountainCarRLParkTask(Task):
    """The mountain car's parameters and batched dynamics (documented on :class:`MountainCarRLParkEnv`)."""

    start: str = "random"
    max_steps: int = 5000
    goal_reward: float = -1.0

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 50}

    def __post_init__(self):
        one_of(self.start, "start", STARTS)
        integer(self.max_steps, "max_steps")
        goal_reward = real(self.goal_reward, "goal_reward")
        if goal_reward > 0:  # the task stays one of reaching the goal soonest (and dp_problem's costs >= 0)
            raise ValueError(f"goal_reward must be a real number <= 0 (RLPark's is -1), got {goal_reward!r}")
        low, high = np.array([POSITION_RANGE[0], VELOCITY_RANGE[0]]), np.array([POSITION_RANGE[1], VELOCITY_RANGE[1]])
        self._derive(
            goal_reward=goal_reward,
            observation_space=spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32),
            action_space=spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32),
        )

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> np.ndarray:
        if self.start == "fixed":
            return np.repeat(FIXED_START[None], n, axis=0)
        # RLPark draws the position, then the velocity, of each car
        return rng.uniform([POSITION_RANGE[0], VELOCITY_RANGE[0]], [POSITION_RANGE[1], VELOCITY_RANGE[1]], size=(n, 2))

    def transition(
        self, state: np.ndarray, action: np.ndarray, noise: None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
        p, v = state[:, 0], state[:, 1]
        v = np.clip(v + POWER * action[:, 0] - GRAVITY * np.cos(3 * p), *VELOCITY_RANGE)
        p = p + v
        v = np.where(p < POSITION_RANGE[0], 0.0, v)  # the left wall stops the car
        p = np.clip(p, *POSITION_RANGE)
        at_goal = p >= POSITION_RANGE[1]
        return np.stack([p, v], axis=1), np.where(at_goal, self.goal_reward, -1.0), at_goal, {}

    # -- the reference (dynamic programming, rl_envs.dp) ---------------------------------------

    def dp_problem(
        self,
        nodes: tuple[int, int] = (201, 201),
        actions: int = 9,
        cells: tuple[int, int] = (1200, 1200),
        pieces: int = 8,
    ) -> dp.ControlProblem:
        """The car as :mod:`rl_envs.dp` solves it: a grid of ``nodes`` over the state box and
        ``actions`` throttles evenly from -1 to 1 (time-optimal throttles are bang-bang, so the
        ends matter most); for the certified bound, the box cut into ``cells`` and the throttle
        range into ``pieces``, with the interval enclosure of a step below."""
        low, high = (POSITION_RANGE[0], VELOCITY_RANGE[0]), (POSITION_RANGE[1], VELOCITY_RANGE[1])
        partition = dp.Cells(low, high, cells, (False, False))
        if self.start == "fixed":
            start = (FIXED_START[None], np.ones(1))
            start_cells = dp.point_weights(partition, FIXED_START)
        else:
            start = dp.box_quadrature(low, high, (400, 400))
            start_cells = np.full(partition.size, 1.0 / partition.size)
        throttles, throttle_pieces = dp.interval_actions(1.0, actions, pieces)
        return dp.ControlProblem(
            step=lambda x, a, noise: self.transition(x, a, None)[:3],
            grid=dp.Grid(low, high, nodes, (False, False)),
            actions=throttles,
            reward_bound=0.0,
            horizon=self.max_steps,
            start=start,
            cells=partition,
            action_pieces=throttle_pieces,
            enclose=self._enclose,
            start_cells=start_cells,
        )

    def reference(self) -> Reference:
        """The optimum's bounds and the uniformly random policy's return for these parameters, by
        dynamic programming (cached; see :mod:`rl_envs.dp_reference`, and "Reference value" on
        the env's page); a ValueError for parameters that have no cached record."""
        return dp_reference.cached_reference(self)

    def _enclose(self, low, high, a_low, a_high, n_low, n_high) -> dp.Enclosure:
        """Every successor of the cells ``[low, high]`` under a throttle in ``[a_low, a_high]``
        (:meth:`transition` in interval arithmetic): the velocity's interval from the extremes of
        cos 3p over the cell, the position's from it; the left wall's stop, ``(-1.2, 0)``, is a box
        of its own."""
        (p0, v0), (p1, v1) = low.T, high.T
        cos_low, cos_high = dp.cos_range(3 * p0, 3 * p1)
        v_low = np.clip(v0 + POWER * a_low[0] - GRAVITY * cos_high - dp.ROUNDING, *VELOCITY_RANGE)
        v_high = np.clip(v1 + POWER * a_high[0] - GRAVITY * cos_low + dp.ROUNDING, *VELOCITY_RANGE)
        p_low, p_high = p0 + v_low - dp.ROUNDING, p1 + v_high + dp.ROUNDING
        lo, hi = POSITION_RANGE
        moving = np.stack([np.clip(p_low, lo, hi), v_low], axis=1), np.stack([np.clip(p_high, lo, hi), v_high], axis=1)
        wall = np.broadcast_to([lo, 0.0], low.shape)
        may_end = p_high >= hi
        return dp.Enclosure(
            boxes=[(*moving, p_high >= lo), (wall, wall, p_low < lo)],
            cost_low=np.where(may_end, min(1.0, -self.goal_reward), 1.0),
            may_end=may_end,
        )

    def paint(self, pg: Any, surface: Any, state: np.ndarray, trail: list[np.ndarray]) -> None:
        w, h = surface.get_size()
        lo, hi = POSITION_RANGE

        def px(p):
            return ((p - lo) / (hi - lo) * w, h * (0.55 - 0.35 * hill_height(p)))

        track = [px(p) for p in np.linspace(lo, hi, 100)]
        pg.draw.lines(surface, (60, 60, 60), False, track, 3)
        pg.draw.line(surface, (40, 170, 70), px(hi), (px(hi)[0] - 1, px(hi)[1] - 40), 4)
        x, y = px(state[0, 0])
        pg.draw.circle(surface, (200, 40, 40), (x, y - 9), 9)


class MountainCarRLParkEnv(SingleEnv):
    """DPG §5.2, RLPark's car.

    ## Description

    An under-powered car in a valley must build momentum to climb the right hill (Moore 1990;
    Sutton 1996).  This is RLPark's version (Degris's library, used by Degris, Pilarski &
    Sutton 2012 and by the mountain car of Silver et al. 2014, §5.2) with a continuous
    throttle.  Each step, with position ``p``, velocity ``v`` and throttle ``a``:
    ``v ← clip(v + 0.001 a − 0.0025 cos 3p, ±0.07)``, ``p ← p + v``; if ``p < −1.2`` the car
    stops (``v = 0``) and ``p`` is clipped to ``[−1.2, 0.6]``.  Differences from Gymnasium's
    ``MountainCarContinuous-v0``:

    * Reward: −1 on every step, the one that reaches the goal included, as in RLPark (with
      ``goal_reward=0`` that step pays 0) (Gymnasium: −0.1 a² per step, +100 at the goal).
    * Time step: the power is 0.001 per unit of throttle (Gymnasium: 0.0015).
    * Bounds: the same; the goal is ``p ≥ 0.6`` (Gymnasium: ``p ≥ 0.45`` and ``v ≥ 0``).
    * Start state: uniform over the whole state box (Gymnasium: ``p ∈ [−0.6, −0.4]``, ``v = 0``).
    * Episode cap: 5000 steps, as in the DPG paper (Gymnasium: 999).

    ## Action Space

    ``Box(-1, 1, (1,), float32)``: the throttle.  Out-of-range values are clipped (as RLPark
    and the DPG paper do; ``action_out_of_range = "clip"``); NaN, inf, a non-number or a wrong
    shape raises ``ValueError`` naming the action space.

    ## Observation Space

    ``Box([-1.2, -0.07], [0.6, 0.07], (2,), float32)``: position and velocity.

    ## Rewards

    −1 per step; on the step that reaches the goal, ``goal_reward``: −1 by default, as in RLPark's
    ``MountainCar`` (−1 on every step: the return is minus the number of steps).  With
    ``goal_reward=0`` (this package's default before 2026-12) the goal step pays 0, so that an
    episode that reaches the goal returns 1 more.  A car that never reaches it scores −5000 in a
    5000-step episode.

    ## Starting State

    ``start="random"`` (default, RLPark given a random generator): position uniform in
    ``[−1.2, 0.6]``, then velocity uniform in ``[−0.07, 0.07]``.  ``start="fixed"`` (RLPark
    without one): ``(−0.5, 0)``.

    ## Episode End

    * Termination: ``p ≥ 0.6``.
    * Truncation: ``max_steps`` steps (5000, the DPG paper's cap).

    Stepping after the end raises ``ResetNeeded``.

    ## Reference value

    ``env.unwrapped.reference()`` (a :class:`rl_envs.core.Reference`, cached in
    ``rl_envs/dp_references.json``; see :mod:`rl_envs.dp_reference`) bounds the best expected
    return from the documented start, undiscounted, and gives the uniformly random policy's, for
    the parameters of the table (others raise ``ValueError``: nothing is cached for them).

    * ``value``, ``lower``: semi-Lagrangian value iteration (Bardi & Capuzzo-Dolcetta 1997) on
      a grid refined until the start value changed by less than 0.5 % (from the fixed start,
      101², 201² and 401² nodes give −107.03, −105.25 and −104.93; from the random start
      −49.87, −49.61 and −49.50), 9 throttles from −1 to 1; its greedy policy run in this
      environment.  From the fixed start the car and the policy are deterministic, so one
      episode is exact: the goal in 106 steps, as the best throttle sequence of ±1 with at most
      two switches (``tests/test_dp.py``).  From the random start, the mean of 100 000 episodes
      and the low end of its 99 % interval.
    * ``upper``: certified, no sampling: a lower bound of the cost by a conservative abstraction
      on 1200 × 1200 cells (Junge & Osinga 2004): 21 steps short of the fixed start's 106, and
      6 % short of the random start's return.
    * ``random``: 10 000 episodes of uniformly random throttles, with the 99 % interval.

    | start | goal_reward | lower | value | upper | random (99 % interval) |
    |---|---|---:|---:|---:|---|
    | `'fixed'` | `0.0` | −105.00 | −105.00 | −84.00 | −4998.26 (−4999.71 to −4996.80) |
    | `'fixed'` | `-1.0` | −106.00 | −106.00 | −85.00 | −4998.26 (−4999.71 to −4996.80) |
    | `'random'` | `0.0` | −49.75 | −49.53 | −46.40 | −3882.59 (−3936.01 to −3829.17) |
    | `'random'` | `-1.0` | −50.75 | −50.53 | −47.40 | −3882.82 (−3936.23 to −3829.41) |

    ## Arguments

    * ``start``: ``"random"`` (default) or ``"fixed"``.
    * ``max_steps``: the step limit (default 5000).
    * ``goal_reward``: the reward of the step that reaches the goal (default −1, RLPark's; 0 pays
      nothing there; at most 0, so that the task stays one of reaching the goal soonest).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the track (height ``sin 3p``), the goal
      flag and the car.

    ```python
    env = gymnasium.make("rl_envs/MountainCarRLPark-v0")
    venv = gymnasium.make_vec("rl_envs/MountainCarRLPark-v0", num_envs=30, vectorization_mode="vector_entry_point")
    ```
    """

    task_type = MountainCarRLParkTask


class MountainCarRLParkVectorEnv(VectorEnv):
    """``num_envs`` mountain cars stepped as one array (see :class:`MountainCarRLParkEnv` and
    :mod:`rl_envs.core.vector`); with ``num_envs=1`` it reproduces the single env bit for bit;
    ``render_mode="rgb_array"`` renders a tuple of frames, one per car."""

    task_type = MountainCarRLParkTask


__all__ = ["MountainCarRLParkEnv", "MountainCarRLParkVectorEnv"]
