"""A partially observable maze: the agent sees noisy wall readings, not its cell."""

from __future__ import annotations

import copy
import functools
import json
import math
from dataclasses import KW_ONLY, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from ..core import Reference, SingleEnv, VectorEnv
from ..validation import describe, integer, one_of, probability
from .classic_pomdps import CLASSIC, HALLWAY_SENSOR_NOISE, MazePOMDP, wall_sensor_pomdp
from .grid_maze import ScalarStepTask
from .layouts import Layout, get_layout
from .pomdp import POMDPModel, POMDPSampler, filter_belief
from .pomdp_bounds import ValueBounds, finite_horizon_bounds, model_fingerprint, random_policy_value, solve_bounds
from .solve import value_iteration

GOAL_MODES = ("terminate", "reset")
# The named layouts' bounds, precomputed by benchmarks/bench_po_maze_reference.py (which says how).
REFERENCE_FILE = Path(__file__).with_name("po_maze_reference.json")
# An interval on the optimum at most this wide is reported as exact (its midpoint).
EXACT_WIDTH = 1e-3
# The search's budget for a model without precomputed bounds (a .POMDP file, a GridMaze layout).
ON_DEMAND = {"tol": 1e-6, "max_trials": 2000, "time_limit": 20.0}
CITATION = (
    "Hauskrecht 2000, JAIR 13 (fast informed bound, sawtooth); Smith & Simmons 2004, 2005, UAI (HSVI); "
    "Pineau, Gordon & Thrun 2003, IJCAI (point-based backup)"
)
# Keyboard play: action name -> pygame key name (hallway turns, compass moves, grid moves).
ACTION_KEYS = {
    "stay": "SPACE",
    "forward": "UP",
    "turn_right": "RIGHT",
    "turn_around": "DOWN",
    "turn_left": "LEFT",
    "n": "UP",
    "e": "RIGHT",
    "s": "DOWN",
    "w": "LEFT",
    "up": "UP",
    "right": "RIGHT",
    "down": "DOWN",
    "left": "LEFT",
}


