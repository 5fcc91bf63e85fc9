"""The octopus-arm reaching task of Silver et al. 2014 (DPG, §5.3): one arm, and a native vector env."""

from __future__ import annotations

import math

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv

from ..rendering import RenderMixin, VectorRenderMixin, check_render_mode
from ..validation import as_box_action, describe, integer, positive, real_array
from ..vector import TaskVectorEnv, vector_signature
from . import physics
from .physics import FAILURES, OK

HIT_REWARD = 50.0
# target="random": distance from the base centre and angle (radians, 0 = along the initial arm)
RANDOM_TARGET_RADIUS = (1.5, 5.0)


def parse_target(target):
    """``"random"``, or a finite (x, y) as a float64 array."""
    if isinstance(target, str):
        if target != "random":
            raise ValueError(f"target must be (x, y) or 'random', got {target!r}")
        return target
    try:
        return real_array(target, "target", shape=(2,))
    except ValueError:
        raise ValueError(f"target must be a finite (x, y) pair or 'random', got {describe(target)}") from None


def sample_targets(rng: np.random.Generator, centre: np.ndarray, n: int) -> np.ndarray:
    """n targets, uniform in distance from the base centre in RANDOM_TARGET_RADIUS and in angle."""
    radius = rng.uniform(*RANDOM_TARGET_RADIUS, size=n)
    angle = rng.uniform(-math.pi, math.pi, size=n)
    return centre + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def observation_layout(n_compartments: int, random_target: bool) -> dict[str, slice]:
    """Where each quantity sits in an observation, as slices: ``theta`` and ``omega`` of the base,
    ``x``, ``y``, ``vx``, ``vy`` of every node (dorsal nodes 1..C, then ventral nodes 1..C, in
    the same order in each) and, with ``target="random"``, the ``target``'s (x, y)."""
    end = 2 + 8 * n_compartments
    layout = {"theta": slice(0, 1), "omega": slice(1, 2), "x": slice(2, end, 4), "y": slice(3, end, 4),
              "vx": slice(4, end, 4), "vy": slice(5, end, 4)}
    if random_target:
        layout["target"] = slice(end, end + 2)
    return layout


def _spaces(model: physics.ArmModel, random_target: bool):
    low, high = physics.observation_bounds(model)
    if random_target:
        # a random target lies within RANDOM_TARGET_RADIUS of the base centre (about (0.002, 0))
        reach = math.ceil(RANDOM_TARGET_RADIUS[1] + np.abs(model.par[:2]).max())
        low, high = np.append(low, [-reach, -reach]), np.append(high, [reach, reach])
    observation = spaces.Box(low.astype(np.float32), high.astype(np.float32), dtype=np.float32)
    action = spaces.Box(0.0, 1.0, shape=(model.action_size,), dtype=np.float32)
    return observation, action


class OctopusArmTask:
    """What the single and the vector env share: the model, the task arguments and the arms'
    state buffers (one arm, or ``num_envs``), following the pattern of :mod:`rl_envs.vector`;
    the arguments are documented on :class:`OctopusArmEnv`."""

    def __init__(self, n_compartments: int = 6, constants: str = "rl-library", target=(3.5, 3.5),
                 distance_gain: float = 1.0, max_steps: int = 300, render_mode: str | None = None,
                 kernel: str = "auto", threads: int | None = None):
        self.render_mode = check_render_mode(render_mode, self.metadata)
        self.model = physics.build_model(n_compartments, constants)
        threads = physics.default_threads() if threads is None else integer(threads, "threads")
        vector = isinstance(self, VectorEnv)
        # one arm is one block: a single env's step runs on one thread
        self._kernel = physics.Kernel(self.model, kernel, threads if vector else 1)
        self._target_arg = parse_target(target)
        self.random_target = isinstance(self._target_arg, str)
        self.observation_layout = observation_layout(self.model.n_compartments, self.random_target)
        self.distance_gain = positive(distance_gain, "distance_gain")
        self.max_steps = integer(max_steps, "max_steps")
        n = self.num_envs if vector else 1
        self._states = np.repeat(self.model.initial_state[None], n, axis=0)
        self._targets = np.zeros((n, 2))
        self._dist, self._hit = np.zeros(n), np.zeros(n, dtype=np.bool_)
        self._status = np.zeros(n, dtype=np.int64)
        self._last_actions = np.zeros((n, self.model.action_size))  # drawn as muscle colours
        self.observation_space, self.action_space = _spaces(self.model, self.random_target)


