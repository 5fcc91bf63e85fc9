"""The octopus-arm reaching task of Silver et al. 2014 (DPG, §5.3): one arm, and a native vector env."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from gymnasium import spaces

from ..core import NoReference, Reference, SingleEnv, Task, VectorEnv
from ..validation import as_box_action, describe, integer, positive, real_array
from . import physics
from .physics import FAILURES, OK

HIT_REWARD = 50.0
# target="random": distance from the base centre and angle (radians, 0 = along the initial arm)
RANDOM_TARGET_RADIUS = (1.5, 5.0)
VIEW_HALF_WIDTH = 6.5  # world units shown either side of the base centre


# The reference record (OctopusArmTask.reference) is measured on the default task only.
MEASURED_ON = {
    "n_compartments": 6,
    "constants": "rl-library",
    "target": (3.5, 3.5),
    "distance_gain": 1.0,
    "max_steps": 300,
}
#: The best mean return measured by an agent of this repository on the default task: COPDAC-Q
#: (Silver et al. 2014, §5.3; ``experiments/octopus_copdac.py``, alpha_w = 0.1), seed 0, the mean
#: return of its last 20 training episodes after 3·10⁵ environment steps (every one a hit, in
#: 71 steps on average), docs/reports/octopus-fig3.md.  Not an optimum.
BEST_KNOWN_RETURN = 52.91
#: The uniform-random policy's return on the default task, ``(mean, standard error)`` over
#: ``uniform_random_returns(OctopusArmTask(), RANDOM_EPISODES, RANDOM_SEED)``, which
#: tests/test_env_references.py recomputes.
RANDOM_RETURN = (0.04629945811930893, 0.005602158083040919)
RANDOM_EPISODES, RANDOM_SEED = 6400, 0
Z99 = 2.5758293035489004  # the standard normal's 99.5 % quantile: a two-sided 99 % interval


def parse_target(target: Any) -> str | np.ndarray:
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
    """n targets, uniform in distance from the base centre in RANDOM_TARGET_RADIUS and in angle,
    drawn arm by arm (distance, then angle)."""
    radius, angle = rng.uniform([RANDOM_TARGET_RADIUS[0], -math.pi], [RANDOM_TARGET_RADIUS[1], math.pi], size=(n, 2)).T
    return centre + radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)


def observation_layout(n_compartments: int, random_target: bool) -> dict[str, slice]:
    """Where each quantity sits in an observation, as slices: ``theta`` and ``omega`` of the base,
    ``x``, ``y``, ``vx``, ``vy`` of every node (dorsal nodes 1..C, then ventral nodes 1..C, in
    the same order in each) and, with ``target="random"``, the ``target``'s (x, y)."""
    end = 2 + 8 * n_compartments
    layout = {
        "theta": slice(0, 1),
        "omega": slice(1, 2),
        "x": slice(2, end, 4),
        "y": slice(3, end, 4),
        "vx": slice(4, end, 4),
        "vy": slice(5, end, 4),
    }
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


