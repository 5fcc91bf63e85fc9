"""Puddle world with continuous moves: the OffPAC geometry of Degris, White & Sutton 2012 (the
DPG paper's 2-D puddle world, Silver et al. 2014, §5.2) and the classic capsule puddles of
Boyan & Moore 1995 and Sutton 1996."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

import numpy as np
from gymnasium import spaces
from scipy.special import erf

from . import dp, dp_reference
from .core import Reference, SingleEnv, Task, VectorEnv
from .validation import integer, one_of, real

VARIANTS = ("offpac", "boyan-moore")
ACTIONS = ("continuous", "discrete")
MAX_MOVE = 0.05
# OffPAC (RLPark's OffPACPuddleWorld): three axis-aligned Gaussian puddles, (mean, std) per axis
GAUSSIAN_MEANS = np.array([[0.3, 0.6], [0.4, 0.5], [0.8, 0.9]])
GAUSSIAN_STDS = np.array([[0.1, 0.03], [0.03, 0.1], [0.03, 0.1]])
GAUSSIAN_NORMALIZERS = 2 * math.pi * GAUSSIAN_STDS.prod(axis=1)
OFFPAC_START = np.array([0.2, 0.4])
# Boyan & Moore 1995: capsules of radius 0.1 around two segments, a penalty of 400 per unit of depth
CAPSULES = np.array([[[0.10, 0.75], [0.45, 0.75]], [[0.45, 0.40], [0.45, 0.80]]])
CAPSULE_RADIUS, CAPSULE_PENALTY = 0.1, 400.0
GOAL_SUM = 1.9  # the goal corner: x + y >= 1.9 (OffPAC: ||s - (1, 1)||_1 < 0.1, i.e. x + y > 1.9)
DEFAULT_NOISE = {"offpac": 0.0025, "boyan-moore": 0.01}
# Discrete actions: moves of MAX_MOVE up, right, down, left
DISCRETE_CONTROLS = MAX_MOVE * np.array([[0.0, 1.0], [1.0, 0.0], [0.0, -1.0], [-1.0, 0.0]])


def gaussian_puddle_reward(states: np.ndarray) -> np.ndarray:
    """OffPAC's reward at ``states`` (n, 2): -1 - 2 sum_k N(s; mean_k, diag(std_k^2))."""
    return _gaussian_reward(states[:, None, :])  # every puddle's density at the same point


def _gaussian_reward(points: np.ndarray) -> np.ndarray:
    """OffPAC's reward with puddle ``k``'s density taken at ``points[:, k]`` (n, 3, 2), or at
    ``points[:, 0]`` for every ``k`` (n, 1, 2)."""
    z = (points - GAUSSIAN_MEANS) / GAUSSIAN_STDS
    return -1.0 - 2.0 * (np.exp(-0.5 * (z**2).sum(axis=2)) / GAUSSIAN_NORMALIZERS).sum(axis=1)


def capsule_distances(states: np.ndarray) -> np.ndarray:
    """The distance from each state (n, 2) to each puddle segment of Boyan & Moore (n, 2)."""
    a, b = CAPSULES[:, 0], CAPSULES[:, 1]
    ab = b - a
    t = np.clip(((states[:, None, :] - a) * ab).sum(axis=2) / (ab * ab).sum(axis=1), 0.0, 1.0)
    nearest = a + t[:, :, None] * ab
    return np.sqrt(((states[:, None, :] - nearest) ** 2).sum(axis=2))


def capsule_distance(states: np.ndarray) -> np.ndarray:
    """The distance from each state (n, 2) to the nearest puddle segment of Boyan & Moore."""
    return capsule_distances(states).min(axis=1)


def capsule_puddle_reward(states: np.ndarray) -> np.ndarray:
    """Boyan & Moore's reward: -1, minus 400 (0.1 - d) within 0.1 of the nearest segment (no sum)."""
    return -1.0 - CAPSULE_PENALTY * np.maximum(CAPSULE_RADIUS - capsule_distance(states), 0.0)


