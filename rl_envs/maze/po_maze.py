"""A partially observable maze: the agent sees noisy wall readings, not its cell."""

from __future__ import annotations

import math

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv

from ..rendering import RenderMixin, VectorRenderMixin, check_render_mode
from ..validation import as_discrete_action, as_discrete_actions, describe, integer, one_of, probability
from ..vector import TaskVectorEnv, vector_signature
from .classic_pomdps import CLASSIC, HALLWAY_SENSOR_NOISE, MazePOMDP, wall_sensor_pomdp
from .layouts import Layout, get_layout
from .pomdp import POMDPModel, POMDPSampler, filter_belief
from .solve import value_iteration

GOAL_MODES = ("terminate", "reset")
# Keyboard play: action name -> pygame key name (hallway turns, compass moves, grid moves).
ACTION_KEYS = {
    "stay": "SPACE", "forward": "UP", "turn_right": "RIGHT", "turn_around": "DOWN", "turn_left": "LEFT",
    "n": "UP", "e": "RIGHT", "s": "DOWN", "w": "LEFT", "up": "UP", "right": "RIGHT", "down": "DOWN", "left": "LEFT",
}


class POMazeTask:
    """What the single and the vector partially observable maze share (the pattern of
    :mod:`rl_envs.vector`; the arguments are documented on :class:`PartiallyObservableMazeEnv`)."""

    def __init__(
        self,
        layout: str | Layout | POMDPModel = "hallway",
        *,
        goal_mode: str = "terminate",
        max_steps: int = 251,
        sensor_noise=None,
        slip: float | None = None,
        start: str | None = None,
        render_mode: str | None = None,
    ):
        self.render_mode = check_render_mode(render_mode, self.metadata)
        self.goal_mode = one_of(goal_mode, "goal_mode", GOAL_MODES)
        self.max_steps = integer(max_steps, "max_steps")
        self.maze = _resolve(layout, sensor_noise, slip, start)
        self.model = self.maze.model if isinstance(self.maze, MazePOMDP) else self.maze
        self.goal_states = self.model.reset_states()
        self.episode_model = self.model.with_absorbing(self.goal_states) if goal_mode == "terminate" else self.model
        self.sampler = POMDPSampler(self.episode_model)
        self.no_observation = self.model.n_obs
        self.observation_space = spaces.Discrete(self.model.n_obs + 1)
        self.action_space = spaces.Discrete(self.model.n_actions)

    def mdp_upper_bound(self) -> float:
        """``b0 . V_MDP``: the optimal value if the state were observed (an upper bound)."""
        terminal = self.goal_states if self.goal_mode == "terminate" else None
        V, _ = value_iteration(self.episode_model.mdp(terminal), self.model.gamma)
        return float(self.model.b0 @ V)

    # -- rendering ----------------------------------------------------------------------------

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

    def _canvas_size(self):
        (h, w), _, _ = self._grid()
        cs = self._cell_px()
        return (w * cs + cs, h * cs + cs)

    def _paint_state(self, pg, surface, state: int | None, belief: np.ndarray | None) -> None:
        (h, w), blocked, state_cell = self._grid()
        cs = self._cell_px()
        m = cs // 2

        def rect(idx):
            r, c = divmod(int(idx), w)
            return pg.Rect(m + c * cs, m + r * cs, cs, cs)

        heat = np.zeros(h * w)
        if belief is not None:
            np.add.at(heat, state_cell, belief)
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
        if state is not None:
            centre = np.array(rect(state_cell[state]).center, dtype=float)
            pg.draw.circle(surface, (30, 60, 200), centre, max(3, cs // 4))
            heading = self.maze.state_heading if isinstance(self.maze, MazePOMDP) else None
            if heading is not None:
                d = np.array([(0, -1), (1, 0), (0, 1), (-1, 0)][heading[state]], dtype=float)
                pg.draw.line(surface, (30, 60, 200), centre, centre + d * cs * 0.45, max(2, cs // 8))


class PartiallyObservableMazeEnv(POMazeTask, RenderMixin, gym.Env):
    """
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
    (``sensor_noise=(0.1, 0.05)``).  The hidden state is in ``info["state"]``, for analysis only.

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
      and the belief as a heat map over the cells.

    ## Vector environment

    ``gymnasium.make_vec("rl_envs/PartiallyObservableMaze-v0", num_envs=n, ...)`` gives
    :class:`PartiallyObservableMazeVectorEnv`, which samples the ``n`` agents' steps together.

    ```python
    env = gymnasium.make("rl_envs/PartiallyObservableMaze-v0", layout="hallway2")
    obs, info = env.reset(seed=0)  # obs == env.unwrapped.no_observation
    ```
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 6}
    # Before the first reset: no state, and step() raises ResetNeeded.
    _s: int | None = None
    _done = True
    belief: np.ndarray | None = None  # tracked only when rendering

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        self._s = int(self.sampler.start(self.np_random))
        self._t = 0
        self._done = False
        if self.render_mode is not None:
            self.belief = filter_belief(None, None, self.no_observation, self.episode_model)
            self.render()
        return self.no_observation, {"state": self._s}

    def step(self, action):
        a = as_discrete_action(action, self.model.n_actions)
        if self._done:
            raise ResetNeeded("the episode has ended (or not started): call reset() before step()")
        s2, o, r = self.sampler.step(self._s, a, self.np_random)
        self._s, o = int(s2), int(o)
        self._t += 1
        terminated = bool(self.goal_mode == "terminate" and self.goal_states[self._s])
        truncated = not terminated and self._t >= self.max_steps
        self._done = terminated or truncated
        if self.render_mode is not None:
            self.belief = filter_belief(self.belief, a, o, self.episode_model)
            self.render()
        return o, float(r), terminated, truncated, {"state": self._s}

    def _paint(self, pg, surface):
        self._paint_state(pg, surface, self._s, self.belief)

    def get_keys_to_action(self) -> dict:
        """Keys for :func:`gymnasium.utils.play.play` (``python -m rl_envs.play``), by action name:
        arrows move by compass (turn left/right, forward and turn around on the hallways, whose
        "stay" is the space bar); a model with other action names gets the digit keys 1-9 for its
        first nine actions."""
        from ..rendering import import_pygame

        pg = import_pygame()
        names = [str(a).lower() for a in self.model.actions]
        keys = [ACTION_KEYS.get(n) for n in names]
        if None not in keys and len(set(keys)) == len(keys):
            return {(getattr(pg, f"K_{key}"),): a for a, key in enumerate(keys)}
        return {(pg.K_1 + a,): a for a in range(min(len(names), 9))}


class PartiallyObservableMazeVectorEnv(TaskVectorEnv, POMazeTask, VectorRenderMixin, VectorEnv):
    """``num_envs`` agents in one partially observable maze, their steps sampled together (see
    :class:`PartiallyObservableMazeEnv` for the task; the arguments are the same plus ``num_envs``).

    Autoreset is next-step, as in Gymnasium's ``CartPoleVectorEnv``: the step after an agent's
    episode ends draws its new start state and returns ``no_observation`` with reward 0 (its
    action is ignored).  ``info["state"]`` (mask ``info["_state"]``) holds the hidden states.
    Each step draws from the vector env's ``np_random`` the moving agents' transition uniforms,
    then their observation uniforms, then the restarted agents' start states, so with
    ``num_envs=1`` the env reproduces :class:`PartiallyObservableMazeEnv` bit for bit under the
    same seed and actions.  ``render_mode="rgb_array"`` renders a tuple of frames, one per agent,
    with its belief (tracked only when rendering).
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 6, "autoreset_mode": AutoresetMode.NEXT_STEP}
    __signature__ = vector_signature(POMazeTask)
    # Before the first reset: no states; render() raises ResetNeeded.
    _s: np.ndarray | None = None
    belief: np.ndarray | None = None  # (num_envs, S), tracked only when rendering

    def _start(self, mask: np.ndarray, options: dict | None = None) -> None:
        if self._s is None:
            self._s = np.empty(self.num_envs, dtype=np.int64)
            self._o = np.empty(self.num_envs, dtype=np.int64)
        self._s[mask] = self.sampler.start(self.np_random, int(mask.sum()))
        self._o[mask] = self.no_observation
        if self.render_mode is not None:
            belief = filter_belief(None, None, self._o, self.episode_model)
            self.belief = belief if self.belief is None else np.where(mask[:, None], belief, self.belief)

    def _observe(self):
        return self._o.copy(), self._info()

    def _info(self) -> dict:
        return {"state": self._s.copy(), "_state": np.ones(self.num_envs, dtype=np.bool_)}

    def step(self, actions):
        a = as_discrete_actions(actions, self.num_envs, self.model.n_actions)
        restarted = self._begin_step()
        moving = ~restarted
        obs = np.full(self.num_envs, self.no_observation, dtype=np.int64)
        reward = np.zeros(self.num_envs)
        s2, o, r = self.sampler.step(self._s[moving], a[moving], self.np_random)
        self._s[moving], obs[moving], reward[moving] = s2, o, r
        if restarted.any():
            self._s[restarted] = self.sampler.start(self.np_random, int(restarted.sum()))
        self._o = obs.copy()
        terminated = moving & (self.goal_mode == "terminate") & self.goal_states[self._s]
        truncated = self._finish_step(restarted, terminated)
        if self.render_mode is not None:  # the restarted agents observe the symbol, which restarts their belief
            self.belief = filter_belief(self.belief, a, obs, self.episode_model)
        return obs, reward, terminated, truncated, self._info()

    def _paint_env(self, pg, surface, i: int) -> None:
        if self._s is None:
            raise ResetNeeded("call reset() before render()")
        self._paint_state(pg, surface, int(self._s[i]), self.belief[i])


def _resolve(layout, sensor_noise, slip, start) -> MazePOMDP | POMDPModel:
    grid_args = {"sensor_noise": sensor_noise, "slip": slip, "start": start}
    if isinstance(layout, POMDPModel) or (isinstance(layout, str) and layout in CLASSIC):
        given = [k for k, v in grid_args.items() if v is not None]
        if given:
            raise ValueError(f"{', '.join(given)} only apply to GridMaze layouts; {layout if isinstance(layout, str) else 'a POMDPModel'} defines its own")
        return CLASSIC[layout]() if isinstance(layout, str) else layout
    noise = HALLWAY_SENSOR_NOISE if sensor_noise is None else _sensor_noise(sensor_noise)
    return wall_sensor_pomdp(get_layout(layout), noise, 0.0 if slip is None else probability(slip, "slip"),
                             start or "uniform")


def _sensor_noise(sensor_noise) -> tuple[float, float]:
    """One probability for both errors, or ``(miss, false_alarm)``."""
    is_pair = isinstance(sensor_noise, (tuple, list)) or (isinstance(sensor_noise, np.ndarray) and sensor_noise.ndim == 1)
    pair = tuple(sensor_noise) if is_pair else (sensor_noise, sensor_noise)
    try:
        if len(pair) != 2:
            raise ValueError
        return probability(pair[0], "miss"), probability(pair[1], "false_alarm")
    except ValueError:
        raise ValueError("sensor_noise must be a probability in [0, 1] or a (miss, false_alarm) pair of them, "
                         f"got {describe(sensor_noise)}") from None