@dataclass(frozen=True)
class POMazeTask(ScalarStepTask):
    """The partially observable maze's parameters, models and batched dynamics (the arguments are
    documented on :class:`PartiallyObservableMazeEnv`).  The state holds the hidden state, the
    last observation and, when the env draws it, the belief."""

    layout: str | Layout | POMDPModel = "hallway"
    _: KW_ONLY
    goal_mode: str = "terminate"
    max_steps: int = 251
    sensor_noise: float | tuple[float, float] | None = None
    slip: float | None = None
    start: str | None = None
    # Set by __post_init__, not arguments (as are the spaces):
    maze: MazePOMDP | POMDPModel = field(init=False, repr=False, compare=False)
    model: POMDPModel = field(init=False, repr=False, compare=False)
    goal_states: np.ndarray = field(init=False, repr=False, compare=False)
    episode_model: POMDPModel = field(init=False, repr=False, compare=False)
    sampler: POMDPSampler = field(init=False, repr=False, compare=False)
    no_observation: int = field(init=False, repr=False, compare=False)
    track_belief: bool = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 6}

    def __post_init__(self):
        one_of(self.goal_mode, "goal_mode", GOAL_MODES)
        integer(self.max_steps, "max_steps")
        maze = _resolve(self.layout, self.sensor_noise, self.slip, self.start)
        model = maze.model if isinstance(maze, MazePOMDP) else maze
        goal_states = model.reset_states()
        episode_model = model.with_absorbing(goal_states) if self.goal_mode == "terminate" else model
        self._derive(
            maze=maze,
            model=model,
            goal_states=goal_states,
            episode_model=episode_model,
            sampler=POMDPSampler(episode_model),
            no_observation=model.n_obs,
            track_belief=False,
            observation_space=spaces.Discrete(model.n_obs + 1),
            action_space=spaces.Discrete(model.n_actions),
        )
        self._make_batches(max(model.n_states, model.n_obs + 1, model.n_actions))
        (h, w), _, _ = self._grid()
        cs = self._cell_px()
        self._derive(canvas_size=(w * cs + cs, h * cs + cs))

    def for_env(self, single: bool, render_mode: str | None) -> POMazeTask:
        """With a render mode, the state also tracks the belief (the drawing's heat map), which
        stepping without one does not pay for."""
        if render_mode is None:
            return self
        task = copy.copy(self)
        task._derive(track_belief=True)
        return task

    def mdp_upper_bound(self) -> float:
        """``b0 . V_MDP``: the optimal value if the state were observed (an upper bound)."""
        terminal = self.goal_states if self.goal_mode == "terminate" else None
        V, _ = value_iteration(self.episode_model.mdp(terminal), self.model.gamma)
        return float(self.model.b0 @ V)

    def reference(self) -> Reference:
        """The best and the uniform-random policy's expected discounted return over an episode.

        The quantity is the score of the POMDP literature and of the comparison's
        ``discounted_reward`` measure: ``E[sum_{t < max_steps} gamma^t r_{t+1}]`` from ``b0`` with
        the model's ``gamma``, the episode ending at the first goal with
        ``goal_mode="terminate"``.  The random policy's value is exact (the state under it is a
        Markov chain, :func:`~rl_envs.maze.pomdp_bounds.random_policy_value`).  The optimum is
        bracketed by :mod:`rl_envs.maze.pomdp_bounds`: for the named layouts from the bounds that
        ``benchmarks/bench_po_maze_reference.py`` precomputed (used only while the model's
        fingerprint matches), otherwise computed on first use (at most ``ON_DEMAND``'s time,
        kept for the process).  An interval narrower than ``EXACT_WIDTH`` is reported as exact.
        """
        return self._reference

    @functools.cached_property
    def _reference(self) -> Reference:
        model, H = self.episode_model, self.max_steps
        mode = "up to the first goal" if self.goal_mode == "terminate" else "goals restart from b0"
        quantity = (
            f"expected discounted return sum_(t<{H}) gamma^t r_(t+1) of an episode from b0 "
            f"(gamma={model.gamma:g}, {H} steps, {mode}): the average discounted reward of the literature"
        )
        random = random_policy_value(model, H)
        record = dict(random=random, random_lower=random, random_upper=random, quantity=quantity, gamma=model.gamma)
        if model.gamma >= 1.0:
            lower, upper = finite_horizon_bounds(model, H)
            method = f"the best blind policy's value below, the fast informed bound over {H} steps above"
            return _bounds_record(lower, upper, lower, method, CITATION, record)
        bounds, stored = _value_bounds(model)
        lower, upper = bounds.over(H, model.gamma)
        value, citation = lower, CITATION
        where = f"precomputed ({bounds.seconds:.0f} s)" if stored else f"computed on demand ({bounds.seconds:.1f} s)"
        method = (
            f"HSVI {where}, {bounds.trials} trials: FIB/sawtooth upper bound, point-based alpha-vector "
            f"lower bound (the certified value of a policy), the {H}-step truncation bounded"
        )
        policy = (stored or {}).get("policy")
        if policy and policy["horizon"] == H and upper - lower > EXACT_WIDTH:
            measured_lower = policy["mean"] - policy["half_width"]
            if measured_lower > lower:
                lower = measured_lower
                method = (
                    f"upper: HSVI's FIB/sawtooth bound ({bounds.seconds:.0f} s precomputed); lower: the "
                    f"{policy['name']} policy's return over {policy['episodes']} episodes, mean minus the "
                    f"half-width of its 99 % interval (the alpha-vector bound is {bounds.over(H, model.gamma)[0]:.4f})"
                )
                if "Perseus" in policy["name"]:
                    citation += "; Spaan & Vlassis 2005, JAIR 24 (Perseus)"
            value = min(max(policy["mean"], lower), upper)
        return _bounds_record(lower, upper, value, method, citation, record)

    # -- the dynamics -------------------------------------------------------------------------

    def _episode_start(self, hidden: np.ndarray) -> dict:
        """The state of episodes starting in ``hidden``: no observation yet, the belief at ``b0``."""
        state = {"hidden": hidden, "obs": np.full(len(hidden), self.no_observation, dtype=np.int64)}
        if self.track_belief:
            state["belief"] = filter_belief(None, None, state["obs"], self.episode_model)
        return state

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> dict[str, np.ndarray]:
        return self._episode_start(self.sampler.start(rng, n))

    def sample_noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``(n, 2)``: each agent's uniform for its next state, then for its observation.  Drawn
        as the vector env has always drawn them, all the next states' uniforms first (with
        ``n = 1`` the single env's order)."""
        return rng.random((2, n)).T

    def transition(
        self, state: dict[str, np.ndarray], action: np.ndarray, noise: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict]:
        hidden, obs, reward = self.sampler.step_given(state["hidden"], action, noise[:, 0], noise[:, 1])
        terminated = self.goal_states[hidden] & (self.goal_mode == "terminate")
        after = {"hidden": hidden, "obs": obs}
        if self.track_belief:
            after["belief"] = filter_belief(state["belief"], action, obs, self.episode_model)
        return after, reward, terminated, {"state": hidden}

    def step_one(
        self, state: dict[str, np.ndarray], action: int, rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], Any, float, bool, dict]:
        """:meth:`transition` for the single env on scalars (the sampler's scalar step, as the env
        has always drawn it): numpy's per-call cost on batches of one made a step ~60 % slower."""
        hidden, obs, reward = self.sampler.step(state["hidden"].item(), action, rng)
        after = {"hidden": self._batches[hidden], "obs": self._batches[obs]}
        if self.track_belief:
            after["belief"] = filter_belief(state["belief"], self._batches[action], after["obs"], self.episode_model)
        terminated = self.goal_mode == "terminate" and bool(self.goal_states[hidden])
        return after, self._scalars[obs], float(reward), terminated, {"state": int(hidden)}

    def observe(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return state["obs"].copy()

    def reset_info(self, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"state": state["hidden"]}

    def state_from(self, value: Any) -> dict[str, np.ndarray]:
        """A hidden state index (``env.unwrapped.state = s``): the agent is there, and has observed
        nothing yet, as at the start of an episode."""
        return self._episode_start(
            np.array([integer(value, "state", low=0, high=self.model.n_states - 1)], dtype=np.int64)
        )

    # -- drawing ------------------------------------------------------------------------------

    def _grid(self):
        """``(shape, blocked mask, cell of each state)``; a file without a map gets a square of states."""
        if isinstance(self.maze, MazePOMDP):
            return self.maze.layout.shape, self.maze.layout.blocked.ravel(), self.maze.state_cell
        n = self.model.n_states
        w = math.ceil(math.sqrt(n))
        return (math.ceil(n / w), w), np.zeros(math.ceil(n / w) * w, dtype=bool), np.arange(n)

    def _cell_px(self) -> int:
        (h, w), _, _ = self._grid()
        return int(np.clip(480 // max(h, w), 12, 64))

    def paint(self, pg: Any, surface: Any, state: dict[str, np.ndarray], trail: list[dict[str, np.ndarray]]) -> None:
        (h, w), blocked, state_cell = self._grid()
        cs = self._cell_px()
        m = cs // 2
        hidden = int(state["hidden"][0])

        def rect(idx):
            r, c = divmod(int(idx), w)
            return pg.Rect(m + c * cs, m + r * cs, cs, cs)

        heat = np.zeros(h * w)
        if "belief" in state:
            np.add.at(heat, state_cell, state["belief"][0])
        peak = max(heat.max(), 1e-12)
        for idx in range(h * w):
            if blocked[idx]:
                pg.draw.rect(surface, (60, 60, 70), rect(idx))
            else:
                shade = int(255 * (1.0 - heat[idx] / peak))
                pg.draw.rect(surface, (255, shade, shade), rect(idx))  # belief: white -> red
        for idx in np.unique(state_cell[self.goal_states]):
            pg.draw.rect(surface, (60, 170, 60), rect(idx), max(2, cs // 10))
        for idx in range(h * w):
            pg.draw.rect(surface, (200, 200, 200), rect(idx), 1)
        centre = np.array(rect(state_cell[hidden]).center, dtype=float)
        pg.draw.circle(surface, (30, 60, 200), centre, max(3, cs // 4))
        heading = self.maze.state_heading if isinstance(self.maze, MazePOMDP) else None
        if heading is not None:
            d = np.array([(0, -1), (1, 0), (0, 1), (-1, 0)][heading[hidden]], dtype=float)
            pg.draw.line(surface, (30, 60, 200), centre, centre + d * cs * 0.45, max(2, cs // 8))


class PartiallyObservableMazeEnv(SingleEnv):
    """Layouts ``hallway``, ``hallway2``, ``cheese``, ``4x3``, and ``.POMDP`` files.

    ## Description

    The classic partially observable mazes of the POMDP literature (acted on through the belief MDP):
    the agent is somewhere in a known maze, senses only its surroundings, and must reach the
    goal.  It acts on a belief, the posterior over the hidden state.  Named layouts reproduce
    Cassandra's ``.POMDP`` files exactly:

    * ``hallway`` (Littman, Cassandra & Kaelbling 1995): 60 states (15 cells x 4 headings),
      5 actions, 21 observations (16 noisy wall readings, 4 landmarks, the goal).
    * ``hallway2`` (same paper): 92 states, 5 actions, 17 observations (no landmarks).
    * ``cheese`` (McCallum 1993): 11 cells, N S E W, 7 deterministic observation classes.
    * ``4x3`` (Russell & Norvig's world, Cassandra's file): 11 cells, n s e w with 0.1 side
      slips, 6 observations from a west and an east wall detector, +1 / -1 terminal cells and
      -0.04 elsewhere.

    Any GridMaze layout (``"maze10x10"``, a layout text, a ``Layout``) becomes partially
    observable with a four-wall sensor, and any model read with
    :func:`rl_envs.maze.pomdp_format.read_pomdp` can be passed as ``layout``.

    ## Action Space

    ``Discrete(A)``: hallways ``0`` stay, ``1`` forward, ``2`` turn right, ``3`` turn around,
    ``4`` turn left; cheese N S E W; 4x3 n s e w; GridMaze layouts up, right, down, left.
    Anything that is not an integer in ``[0, A)`` raises ``ValueError``.

    ## Observation Space

    ``Discrete(n_obs + 1)``: the model's observation, which depends on the action and the
    *resulting* state (``O[a, s', o]``).  The last symbol, ``n_obs``
    (``env.unwrapped.no_observation``), is returned by ``reset``: the classic setting has no
    observation before the first action.  Wall readings are ``o = 8 F + 4 R + 2 B + L``
    (front, right, back, left) on the hallways and ``8 up + 4 right + 2 down + left`` on
    GridMaze layouts; each sensor reports a wall with 0.9 and an opening with 0.95
    (``sensor_noise=(0.1, 0.05)``).  The hidden state is in ``info["state"]``, for analysis only;
    ``env.unwrapped.state`` is ``{"hidden": s, "obs": o}`` (and the ``"belief"`` when rendering),
    and setting it to a hidden state index puts the agent there, with no observation yet.

    ## Rewards

    The model's reward (a Python float): +1 on entering the goal (hallways, cheese, GridMaze
    layouts); 4x3 pays the reward of the state acted in (+1, -1, -0.04).  With
    ``goal_mode="terminate"`` whatever the model pays for acting in a goal is paid on entering
    it (4x3: -0.04 + 1), since the episode ends there.

    ## Starting State

    A state drawn from the start belief ``b0``: uniform over the non-goal states for the
    classic layouts (and GridMaze layouts with ``start="uniform"``), the ``S`` cell with
    ``start="layout"``.

    ## Episode End

    * Termination (``goal_mode="terminate"``, the convention of the published scores): the
      agent enters a goal state.  With ``goal_mode="reset"`` (the files' own rule) it never
      terminates: any action in a goal restarts from ``b0``.
    * Truncation: ``max_steps`` steps (default 251, the literature's horizon).

    Stepping after termination or truncation raises ``ResetNeeded``.

    ## Exact references (on ``env.unwrapped``)

    * ``model``: the POMDP as the file defines it (``T[a, s, s']``, ``O[a, s', o]``,
      ``R[s, a]``, ``b0``, ``gamma``, goals restarting); ``episode_model``: the one the episode
      optimises (goals absorbing with ``goal_mode="terminate"``); ``goal_states``.
    * ``mdp_upper_bound()``: ``b0 . V_MDP``, the value if the state were observed.
    * ``reference()``: the optimum's value or bounds and the random policy's value (below).

    ## Reference value

    ``env.unwrapped.reference()`` (a :class:`rl_envs.core.Reference`) is about the expected
    **discounted** return of an episode, ``E[sum_{t < max_steps} gamma^t r_{t+1}]`` from ``b0``
    with the model's ``gamma``: the average discounted reward of the POMDP literature, which the
    comparison's ``discounted_reward`` measure reports.  (The undiscounted episode return is
    another quantity: on the goal mazes, the share of episodes that reach the goal.)  ``random``
    is the uniform-random policy's exact value: under that policy the belief plays no part and
    the state is a Markov chain.  With the defaults (``max_steps=251``; an exact row's lower and
    upper are its value):

    | layout | goal mode | kind | value | lower | upper | random |
    |---|---|---|---|---|---|---|
    | cheese | terminate | exact | 0.8242 | | | 0.2036 |
    | cheese | reset | exact | 3.4862 | | | 0.2495 |
    | 4x3 | terminate | exact | 0.4425 | | | -0.5568 |
    | 4x3 | reset | exact | 1.8899 | | | -1.0237 |
    | hallway | terminate | bounds | 0.5165 | 0.5130 | 0.5544 | 0.0422 |
    | hallway | reset | bounds | 1.0177 | 1.0095 | 1.2008 | 0.0439 |
    | hallway2 | terminate | bounds | 0.3495 | 0.3452 | 0.4762 | 0.0265 |
    | hallway2 | reset | bounds | 0.5238 | 0.5168 | 0.8878 | 0.0271 |

    The upper bounds come from heuristic search value iteration (HSVI; Smith & Simmons 2004) over
    the fast informed bound and the sawtooth interpolation (Hauskrecht 2000).  The lower bounds
    are values of policies: the certified value of HSVI's alpha vectors (each bounds an
    executable plan from below), or, on the hallways where it is higher, the return of the
    better of HSVI's and Perseus's policies measured over 20 000 episodes, minus the half-width of
    its 99 % interval (a statistical bound); ``value`` is then that measured return.  An interval
    at most ``EXACT_WIDTH`` (1e-3) wide is reported as exact, at its midpoint: cheese and 4x3
    converge to within 1e-4.  ``benchmarks/bench_po_maze_reference.py`` computed these (HSVI
    for 10 minutes per model) and ``rl_envs/maze/po_maze_reference.json`` holds them, used only
    while the model's fingerprint matches; docs/pomdp-mazes.md §5 compares them with published
    scores.  Another ``max_steps`` reuses the stored infinite-horizon bounds, the truncation
    bounded.  Any other model (a ``.POMDP`` file, a GridMaze layout) gets at most 20 s of HSVI
    on first use (alpha-vector lower bound; kept for the process), and a model with
    ``gamma = 1`` the best blind policy's value and the fast informed bound over ``max_steps``.

    ## Arguments

    * ``layout``: ``"hallway"`` (default), ``"hallway2"``, ``"cheese"``, ``"4x3"``, a GridMaze
      layout (name, text or ``Layout``) or a ``POMDPModel``.
    * ``goal_mode``: ``"terminate"`` (default) or ``"reset"``.
    * ``max_steps``: 251.
    * GridMaze layouts only: ``sensor_noise=(miss, false_alarm)`` ((0.1, 0.05)), ``slip``
      (0.0: probability that a move goes perpendicular), ``start`` (``"uniform"`` or ``"layout"``).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the maze, the true agent (and heading)
      and the belief as a heat map over the cells (``env.unwrapped.belief``, the Bayes filter of
      the episode's observations, tracked only with a render mode).

    ## Vector environment

    ``gymnasium.make_vec("rl_envs/PartiallyObservableMaze-v0", num_envs=n, ...)`` gives
    :class:`PartiallyObservableMazeVectorEnv`, which samples the ``n`` agents' steps together
    (Gymnasium's three autoreset modes: ``autoreset_mode=``).

    ```python
    env = gymnasium.make("rl_envs/PartiallyObservableMaze-v0", layout="hallway2")
    obs, info = env.reset(seed=0)  # obs == env.unwrapped.no_observation
    ```
    """

    task_type = POMazeTask
    task: POMazeTask

    @property
    def belief(self) -> np.ndarray | None:
        """The posterior over the hidden state (Bayes filter of the episode's observations), tracked
        only with a render mode (else None)."""
        return None if self._state is None or "belief" not in self._state else self._state["belief"][0]

    def get_keys_to_action(self) -> dict:
        """Keys for :func:`gymnasium.utils.play.play` (``python -m rl_envs.play``), by action name:
        arrows move by compass (turn left/right, forward and turn around on the hallways, whose
        "stay" is the space bar); a model with other action names gets the digit keys 1-9 for its
        first nine actions."""
        from ..rendering import import_pygame

        pg = import_pygame()
        names = [str(a).lower() for a in self.task.model.actions]
        keys = [ACTION_KEYS.get(n) for n in names]
        if None not in keys and len(set(keys)) == len(keys):
            return {(getattr(pg, f"K_{key}"),): a for a, key in enumerate(keys)}
        return {(pg.K_1 + a,): a for a in range(min(len(names), 9))}


class PartiallyObservableMazeVectorEnv(VectorEnv):
    """``num_envs`` agents in one partially observable maze, their steps sampled together (see
    :class:`PartiallyObservableMazeEnv` and :mod:`rl_envs.core.vector`: the arguments are the same
    after ``num_envs``; Gymnasium's three autoreset modes; seeding by an int or by one seed per agent).

    A restarted agent observes ``no_observation``.  ``info["state"]`` (mask ``info["_state"]``)
    holds the hidden states.  Each step draws from the shared stream the moving agents'
    transition uniforms, then their observation uniforms, then the restarted agents' start
    states, so with ``num_envs=1`` the env reproduces :class:`PartiallyObservableMazeEnv` bit
    for bit under the same seed and actions.  ``render_mode="rgb_array"`` renders a tuple of
    frames, one per agent, with its belief (``belief``, shape ``(num_envs, S)``, tracked only
    when rendering).
    """

    task_type = POMazeTask

    @property
    def belief(self) -> np.ndarray | None:
        """The agents' posteriors over the hidden state, tracked only with a render mode (else None)."""
        return None if self._state is None or "belief" not in self._state else self._state["belief"]


@functools.cache
def stored_references() -> dict[str, dict]:
    """The precomputed entries of :data:`REFERENCE_FILE`, by the fingerprint of the model they bound."""
    entries = json.loads(REFERENCE_FILE.read_text())["entries"]
    return {entry["fingerprint"]: entry for entry in entries}


# Bounds computed on demand in this process, by model fingerprint.
_ON_DEMAND_BOUNDS: dict[str, ValueBounds] = {}


def _value_bounds(model: POMDPModel) -> tuple[ValueBounds, dict | None]:
    """Infinite-horizon bounds on ``V*(b0)``, and the stored entry they come from (None when
    computed on demand)."""
    key = model_fingerprint(model)
    entry = stored_references().get(key)
    if entry is not None:
        return ValueBounds(**entry["bounds"]), entry
    if key not in _ON_DEMAND_BOUNDS:
        _ON_DEMAND_BOUNDS[key] = solve_bounds(model, **ON_DEMAND)[0]
    return _ON_DEMAND_BOUNDS[key], None


def _bounds_record(lower: float, upper: float, value: float, method: str, citation: str, record: dict) -> Reference:
    """Exact (the midpoint) when ``[lower, upper]`` is at most :data:`EXACT_WIDTH` wide, else bounds."""
    if upper - lower <= EXACT_WIDTH:
        mid = 0.5 * (lower + upper)
        method += f"; converged to within {upper - lower:.1e}"
        return Reference("exact", mid, mid, mid, method=method, citation=citation, **record)
    return Reference("bounds", value, lower, upper, method=method, citation=citation, **record)


def _resolve(layout, sensor_noise, slip, start) -> MazePOMDP | POMDPModel:
    grid_args = {"sensor_noise": sensor_noise, "slip": slip, "start": start}
    if isinstance(layout, POMDPModel) or (isinstance(layout, str) and layout in CLASSIC):
        given = [k for k, v in grid_args.items() if v is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} only apply to GridMaze layouts; {layout if isinstance(layout, str) else 'a POMDPModel'} defines its own"
            )
        return CLASSIC[layout]() if isinstance(layout, str) else layout
    noise = HALLWAY_SENSOR_NOISE if sensor_noise is None else _sensor_noise(sensor_noise)
    return wall_sensor_pomdp(
        get_layout(layout), noise, 0.0 if slip is None else probability(slip, "slip"), start or "uniform"
    )


def _sensor_noise(sensor_noise) -> tuple[float, float]:
    """One probability for both errors, or ``(miss, false_alarm)``."""
    is_pair = isinstance(sensor_noise, (tuple, list)) or (
        isinstance(sensor_noise, np.ndarray) and sensor_noise.ndim == 1
    )
    pair = tuple(sensor_noise) if is_pair else (sensor_noise, sensor_noise)
    try:
        if len(pair) != 2:
            raise ValueError
        return probability(pair[0], "miss"), probability(pair[1], "false_alarm")
    except ValueError:
        raise ValueError(
            "sensor_noise must be a probability in [0, 1] or a (miss, false_alarm) pair of them, "
            f"got {describe(sensor_noise)}"
        ) from None