class OctopusArmEnv(OctopusArmTask, RenderMixin, gym.Env):
    r"""
    ## Description

    A two-dimensional octopus arm — a muscular hydrostat of ``C`` compartments on a rotating
    base, under water — must touch a target with any part of itself.  The simulation is the
    McGill simulator of the RL-Library and the 2008/2009 RL Competition (Yekutieli et al. 2005's
    model), re-implemented from its equations: ``2(C+1)`` point masses in node pairs along the
    dorsal (upper) and ventral (lower) side; compartment ``k`` joins pairs ``k`` and ``k+1``.
    Each compartment has a dorsal, a ventral and a transversal muscle (active, passive and
    damping force above a minimum length), a pressure force that keeps its area (square-root
    law), and quadratic anisotropic water drag on its two distal nodes; buoyancy cancels gravity
    below the water surface.  Pair 0 is a rigid base turning about its midpoint under an
    applied torque.  Time integration is classic RK4 with ``h = 0.2``, 25 substeps (5 time
    units) per agent step, the action held.  The task is that of Silver et al. 2014, §5.3
    (``C = 6``: 50 state and 20 action variables).  The physics is a compiled C kernel, SIMD
    across arms (numba where it is not installed); the native vector env
    (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``) steps many arms in
    one call, spread over the CPU cores.

    ## Action Space

    ``Box(0, 1, (2 + 3C,), float32)``: muscle activations, in this order:

    | Num         | Action                                         |
    |-------------|------------------------------------------------|
    | 0           | counter-clockwise base torque                  |
    | 1           | clockwise base torque                          |
    | 2 + 3k      | dorsal muscle of compartment k (0 = at base)   |
    | 3 + 3k      | transversal muscle of compartment k            |
    | 4 + 3k      | ventral muscle of compartment k                |

    Out-of-range values are clipped to ``[0, 1]`` (``action_out_of_range = "clip"``); NaN, inf,
    a non-number (str, bool, complex, None) or a wrong shape raises ``ValueError`` naming the
    action space.  The base torque is ``0.025 (a_ccw - a_cw)``.  Activations live in ``[0, 1]``,
    so SB3's checker advises a symmetric box; the task keeps its own units, and the yml entries
    of ``baselines.sb3`` rescale with ``rl_envs.wrappers.NormalizeAction``.

    ## Observation Space

    ``Box(-high, high, (2 + 8C,), float32)``, raw simulator values (not normalised):

    | Num            | Observation                                         |
    |----------------|-----------------------------------------------------|
    | 0              | base angle θ (of the upper base node about the base centre), wrapped to (-π, π] at the start of each step |
    | 1              | base angular velocity ω                              |
    | 2 + 4(i-1) ... | x, y, vx, vy of upper (dorsal) node i = 1..C         |
    | 2 + 4C + 4(i-1) ... | x, y, vx, vy of lower (ventral) node i = 1..C   |

    With ``target="random"`` the target's (x, y) is appended (``2 + 8C + 2`` values).
    The base centre is at about (0.002, 0); the arm starts along +x (θ = π/2); the water
    surface is at y = 5.

    The bounds are finite and hold exactly: positions within ``±ceil(2 (x_C + R))``, twice
    the rest reach (``x_C`` the tip pair's rest x, ``R = 0.43`` the base half-width: 12 for
    ``C = 6``); velocities and ω within ``±2``; θ within ``±14`` (wrapped
    into (-π, π] when a step starts, then turned by at most 2 × 5 time units).  Quadratic drag
    keeps speeds far below 2 (under 0.25 for nodes and 0.6 for ω in full-torque spins and
    bang-bang runs of 1 to 10 compartments); a step that would leave the bounds anyway is
    a numerical failure (see Episode End), so no observation lies outside the space.  A random
    target lies within ``±6``.  See ``docs/octopus-physics.md``.

    ## Rewards

    Let ``d`` be the distance from the target to the nearest of the arm's ``2(C+1)`` nodes and
    ``C`` compartment centroids (mean of the four corners).  Each step pays
    ``distance_gain * (d_before - d_after)``, plus ``50`` on the step the target lies inside a
    compartment (even-odd rule on the quadrilateral):

    $$
    r_t = g\,(d_{t-1} - d_t) + 50\,\mathbb{1}[\text{hit at } t], \qquad g = \texttt{distance\_gain}.
    $$

    An episode's distance terms telescope to ``distance_gain * (d_0 - d_end)``.

    ## Starting State

    The rest pose of the tapered RL-Library arm (its first ``C + 1`` node pairs: ``x_i =
    0.0019746 + 0.897315 i``, half-width ``0.4302831 - 0.0061818 i``), at rest.  The start is
    deterministic; with ``target="random"`` the target is drawn from ``np_random`` at every
    reset, uniform in angle and in distance ``[1.5, 5.0]`` from the base centre.  The rest pose
    is pre-stressed (passive muscle tension): with zero action the arm settles within a few
    steps, its tip moving from x = 5.39 to 5.41.

    ## Episode End

    * Termination: the target lies inside a compartment (a hit).
    * Truncation: ``max_steps`` steps (300), or a numerical failure — a non-finite value, a
      value outside the observation bounds or a compartment turned inside out — in which case
      the state is left as before the step,
      the reward is 0 and ``info["failure"]`` says why.  Observations are never NaN.

    Stepping after the end raises ``ResetNeeded``.

    ## Arguments

    * ``n_compartments``: ``C`` in ``[1, 10]`` (default 6, as in the DPG paper).
    * ``constants``: ``"rl-library"`` (default: the hard-coded RL-Library / competition set) or
      ``"icml06"`` (the ICML 2006 benchmark's XML set: half the tangential drag, weaker
      damping, minimum muscle length 0.4 instead of 0.1).
    * ``target``: ``(x, y)`` (default ``(3.5, 3.5)``, 45° from the initial arm axis at a
      distance of about 4.95) or ``"random"``.
    * ``distance_gain``: the reward per unit of distance gained (default 1).
    * ``max_steps``: the step limit (default 300).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``.  Compartments are drawn as quadrilaterals
      coloured by their mean muscle activation (pale: relaxed, dark red: fully active).
    * ``kernel``: ``"auto"`` (default: the compiled SIMD kernel, or the numba kernel with a
      ``physics.KernelFallbackWarning`` where it is not installed), ``"simd"`` or ``"numba"``.
      Both give the same results bit for bit (docs/benchmarks.md, "The octopus kernel").
    * ``threads``: the most threads a step of the vector env uses (default:
      ``physics.default_threads()``, the CPU cores this process may use unless
      ``physics.set_default_threads`` says otherwise); a single env steps its one arm on one thread.

    ```python
    env = gymnasium.make("rl_envs/OctopusArm-v0", target="random")
    venv = gymnasium.make_vec("rl_envs/OctopusArm-v0", num_envs=64, vectorization_mode="vector_entry_point")
    ```
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 20}
    action_out_of_range = "clip"
    _done = True  # before the first reset: step() raises ResetNeeded

    @property
    def target(self) -> np.ndarray:
        return self._targets[0].copy()

    @property
    def distance(self) -> float:
        """Current distance from the target to the arm (see Rewards)."""
        return float(self._dist[0])

    def _obs(self) -> np.ndarray:
        if self.random_target:
            return np.concatenate([self._states[0], self._targets[0]]).astype(np.float32)
        return self._states[0].astype(np.float32)

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._states[0] = self.model.initial_state
        self._targets[0] = (sample_targets(self.np_random, self.model.base_centre, 1)[0]
                            if self.random_target else self._target_arg)
        self._kernel.measure(self._states, self._targets, self._dist, self._hit)
        self._last_actions[0] = 0.0
        self._t = 0
        self._done = False
        if self.render_mode == "human":
            self.render()
        return self._obs(), {}

    def step(self, action):
        a = as_box_action(action, self.action_space)
        if self._done:
            raise ResetNeeded("the episode has ended (or not started): call reset() before step()")
        d_before = self._dist[0]
        self._kernel.advance(self._states, a[None], self._targets, self._dist, self._hit, self._status)
        status = self._status[0]
        self._t += 1
        if status != OK:
            self._done = True
            return self._obs(), 0.0, False, True, {"failure": FAILURES[int(status)]}
        self._last_actions[0] = a
        terminated = bool(self._hit[0])
        reward = float(self.distance_gain * (d_before - self._dist[0]) + (HIT_REWARD if terminated else 0.0))
        truncated = not terminated and self._t >= self.max_steps
        self._done = terminated or truncated
        if self.render_mode == "human":
            self.render()
        return self._obs(), reward, terminated, truncated, {}

    # -- rendering ----------------------------------------------------------------------------

    def _canvas_size(self):
        return CANVAS_SIZE

    def _paint(self, pg, surface):
        paint_arm(pg, surface, self.model, self._states[0], np.clip(self._last_actions[0], 0.0, 1.0), self._targets[0])


VIEW_HALF_WIDTH = 6.5  # world units shown either side of the base centre
CANVAS_SIZE = (500, 500)


def paint_arm(pg, surface, model, state, action, target):
    """Water, surface line, compartments coloured by activation, base and target."""
    w, h = surface.get_size()
    scale = min(w, h) / (2 * VIEW_HALF_WIDTH)
    cx, cy = model.base_centre

    def px(x, y):
        return (w / 2 + (x - cx) * scale, h / 2 - (y - cy) * scale)

    surface_y = px(0.0, model.water_surface)[1]
    pg.draw.rect(surface, (200, 225, 245), pg.Rect(0, int(surface_y), w, h))
    pg.draw.line(surface, (40, 90, 170), (0, surface_y), (w, surface_y), 2)
    pos, _ = physics.node_arrays(state, model)
    U, L = pos[0, 0], pos[0, 1]
    activation = action[2:].reshape(-1, 3).mean(axis=1)
    relaxed, active = np.array([250, 200, 190]), np.array([170, 20, 40])
    for k, level in enumerate(activation):
        colour = tuple(int(c) for c in relaxed + level * (active - relaxed))
        quad = [px(*U[k]), px(*U[k + 1]), px(*L[k + 1]), px(*L[k])]
        pg.draw.polygon(surface, colour, quad)
        pg.draw.polygon(surface, (90, 30, 30), quad, 1)
    pg.draw.line(surface, (30, 30, 30), px(*U[0]), px(*L[0]), 5)
    pg.draw.circle(surface, (30, 30, 30), px(cx, cy), 5)
    pg.draw.circle(surface, (20, 150, 60), px(*target), max(4, int(0.12 * scale)))


class OctopusArmVectorEnv(TaskVectorEnv, OctopusArmTask, VectorRenderMixin, VectorEnv):
    """``num_envs`` octopus arms stepped by one kernel call spread over threads (see
    :class:`OctopusArmEnv` for the task).  Autoreset is next-step, as in Gymnasium's
    ``CartPoleVectorEnv``: the step after an arm's episode ends resets it and returns its first
    observation with reward 0.  Arm ``i`` with the same actions reproduces a single
    :class:`OctopusArmEnv` bit for bit; ``info["failure"]`` (with mask ``info["_failure"]``)
    names a numerical failure.  ``render_mode="rgb_array"`` renders a tuple of frames, one per
    arm, drawn as :class:`OctopusArmEnv` draws its arm.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 20, "autoreset_mode": AutoresetMode.NEXT_STEP}
    action_out_of_range = "clip"
    __signature__ = vector_signature(OctopusArmTask)

    def _start(self, mask: np.ndarray, options: dict | None = None) -> None:
        """Put the arms in ``mask`` at the start of an episode (targets drawn in arm order)."""
        self._states[mask] = self.model.initial_state
        if self.random_target:
            self._targets[mask] = sample_targets(self.np_random, self.model.base_centre, int(mask.sum()))
        else:
            self._targets[mask] = self._target_arg
        self._last_actions[mask] = 0.0
        dist, hit = np.empty(self.num_envs), np.empty(self.num_envs, dtype=np.bool_)
        self._kernel.measure(self._states, self._targets, dist, hit)
        self._dist[mask] = dist[mask]

    def _obs(self) -> np.ndarray:
        if self.random_target:
            return np.concatenate([self._states, self._targets], axis=1).astype(np.float32)
        return self._states.astype(np.float32)

    def _observe(self):
        return self._obs(), {}

    def step(self, actions):
        a = np.ascontiguousarray(as_box_action(actions, self.action_space))  # the kernel reads rows
        restarted = self._begin_step()  # their step is discarded: they start a new episode instead
        d_before = self._dist.copy()
        self._kernel.advance(self._states, a, self._targets, self._dist, self._hit, self._status)
        failed = (self._status != OK) & ~restarted
        terminated = self._hit & ~failed & ~restarted
        reward = self.distance_gain * (d_before - self._dist) + np.where(terminated, HIT_REWARD, 0.0)
        reward[failed | restarted] = 0.0
        truncated = self._finish_step(restarted, terminated, failed)
        infos = {}
        if failed.any():
            infos["failure"] = np.array([FAILURES[int(s)] if f else "" for s, f in zip(self._status, failed)], dtype=object)
            infos["_failure"] = failed
        moved = ~(failed | restarted)
        self._last_actions[moved] = a[moved]
        if restarted.any():
            self._start(restarted)
        return self._obs(), reward, terminated, truncated, infos

    def _canvas_size(self):
        return CANVAS_SIZE

    def _paint_env(self, pg, surface, i: int) -> None:
        paint_arm(pg, surface, self.model, self._states[i], np.clip(self._last_actions[i], 0.0, 1.0), self._targets[i])