@dataclass(frozen=True)
class PuddleWorldTask(Task):
    """The puddle world's parameters and batched dynamics (documented on :class:`PuddleWorldEnv`)."""

    variant: str = "offpac"
    actions: str = "continuous"
    noise: float | None = None
    max_steps: int = 5000
    # Set by __post_init__, not an argument (as are the spaces): the variant's reward function
    reward_at: Callable[[np.ndarray], np.ndarray] = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 50}
    # Moves of at most 0.05 and torques of at most 2, the tasks' own units (Silver et al. 2014,
    # §5.2, cap actions to these ranges)
    documented_warnings = {"symmetric and normalized": "actions in the task's own units (Silver et al. 2014, §5.2)"}

    def __post_init__(self):
        one_of(self.variant, "variant", VARIANTS)
        one_of(self.actions, "actions", ACTIONS)
        noise = DEFAULT_NOISE[self.variant] if self.noise is None else real(self.noise, "noise", low=0)
        integer(self.max_steps, "max_steps")
        self._derive(
            noise=noise,
            observation_space=spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32),
            action_space=(
                spaces.Box(-MAX_MOVE, MAX_MOVE, shape=(2,), dtype=np.float32)
                if self.actions == "continuous"
                else spaces.Discrete(len(DISCRETE_CONTROLS))
            ),
            reward_at=gaussian_puddle_reward if self.variant == "offpac" else capsule_puddle_reward,
        )

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> np.ndarray:
        if self.variant == "offpac":
            return np.repeat(OFFPAC_START[None], n, axis=0)
        starts = np.empty((n, 2))
        for i in range(n):  # uniform over the states outside the goal, one state after another
            s = rng.uniform(size=2)
            while s.sum() >= GOAL_SUM:
                s = rng.uniform(size=2)
            starts[i] = s
        return starts

    def sample_noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        noise = cast(float, self.noise)  # the variant's default once __post_init__ has run
        if self.variant == "offpac":
            return rng.uniform(-noise, noise, size=(n, 2))
        return rng.normal(0.0, noise, size=(n, 2))

    def transition(
        self, state: np.ndarray, action: np.ndarray, noise: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
        move = DISCRETE_CONTROLS[action] if self.actions == "discrete" else action
        s = np.clip(state + move + noise, 0.0, 1.0)
        at_goal = s.sum(axis=1) > GOAL_SUM if self.variant == "offpac" else s.sum(axis=1) >= GOAL_SUM
        return s, self.reward_at(s), at_goal, {}

    # -- the reference (dynamic programming, rl_envs.dp) ---------------------------------------

    def dp_problem(
        self, nodes: int = 201, actions: int = 9, cells: int = 200, pieces: int = 8, noise_pieces: int = 2
    ) -> dp.ControlProblem:
        """The world as :mod:`rl_envs.dp` solves it: a grid of ``nodes`` x ``nodes`` over the
        square; continuous moves on a grid of ``actions`` x ``actions`` over the action box (the
        four moves when discrete); the noise by a four-point cubature exact for polynomials of
        degree 3 (the 2 x 2 Gauss-Legendre product for the uniform noise; ``±√2 σ`` on each axis,
        the 2n-point degree-3 rule of Stroud 1971, for the Gaussian).  For the certified bound:
        the square cut into ``cells`` x ``cells``, the action box into ``pieces`` x ``pieces``
        and the noise into ``noise_pieces`` pieces per axis (the uniform noise's of equal width;
        the Gaussian's: ``noise_pieces - 2`` of equal width within 3.5 σ and the two tails), with
        the enclosure of a step below.  The cost of a step is minus its reward (at least 1)."""
        noise = cast(float, self.noise)
        if noise == 0.0:
            noise_nodes, noise_weights = np.zeros((1, 2)), np.ones(1)
            cuts = np.zeros(2)
        elif self.variant == "offpac":  # the 2 x 2 Gauss-Legendre product
            side = np.array([-1.0, 1.0]) * noise / math.sqrt(3)
            noise_nodes = np.stack(np.meshgrid(side, side, indexing="ij"), axis=-1).reshape(-1, 2)
            noise_weights = np.full(4, 0.25)
            cuts = np.linspace(-noise, noise, noise_pieces + 1)
        else:  # ±√2 σ on each axis; the Gaussian's tails beyond 3.5 σ (2e-4 each) are pieces of their own
            noise_nodes = math.sqrt(2) * noise * np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
            noise_weights = np.full(4, 0.25)
            cuts = np.concatenate([[-np.inf], noise * np.linspace(-3.5, 3.5, max(noise_pieces - 1, 2)), [np.inf]])
        axis_pieces = np.stack([cuts[:-1], cuts[1:]], axis=1)
        axis_probs = self._noise_probability(cuts[1:]) - self._noise_probability(cuts[:-1])
        pairs = np.array([[i, j] for i in range(len(axis_pieces)) for j in range(len(axis_pieces))])
        noise_boxes = np.stack([axis_pieces[pairs[:, 0]], axis_pieces[pairs[:, 1]]], axis=2)  # (M, 2, 2)
        noise_probs = axis_probs[pairs[:, 0]] * axis_probs[pairs[:, 1]]
        if self.actions == "discrete":
            grid_actions = np.arange(len(DISCRETE_CONTROLS), dtype=np.float64)[:, None]
            action_boxes = np.repeat(DISCRETE_CONTROLS[:, None, :], 2, axis=1)
        else:
            space = cast(spaces.Box, self.action_space)
            low, high = space.low.astype(np.float64), space.high.astype(np.float64)
            axis = np.linspace(low[0], high[0], actions)
            grid_actions = np.stack(np.meshgrid(axis, axis, indexing="ij"), axis=-1).reshape(-1, 2)
            edges = np.linspace(low[0], high[0], pieces + 1)
            lows = np.stack(np.meshgrid(edges[:-1], edges[:-1], indexing="ij"), axis=-1).reshape(-1, 2)
            highs = np.stack(np.meshgrid(edges[1:], edges[1:], indexing="ij"), axis=-1).reshape(-1, 2)
            action_boxes = np.stack([lows, highs], axis=1)
        partition = dp.Cells((0.0, 0.0), (1.0, 1.0), (cells, cells), (False, False))
        if self.variant == "offpac":
            start = (OFFPAC_START[None], np.ones(1))
            start_cells = dp.point_weights(partition, OFFPAC_START)
        else:  # uniform on x + y < 1.9: the midpoint rule, and each cell's share of the area
            points, _ = dp.box_quadrature((0.0, 0.0), (1.0, 1.0), (400, 400))
            inside = points.sum(axis=1) < GOAL_SUM
            start = (points[inside], np.full(inside.sum(), 1.0 / inside.sum()))
            h = 1.0 / cells
            t = GOAL_SUM - partition.lows().sum(axis=1)  # how far below the line the lower corner is
            area = np.where(
                t >= 2 * h, h * h, np.where(t <= h, np.maximum(t, 0.0) ** 2 / 2, h * h - (2 * h - t) ** 2 / 2)
            )
            start_cells = area / area.sum()

        def step(x, a, n):
            action = a[:, 0].astype(np.int64) if self.actions == "discrete" else a
            return self.transition(x, action, np.zeros_like(x) if n is None else n)[:3]

        return dp.ControlProblem(
            step=step,
            grid=dp.Grid((0.0, 0.0), (1.0, 1.0), (nodes, nodes), (False, False)),
            actions=grid_actions,
            reward_bound=0.0,
            horizon=self.max_steps,
            start=start,
            noise=(noise_nodes, noise_weights),
            cells=partition,
            action_pieces=action_boxes,
            noise_pieces=(noise_boxes, noise_probs),
            enclose=self._enclose,
            start_cells=start_cells,
            env_actions=np.arange(len(DISCRETE_CONTROLS)) if self.actions == "discrete" else None,
        )

    def reference(self) -> Reference:
        """The optimum's bounds and the uniformly random policy's return for these parameters, by
        dynamic programming (cached; see :mod:`rl_envs.dp_reference`, and "Reference value" on
        the env's page); a ValueError for parameters that have no cached record."""
        return dp_reference.cached_reference(self)

    def _noise_probability(self, x: np.ndarray) -> np.ndarray:
        """The probability that one axis' noise is below ``x``."""
        noise = cast(float, self.noise)
        if noise == 0.0:
            return (x >= 0).astype(np.float64)
        if self.variant == "offpac":
            return np.clip((x + noise) / (2 * noise), 0.0, 1.0)
        return 0.5 * (1.0 + erf(x / (noise * math.sqrt(2))))

    def _enclose(self, low, high, a_low, a_high, n_low, n_high) -> dp.Enclosure:
        """Every successor of the cells ``[low, high]`` under a move in ``[a_low, a_high]`` and a
        noise in ``[n_low, n_high]``: a box, clipped to the square as :meth:`transition` clips;
        the cost at least 1 plus the least puddle penalty over the box (a Gaussian's least value
        over a box is at its far corner; the distance to a segment, convex, is greatest at a
        corner)."""
        lo = np.clip(low + a_low + n_low - dp.ROUNDING, 0.0, 1.0)
        hi = np.clip(high + a_high + n_high + dp.ROUNDING, 0.0, 1.0)
        if self.variant == "offpac":
            lo3, hi3 = lo[:, None, :], hi[:, None, :]
            cost_low = -_gaussian_reward(
                np.where(np.abs(lo3 - GAUSSIAN_MEANS) > np.abs(hi3 - GAUSSIAN_MEANS), lo3, hi3)
            )
            may_end = hi.sum(axis=1) > GOAL_SUM
        else:
            corners = np.stack(
                [lo, np.stack([lo[:, 0], hi[:, 1]], axis=1), np.stack([hi[:, 0], lo[:, 1]], axis=1), hi], axis=1
            )
            farthest = np.stack([capsule_distances(corners[:, c]) for c in range(4)]).max(axis=0)  # (n, puddles)
            cost_low = 1.0 + CAPSULE_PENALTY * np.maximum(CAPSULE_RADIUS - farthest.min(axis=1), 0.0)
            may_end = hi.sum(axis=1) >= GOAL_SUM
        return dp.Enclosure([(lo, hi, np.ones(len(low), dtype=bool))], cost_low - dp.ROUNDING, may_end)

    @cached_property
    def _background(self) -> np.ndarray:
        """The reward map as a (100, 100, 3) uint8 image (x along the first axis), drawn once."""
        cells = 100
        centres = (np.arange(cells) + 0.5) / cells
        x, y = np.meshgrid(centres, centres[::-1])  # row 0 is the top of the canvas (y = 1)
        r = self.reward_at(np.stack([x.ravel(), y.ravel()], axis=1)).reshape(cells, cells)
        depth = (r.max() - r) / max(r.max() - r.min(), 1e-12)  # 0 dry, 1 deepest
        rgb = np.stack([250 - 200 * depth, 250 - 150 * depth, 250 - 20 * depth], axis=2)
        return np.ascontiguousarray(rgb.transpose(1, 0, 2)).astype(np.uint8)

    def paint(self, pg: Any, surface: Any, state: np.ndarray, trail: list[np.ndarray]) -> None:
        w, h = surface.get_size()
        surface.blit(pg.transform.scale(pg.surfarray.make_surface(self._background), (w, h)), (0, 0))

        def px(x, y):
            return (x * w, (1 - y) * h)

        goal = [px(1.0, GOAL_SUM - 1.0), px(1.0, 1.0), px(GOAL_SUM - 1.0, 1.0)]
        pg.draw.polygon(surface, (40, 170, 70), goal)
        pg.draw.circle(surface, (200, 40, 40), px(*state[0]), 6)


class PuddleWorldEnv(SingleEnv):
    """DPG §5.2, Degris et al. 2012.

    ## Description

    A point in the unit square moves by small steps to the top-right corner, avoiding puddles
    that cost more the deeper it is in them.  ``variant="offpac"`` (the default) is the
    puddle world of Degris, White & Sutton 2012 (Off-policy actor-critic, RLPark's
    ``OffPACPuddleWorld``), the continuous-action 2-D puddle world of Silver et al. 2014, §5.2:
    three Gaussian puddles, a fixed start.  ``variant="boyan-moore"`` is the classic world of
    Boyan & Moore 1995 and Sutton 1996 (two capsule-shaped puddles, a random start) with
    continuous moves.  ``actions="discrete"`` gives the classic four discrete moves.  There is
    no Gymnasium version; the differences from the classic (tabular-control) puddle world:

    * Action: a continuous move in ``[-0.05, 0.05]²`` (classic: four moves of 0.05).
    * Reward: the OffPAC variant's puddles are Gaussians (classic: capsules, 400 per unit of depth).
    * Start state: OffPAC starts at (0.2, 0.4) (classic: uniform over non-goal states).
    * Noise: OffPAC adds uniform noise in ±0.0025 per axis (classic: Gaussian, σ = 0.01).
    * Episode cap: 5000 steps, as in the DPG paper (rlpy: 1000).

    ## Action Space

    ``Box(-0.05, 0.05, (2,), float32)``: the move (dx, dy).  Out-of-range values are clipped to
    the box (``action_out_of_range = "clip"``, as the DPG paper caps actions); NaN, inf, a
    non-number or a wrong shape raises ``ValueError`` naming the action space.  With
    ``actions="discrete"``: ``Discrete(4)``, a move of 0.05 up (+y), right (+x), down, left.

    ## Observation Space

    ``Box(0, 1, (2,), float32)``: the position (x, y).  The position is clipped to the square
    after every move.

    ## Rewards

    Per step, at the position reached:

    * ``"offpac"``: ``-1 - 2 Σ_k N((x, y); m_k, diag(s_k²))`` over three normalised Gaussians,
      means (0.3, 0.6), (0.4, 0.5), (0.8, 0.9) and standard deviations (0.1, 0.03),
      (0.03, 0.1), (0.03, 0.1): about −107 at the centre of the first, −1 far from all.
    * ``"boyan-moore"``: ``-1 - 400 (0.1 - d)`` where the distance ``d`` to the nearest of the
      segments (0.10, 0.75)–(0.45, 0.75) and (0.45, 0.40)–(0.45, 0.80) is below 0.1 (the
      nearest puddle only, not a sum), else ``-1``: −41 on a segment.

    ## Starting State

    ``"offpac"``: (0.2, 0.4).  ``"boyan-moore"``: uniform over the states with ``x + y < 1.9``.

    ## Episode End

    * Termination: the goal corner, ``x + y > 1.9`` (OffPAC's ``||s - (1, 1)||_1 < 0.1``;
      ``>= 1.9`` for ``"boyan-moore"``).
    * Truncation: ``max_steps`` steps (5000, the DPG paper's cap).

    Stepping after the end raises ``ResetNeeded``.

    ## Reference value

    ``env.unwrapped.reference()`` (a :class:`rl_envs.core.Reference`, cached in
    ``rl_envs/dp_references.json``; see :mod:`rl_envs.dp_reference`) bounds the best expected
    return from the documented start, undiscounted, and gives the uniformly random policy's, for
    the parameters of the table with the default noise and step limit (others raise
    ``ValueError``: nothing is cached for them).

    * ``value``, ``lower``: semi-Lagrangian value iteration (Bardi & Capuzzo-Dolcetta 1997) on
      a grid refined until the start value changed by less than 0.5 % (51², 101², 201² nodes:
      −22.17, −21.90, −21.82 for the default world), 9 × 9 moves over the action box (17 × 17
      changes the value on 101² nodes by 0.04 %) or the four discrete moves, the noise by a
      four-point cubature; its greedy policy run in this environment: the mean of 10 000
      episodes and the low end of its 99 % interval.
    * ``upper``: certified, no sampling: a lower bound of the expected cost by a conservative
      abstraction on 200 × 200 cells (Junge & Osinga 2004), the move and the noise cut into
      pieces (the noise's widths let the abstraction step further than the world does: the
      Gaussian noise of Boyan & Moore, cut into 12 pieces per axis, most).
    * ``random``: 2000 episodes of uniformly random moves, with the 99 % interval.

    | variant | actions | lower | value | upper | random (99 % interval) |
    |---|---|---:|---:|---:|---|
    | `'offpac'` | `'continuous'` | −21.71 | −21.70 | −18.73 | −16125.96 (−16748.08 to −15503.83) |
    | `'offpac'` | `'discrete'` | −36.31 | −36.29 | −30.07 | −11924.42 (−12449.96 to −11398.88) |
    | `'boyan-moore'` | `'continuous'` | −14.75 | −14.57 | −12.21 | −9503.63 (−9988.24 to −9019.01) |
    | `'boyan-moore'` | `'discrete'` | −21.66 | −21.38 | −16.96 | −6903.21 (−7281.79 to −6524.63) |

    ## Arguments

    * ``variant``: ``"offpac"`` (default) or ``"boyan-moore"``.
    * ``actions``: ``"continuous"`` (default) for Box moves, ``"discrete"`` for ``Discrete(4)``.
    * ``noise``: the move noise per axis: the half-width of the uniform noise (``"offpac"``,
      default 0.0025) or the standard deviation of the Gaussian noise (``"boyan-moore"``,
      default 0.01).
    * ``max_steps``: the step limit (default 5000).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the reward map (darker: costlier), the
      goal corner in green and the agent in red.

    ```python
    env = gymnasium.make("rl_envs/PuddleWorld-v0")                       # OffPAC / DPG
    env = gymnasium.make("rl_envs/PuddleWorld-v0", variant="boyan-moore", actions="discrete")
    venv = gymnasium.make_vec("rl_envs/PuddleWorld-v0", num_envs=30, vectorization_mode="vector_entry_point")
    ```
    """

    task_type = PuddleWorldTask


class PuddleWorldVectorEnv(VectorEnv):
    """``num_envs`` puddle worlds stepped as one array (see :class:`PuddleWorldEnv` and
    :mod:`rl_envs.core.vector`); each sub-env draws its own noise (and its start, in
    ``"boyan-moore"``) in sub-env order, so with ``num_envs=1`` it reproduces
    :class:`PuddleWorldEnv` bit for bit; ``render_mode="rgb_array"`` renders a tuple of frames,
    one per sub-env."""

    task_type = PuddleWorldTask


__all__ = ["PuddleWorldEnv", "PuddleWorldVectorEnv", "gaussian_puddle_reward", "capsule_puddle_reward"]