@dataclass(frozen=True)
class OctopusArmTask(Task):
    """The octopus arm's parameters and batched dynamics (documented on :class:`OctopusArmEnv`).

    A state is a dict of arrays over the arms: ``arm`` (the physics state, laid out as the
    observation), ``target`` (x, y), ``distance`` (from the target to the arm, see Rewards) and
    ``activation`` (the last action that moved the arm, as given: the muscle colours of the drawing).
    """

    n_compartments: int = 6
    constants: str = "rl-library"
    target: tuple[float, float] | str = (3.5, 3.5)
    distance_gain: float = 1.0
    max_steps: int = 300
    kernel: str = "auto"
    threads: int | None = None
    # Set by __post_init__, not arguments (as are the spaces):
    action_space: spaces.Box = field(init=False, repr=False, compare=False)
    model: physics.ArmModel = field(init=False, repr=False, compare=False)
    random_target: bool = field(init=False, repr=False, compare=False)
    _target_xy: np.ndarray | None = field(init=False, repr=False, compare=False)
    _kernel: physics.Kernel = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 20}
    # a numerical failure of the physics ends the arm's episode by truncation (see Episode End)
    truncated_by = "failure"
    # Muscle activations are in [0, 1] as in the original simulator and the DPG paper's sigmoid
    # actor (SB3 recommends [-1, 1]; Gymnasium accepts [0, 1]).
    documented_warnings = {"symmetric and normalized": "muscle activations in [0, 1], as the simulator's"}
    canvas_size = (500, 500)

    def __post_init__(self):
        model = physics.build_model(self.n_compartments, self.constants)
        target = parse_target(self.target)
        positive(self.distance_gain, "distance_gain")
        integer(self.max_steps, "max_steps")
        threads = physics.default_threads() if self.threads is None else integer(self.threads, "threads")
        random_target = isinstance(target, str)
        observation_space, action_space = _spaces(model, random_target)
        self._derive(
            model=model,
            random_target=random_target,
            _target_xy=None if random_target else target,
            observation_layout=observation_layout(model.n_compartments, random_target),
            _kernel=physics.Kernel(model, self.kernel, threads),
            observation_space=observation_space,
            action_space=action_space,
        )

    def _start(self, arm: np.ndarray, target: np.ndarray) -> dict[str, np.ndarray]:
        distance, hit = np.empty(len(arm)), np.empty(len(arm), dtype=np.bool_)
        self._kernel.measure(arm, target, distance, hit)
        return {
            "arm": arm,
            "target": target,
            "distance": distance,
            "activation": np.zeros((len(arm), self.model.action_size)),
        }

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> dict[str, np.ndarray]:
        arm = np.repeat(self.model.initial_state[None], n, axis=0)
        if self._target_xy is None:  # a random target
            return self._start(arm, sample_targets(rng, self.model.base_centre, n))
        return self._start(arm, np.repeat(self._target_xy[None], n, axis=0))

    def _advance(self, state, action, share: bool = False):
        """The kernel's step of every arm: the next state (an arm whose step fails is left as it
        was, see :func:`physics.advance`), the hit flags and the kernel's statuses.  ``share``
        gives the next state the target and action arrays themselves: right for the single env,
        which owns the action it checked and never writes into a state; a vector env writes the
        restarting rows into the state a step returns, so there each state owns its arrays."""
        arm = state["arm"].copy()  # the kernel steps in place
        n = len(arm)
        distance, hit, status = np.empty(n), np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.int64)
        self._kernel.advance(arm, action, state["target"], distance, hit, status)
        if share:
            return {"arm": arm, "target": state["target"], "distance": distance, "activation": action}, hit, status
        return (
            {"arm": arm, "target": state["target"].copy(), "distance": distance, "activation": action.copy()},
            hit,
            status,
        )

    def transition(
        self, state: dict[str, np.ndarray], action: np.ndarray, noise: None
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict]:
        after, hit, status = self._advance(state, action)
        reward = self.distance_gain * (state["distance"] - after["distance"]) + HIT_REWARD * hit
        if not np.count_nonzero(status):  # every arm's status is OK (0): the usual step, in the fewest array operations
            return after, reward, hit, {}
        failed = status != OK
        reward[failed] = 0.0
        after["activation"][failed] = state["activation"][failed]
        info = {
            "failure": np.array([FAILURES[int(s)] if f else None for s, f in zip(status, failed)], dtype=object),
            "_failure": failed,
        }
        return after, reward, hit & ~failed, info

    def step_one(
        self, state: dict[str, np.ndarray], action: np.ndarray, rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], Any, float, bool, dict]:
        # transition() for the single env's one arm in Python scalars: its array operations cost
        # a third of the physics of one arm (the same IEEE operations, so the same bits)
        after, hit, status = self._advance(state, action, share=True)
        if status.item() != OK:
            after["activation"] = state["activation"]
            return after, self.observe(after)[0], 0.0, False, {"failure": FAILURES[status.item()]}
        terminated = hit.item()
        reward = self.distance_gain * (state["distance"].item() - after["distance"].item()) + (
            HIT_REWARD if terminated else 0.0
        )
        return after, self.observe(after)[0], reward, terminated, {}

    # -- the reference ---------------------------------------------------------------------------

    def reference(self) -> Reference:
        """A ``best-known`` record, not an optimum: the best mean return an agent here measured, and
        a certified upper bound.  Every episode's distance terms telescope to ``g (d_0 - d_end)``
        with ``d_end >= 0``, and at most one hit pays 50, so no return exceeds ``50 + g d_0``
        (53.10 on the default task, ``d_0`` = 3.096); COPDAC-Q's hits return 52.91 in 71 steps
        (:data:`BEST_KNOWN_RETURN`).  The return does not count steps, so a bound on the steps to
        the target (the tip's speed is bounded: the observation bounds hold speeds under 2, a
        step lasts 5 time units) would not tighten it.  The uniform-random policy's return is a
        Monte Carlo estimate with its 99 % interval (:data:`RANDOM_RETURN`).  Measured on the
        default task only (:data:`MEASURED_ON`); other settings raise
        :class:`~rl_envs.core.NoReference`.
        """
        settings = {name: getattr(self, name) for name in MEASURED_ON}
        on_default = (
            self._target_xy is not None
            and np.array_equal(self._target_xy, MEASURED_ON["target"])
            and all(settings[k] == v for k, v in MEASURED_ON.items() if k != "target")
        )
        if not on_default:
            raise NoReference(
                f"OctopusArm's reference is measured on the default task {MEASURED_ON} only, got {settings}"
            )
        arm = self.model.initial_state[None]
        d0 = float(self._start(arm, np.asarray(self._target_xy)[None])["distance"][0])
        mean, sem = RANDOM_RETURN
        return Reference(
            kind="best-known",
            value=BEST_KNOWN_RETURN,
            lower=BEST_KNOWN_RETURN,
            upper=HIT_REWARD + self.distance_gain * d0,
            random=mean,
            random_lower=mean - Z99 * sem,
            random_upper=mean + Z99 * sem,
            quantity="undiscounted episode return from the rest pose, at most max_steps = 300 steps",
            gamma=1.0,
            method=(
                "best mean return measured here (COPDAC-Q, 3e5 steps); upper bound 50 + g d_0; random: "
                f"{RANDOM_EPISODES} Monte Carlo episodes, 99 % interval"
            ),
            citation="Silver et al. 2014, Deterministic Policy Gradient Algorithms, §5.3 (the task and COPDAC-Q)",
        )

    def check_action(self, action: Any, n: int | None) -> np.ndarray:
        """The checks of :meth:`Task.check_action` without its clip, which the kernel does
        (:func:`physics.advance`)."""
        a = as_box_action(action, self.action_space, n)
        return a[None] if n is None else a

    def for_env(self, single: bool, render_mode: str | None) -> OctopusArmTask:
        # One arm is one block of the kernel: a single env steps it on the calling thread (the
        # kernel chosen stays: "auto" resolved once, with at most one fallback warning).
        return dataclasses.replace(self, kernel=self._kernel.kind, threads=1) if single else self

    def observe(self, state: dict[str, np.ndarray]) -> np.ndarray:
        if self.random_target:
            return np.concatenate([state["arm"], state["target"]], axis=1).astype(np.float32)
        return state["arm"].astype(np.float32)

    def state_from(self, value: Any) -> dict[str, np.ndarray]:
        """A dict with the ``arm``'s physics state and its ``target`` (and optionally the
        ``activation`` drawn, zero by default); the distance is computed from them."""
        keys = {"arm", "target", "distance", "activation"}
        if not isinstance(value, dict) or not {"arm", "target"} <= set(value) <= keys:
            raise ValueError(
                f"state must be a dict with 'arm' and 'target' (and optionally 'activation' and "
                f"'distance', which is recomputed), got {describe(value)}"
            )
        state = self._start(
            real_array(value["arm"], "state['arm']", shape=(self.model.state_size,))[None].copy(),
            real_array(value["target"], "state['target']", shape=(2,))[None].copy(),
        )
        if "activation" in value:
            state["activation"][0] = real_array(
                value["activation"], "state['activation']", shape=(self.model.action_size,)
            )
        return state

    def paint(self, pg: Any, surface: Any, state: dict[str, np.ndarray], trail: list[dict[str, np.ndarray]]) -> None:
        """Water, surface line, compartments coloured by activation, base and target."""
        w, h = surface.get_size()
        scale = min(w, h) / (2 * VIEW_HALF_WIDTH)
        model = self.model
        cx, cy = model.base_centre

        def px(x, y):
            return (w / 2 + (x - cx) * scale, h / 2 - (y - cy) * scale)

        surface_y = px(0.0, model.water_surface)[1]
        pg.draw.rect(surface, (200, 225, 245), pg.Rect(0, int(surface_y), w, h))
        pg.draw.line(surface, (40, 90, 170), (0, surface_y), (w, surface_y), 2)
        pos, _ = physics.node_arrays(state["arm"][:1], model)
        U, L = pos[0, 0], pos[0, 1]
        activation = np.clip(state["activation"][0, 2:], 0.0, 1.0).reshape(-1, 3).mean(axis=1)
        relaxed, active = np.array([250, 200, 190]), np.array([170, 20, 40])
        for k, level in enumerate(activation):
            colour = tuple(int(c) for c in relaxed + level * (active - relaxed))
            quad = [px(*U[k]), px(*U[k + 1]), px(*L[k + 1]), px(*L[k])]
            pg.draw.polygon(surface, colour, quad)
            pg.draw.polygon(surface, (90, 30, 30), quad, 1)
        pg.draw.line(surface, (30, 30, 30), px(*U[0]), px(*L[0]), 5)
        pg.draw.circle(surface, (30, 30, 30), px(cx, cy), 5)
        pg.draw.circle(surface, (20, 150, 60), px(*state["target"][0]), max(4, int(0.12 * scale)))


