"""A partially observable maze: the agent sees noisy wall readings, not its cell."""

from __future__ import annotations

import copy
import math
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import numpy as np
from gymnasium import spaces

from ..core import SingleEnv, VectorEnv
from ..validation import describe, integer, one_of, probability
from .classic_pomdps import CLASSIC, HALLWAY_SENSOR_NOISE, MazePOMDP, wall_sensor_pomdp
from .grid_maze import ScalarStepTask
from .layouts import Layout, get_layout
from .pomdp import POMDPModel, POMDPSampler, filter_belief
from .solve import value_iteration

GOAL_MODES = ("terminate", "reset")
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