def uniform_random_returns(task: OctopusArmTask, episodes: int, seed: int, arms: int = 64) -> np.ndarray:
    """The returns of ``episodes`` episodes of the uniform-random policy (every activation uniform
    in [0, 1], drawn afresh each step) on ``task``, run ``arms`` at a time in its vector env; a
    function of ``seed`` (the kernel is deterministic, whatever its threads)."""
    rng = np.random.default_rng(integer(seed, "seed", low=0))
    venv = OctopusArmVectorEnv.from_task(task, integer(arms, "arms"))
    returns = []
    for _ in range(-(-integer(episodes, "episodes") // arms)):
        venv.reset(seed=int(rng.integers(2**31)))
        total, running = np.zeros(arms), np.ones(arms, dtype=np.bool_)
        while running.any():
            _, reward, terminated, truncated, _ = venv.step(rng.random((arms, task.model.action_size)))
            total += np.where(running, reward, 0.0)  # an ended arm restarts: its next episode is not counted
            running &= ~(terminated | truncated)
        returns.append(total)
    return np.concatenate(returns)[:episodes]


class OctopusArmEnv(SingleEnv):
    r"""DPG §5.3, 50 states, 20 actions.

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
    one call, spread over the CPU cores, in any of Gymnasium's three autoreset modes
    (``autoreset_mode=``, next-step by default; see :mod:`rl_envs.core.vector`).

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
    reset, uniform in distance ``[1.5, 5.0]`` from the base centre and in angle (drawn in that
    order; in a vector env arm by arm).  The rest pose
    is pre-stressed (passive muscle tension): with zero action the arm settles within a few
    steps, its tip moving from x = 5.39 to 5.41.

    ## Episode End

    * Termination: the target lies inside a compartment (a hit).
    * Truncation: ``max_steps`` steps (300), or a numerical failure — a non-finite value, a
      value outside the observation bounds or a compartment turned inside out — in which case
      the state is left as before the step,
      the reward is 0 and ``info["failure"]`` says why.  Observations are never NaN.

    Stepping after the end raises ``ResetNeeded``.  ``env.unwrapped.state`` is a dict: the
    ``arm``'s physics state (laid out as the observation), the ``target``, the ``distance`` and
    the ``activation`` drawn; ``env.unwrapped.target`` and ``env.unwrapped.distance`` read the
    current ones.

    ## Best-known reference (on ``env.unwrapped``)

    ``reference()`` is a ``best-known`` record, not an optimum: the best mean return measured
    here (COPDAC-Q's hits, 52.91, after 3·10⁵ steps), the certified upper bound ``50 + g d_0``
    (53.10: the distance terms telescope and one hit pays 50) and the uniform-random policy's
    return (0.046, a Monte Carlo estimate with its 99 % interval).  It is measured on the default
    task; other settings raise ``rl_envs.core.NoReference``.

    ## Arguments

    * ``n_compartments``: ``C`` in ``[1, 10]`` (default 6, as in the DPG paper).
    * ``constants``: ``"rl-library"`` (default: the hard-coded RL-Library / competition set) or
      ``"icml06"`` (the ICML 2006 benchmark's XML set: half the tangential drag, weaker
      damping, minimum muscle length 0.4 instead of 0.1).
    * ``target``: ``(x, y)`` (default ``(3.5, 3.5)``, 45° from the initial arm axis at a
      distance of about 4.95) or ``"random"``.
    * ``distance_gain``: the reward per unit of distance gained (default 1).
    * ``max_steps``: the step limit (default 300; ``gymnasium.make_vec``'s
      ``max_episode_steps`` replaces it in the vector env).
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

    task_type = OctopusArmTask

    @property
    def target(self) -> np.ndarray:
        """The current episode's target (x, y)."""
        return self.state["target"]

    @property
    def distance(self) -> float:
        """Current distance from the target to the arm (see Rewards)."""
        return float(self.state["distance"])


class OctopusArmVectorEnv(VectorEnv):
    """``num_envs`` octopus arms stepped by one kernel call spread over threads (see
    :class:`OctopusArmEnv` for the task and :mod:`rl_envs.core.vector` for seeding and the
    autoreset modes).  Arm ``i`` with the same actions reproduces a single
    :class:`OctopusArmEnv` bit for bit; ``info["failure"]`` (with mask ``info["_failure"]``)
    names a numerical failure, which truncates the arm's episode.  ``render_mode="rgb_array"``
    renders a tuple of frames, one per arm, drawn as :class:`OctopusArmEnv` draws its arm.
    """

    task_type = OctopusArmTask


__all__ = ["OctopusArmEnv", "OctopusArmVectorEnv", "OctopusArmTask", "uniform_random_returns"]
