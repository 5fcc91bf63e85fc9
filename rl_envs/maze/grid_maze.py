"""A grid maze with a reward at the goal and a cost for every move."""

from __future__ import annotations

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.error import ResetNeeded
from gymnasium.vector import AutoresetMode, VectorEnv

from ..rendering import RenderMixin, VectorRenderMixin, check_render_mode
from ..validation import as_discrete_action, as_discrete_actions, integer, probability, real
from ..vector import TaskVectorEnv, vector_signature
from .layouts import ACTION_NAMES, Layout, LayoutError, get_layout
from .solve import PERPENDICULAR, MDPModel, maze_model, value_iteration


def slip_moves(a: np.ndarray, slipped: np.ndarray, side: np.ndarray) -> np.ndarray:
    """The moves made: ``a`` where not ``slipped``, else the perpendicular move ``side`` (0 or 1)."""
    a = a.copy()
    a[slipped] = PERPENDICULAR[a[slipped], side]
    return a


class GridMazeTask:
    """What the single and the vector maze share: arguments, layout, exact references, drawing
    (the pattern of :mod:`rl_envs.vector`; the arguments are documented on :class:`GridMazeEnv`)."""

    def __init__(
        self,
        layout: str | Layout = "book3x3",
        *,
        size=None,
        maze_seed: int | None = None,
        goal_reward: float = 1.0,
        move_cost: float = 0.01,
        slip: float = 0.0,
        max_steps: int | None = None,
        render_mode: str | None = None,
    ):
        self.render_mode = check_render_mode(render_mode, self.metadata)
        self.goal_reward = real(goal_reward, "goal_reward")
        # A negative cost pays for moving: at gamma = 1 the best return would be unbounded
        # (never reach the goal), and value iteration would not converge.
        self.move_cost = real(move_cost, "move_cost", low=0)
        self.slip = probability(slip, "slip")
        if maze_seed is not None:
            integer(maze_seed, "maze_seed", low=0)
        if layout != "random" and size is not None:
            raise ValueError("size is only used with layout='random'")
        self._regenerate = layout == "random" and maze_seed is None
        self._size = size
        rng = np.random.default_rng(maze_seed)
        self._set_layout(get_layout(layout, size, rng))
        self.max_steps = integer(max_steps, "max_steps") if max_steps is not None else 25 * self.layout.n_cells
        self.observation_space = spaces.Discrete(self.layout.n_cells)
        self.action_space = spaces.Discrete(4)

    def _set_layout(self, layout: Layout) -> None:
        self.layout = layout
        self._model: MDPModel | None = None

    # -- exact references -------------------------------------------------------------------

    @property
    def model(self) -> MDPModel:
        if self._model is None:
            self._model = maze_model(self.layout, self.goal_reward, self.move_cost, self.slip)
        return self._model

    def shortest_path_length(self) -> int:
        dist = self.layout.distances_from_start()
        return int(min(dist[self.layout.index(g)] for g in self.layout.goals if dist[self.layout.index(g)] >= 0))

    def optimal_values(self, gamma: float = 1.0):
        """``(V*, Q*)`` of the current layout by value iteration on :attr:`model`."""
        return value_iteration(self.model, gamma)

    def optimal_return(self, gamma: float = 1.0) -> float:
        """The best expected (discounted) return from the start; ignores truncation."""
        V, _ = self.optimal_values(gamma)
        return float(self.model.start @ V)

    # -- rendering ----------------------------------------------------------------------------

    def _cell_px(self) -> int:
        h, w = self.layout.shape
        return int(np.clip(480 // max(h, w), 8, 64))

    def _canvas_size(self):
        h, w = self.layout.shape
        cs = self._cell_px()
        return (w * cs + 2 * cs // 2, h * cs + 2 * cs // 2)

    def _paint_maze(self, pg, surface, agent: int | None, trail) -> None:
        h, w = self.layout.shape
        cs = self._cell_px()
        m = cs // 2

        def rect(idx):
            r, c = self.layout.cell(idx)
            return pg.Rect(m + c * cs, m + r * cs, cs, cs)

        def centre(idx):
            return rect(idx).center

        for idx in np.flatnonzero(self.layout.blocked):
            pg.draw.rect(surface, (60, 60, 70), rect(idx))
        for g in self.layout.goals:
            pg.draw.rect(surface, (120, 200, 120), rect(self.layout.index(g)))
        pg.draw.rect(surface, (180, 210, 240), rect(self.layout.start_index))
        if len(trail) > 1:
            pg.draw.lines(surface, (240, 160, 60), False, [centre(i) for i in trail], max(2, cs // 8))
        if agent is not None:
            pg.draw.circle(surface, (200, 40, 40), centre(agent), max(3, cs // 3))
        thick = max(2, cs // 10)
        for r in range(h):
            for c in range(w):
                x0, y0 = m + c * cs, m + r * cs
                ends = [((x0, y0), (x0 + cs, y0)), ((x0 + cs, y0), (x0 + cs, y0 + cs)),
                        ((x0, y0 + cs), (x0 + cs, y0 + cs)), ((x0, y0), (x0, y0 + cs))]
                for a in range(4):
                    if self.layout.walls[r, c, a]:
                        pg.draw.line(surface, (20, 20, 20), *ends[a], thick)


class GridMazeEnv(GridMazeTask, RenderMixin, gym.Env):
    """
    ## Description

    An agent walks the cells of a maze from a start cell to a goal cell.  Reaching the goal
    pays ``goal_reward``; every move costs ``move_cost``, so the best policy takes a shortest
    path.  Walls are either thin walls between two cells (the 3x3 maze of Ogawa, *Tsukuri
    nagara manabu! Shinsou kyouka gakushuu*, 2018, ``layout="book3x3"``) or blocked cells.
    Layouts are plain text (see :mod:`rl_envs.maze.layouts`), a named layout
    (``book3x3``, ``dyna_maze``, ``four_rooms``, ``rooms10x10``, ``maze10x10``) or a seeded random perfect
    maze (``layout="random", size=(h, w)``).

    ## Action Space

    ``Discrete(4)`` in the book's order:

    | Num | Action |
    |-----|--------|
    | 0   | up     |
    | 1   | right  |
    | 2   | down   |
    | 3   | left   |

    Anything that is not an integer in ``[0, 4)`` raises ``ValueError``.

    ## Observation Space

    ``Discrete(H * W)``: the index ``row * W + col`` of the agent's cell, row-major from the
    top-left (the book's S0..S8).  Blocked cells have indices too but are never occupied.

    ## Rewards

    ``-move_cost`` for every step, plus ``goal_reward`` on the step that enters a goal.  A
    move into a wall, a blocked cell or off the grid costs a move and leaves the agent in place.

    With probability ``slip`` the move is replaced by one of the two perpendicular moves
    (each with probability ``slip / 2``).

    ## Starting State

    The start cell ``S`` of the layout.

    ## Episode End

    * Termination: the agent enters a goal cell.
    * Truncation: ``max_steps`` steps (default ``25 * H * W``) without reaching a goal.
      The environment counts the steps itself, because a sensible limit depends on the layout.

    Stepping after termination or truncation raises ``ResetNeeded``.

    ## Exact references (on ``env.unwrapped``)

    * ``model``: the MDP as arrays (``P[s, a, s2]``, ``R[s, a]``, terminal and start masks).
    * ``shortest_path_length()``: fewest moves from the start to a goal.
    * ``optimal_values(gamma)``: ``V*`` and ``Q*`` by value iteration on the model.
    * ``optimal_return(gamma=1.0)``: ``V*(start)``, the best expected return (ignoring truncation).

    ## Arguments

    * ``layout``: a named layout, a layout text, ``"random"`` or a ``Layout`` (default ``"book3x3"``).
    * ``size``: ``n`` or ``(height, width)`` for ``layout="random"``.
    * ``maze_seed``: for ``layout="random"``: an int fixes the maze; ``None`` draws a new maze
      from ``np_random`` at every ``reset`` (seed ``reset`` to reproduce it).
    * ``goal_reward`` (1.0), ``move_cost`` (0.01, ``>= 0``: a negative cost would pay for never
      reaching the goal), ``slip`` (0.0, in ``[0, 1]``), ``max_steps`` (a positive int).
    * ``render_mode``: ``"human"``, ``"rgb_array"`` or ``"ansi"``.

    ## Vector environment

    ``gymnasium.make_vec("rl_envs/GridMaze-v0", num_envs=n, ...)`` gives :class:`GridMazeVectorEnv`,
    which steps ``n`` agents in one maze with array operations (``vectorization_mode="sync"``
    gives ``n`` separate environments instead, e.g. for a new random maze per episode).

    ```python
    env = gymnasium.make("rl_envs/GridMaze-v0", layout="maze10x10", move_cost=0.05)
    env.unwrapped.optimal_return()  # 1 - 0.05 * shortest path length
    ```
    """

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 8}
    # Before the first reset: no agent, no trail, and step() raises ResetNeeded.
    _s: int | None = None
    _done = True
    trail: list[int] | tuple = ()

    def _set_layout(self, layout: Layout) -> None:
        super()._set_layout(layout)
        self._next = layout.next_cell.tolist()  # Python lists: the fastest lookup in step()
        self._is_goal = layout.goal_mask.tolist()

    # -- dynamics ---------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        if self._regenerate:
            self._set_layout(get_layout("random", self._size, self.np_random))
        self._s = self.layout.start_index
        self._t = 0
        self._done = False
        self.trail = [self._s]
        if self.render_mode == "human":
            self.render()
        return self._s, {}

    def step(self, action):
        a = as_discrete_action(action, 4)
        if self._done:
            raise ResetNeeded("the episode has ended (or not started): call reset() before step()")
        if self.slip > 0.0 and self.np_random.random() < self.slip:
            a = int(PERPENDICULAR[a, self.np_random.integers(2)])
        s = self._next[self._s][a]
        self._s = s
        self._t += 1
        self.trail.append(s)
        terminated = self._is_goal[s]
        reward = self.goal_reward - self.move_cost if terminated else -self.move_cost
        truncated = not terminated and self._t >= self.max_steps
        self._done = terminated or truncated
        if self.render_mode == "human":
            self.render()
        return s, reward, terminated, truncated, {}

    # -- rendering ----------------------------------------------------------------------------

    def _paint(self, pg, surface):
        self._paint_maze(pg, surface, self._s, self.trail)

    def _ansi(self) -> str:
        return self.layout.to_text(agent=self._s) + "\n"

    def get_keys_to_action(self) -> dict:
        """Arrow keys for :func:`gymnasium.utils.play.play` (see ``python -m rl_envs.play``)."""
        from ..rendering import import_pygame

        pg = import_pygame()
        keys = (pg.K_UP, pg.K_RIGHT, pg.K_DOWN, pg.K_LEFT)
        return {(k,): a for a, k in enumerate(keys)}


class GridMazeVectorEnv(TaskVectorEnv, GridMazeTask, VectorRenderMixin, VectorEnv):
    """``num_envs`` agents in one maze, stepped together with array operations (see
    :class:`GridMazeEnv` for the task; the arguments are the same plus ``num_envs``).

    Autoreset is next-step, as in Gymnasium's ``CartPoleVectorEnv``: the step after an agent's
    episode ends puts it back on the start cell and returns that with reward 0 (its action is
    ignored).  Every agent has its own step count for ``max_steps``.  With ``slip > 0`` each
    step draws from the vector env's ``np_random`` one uniform per moving agent, then one
    side per slipped agent, so with ``num_envs=1`` the env reproduces :class:`GridMazeEnv` bit
    for bit under the same seed and actions.  All agents share one maze: ``layout="random"``
    needs a ``maze_seed`` (use ``vectorization_mode="sync"`` for a new maze per episode).
    ``render_mode="rgb_array"`` renders a tuple of frames, one per agent, showing its cell (no
    trail); the exact references (``model``, ``optimal_return()``, ...) are those of
    :class:`GridMazeEnv`.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 8, "autoreset_mode": AutoresetMode.NEXT_STEP}
    __signature__ = vector_signature(GridMazeTask)
    _s: np.ndarray | None = None  # before the first reset

    def _set_layout(self, layout: Layout) -> None:
        if self._regenerate:  # the task would draw a new maze per episode, for every agent at once
            raise ValueError("GridMazeVectorEnv puts every agent in one maze: give layout='random' a maze_seed, "
                             "or use gymnasium.make_vec(..., vectorization_mode='sync') for a new maze per episode")
        super()._set_layout(layout)
        self._next_cell = layout.next_cell.astype(np.int64)
        self._goal = layout.goal_mask.copy()

    def _start(self, mask: np.ndarray, options: dict | None = None) -> None:
        if self._s is None:
            self._s = np.empty(self.num_envs, dtype=np.int64)
        self._s[mask] = self.layout.start_index

    def _observe(self):
        return self._s.copy(), {}

    def step(self, actions):
        a = as_discrete_actions(actions, self.num_envs, 4)
        restarted = self._begin_step()  # their step is discarded: they start a new episode instead
        moving = ~restarted
        if self.slip > 0.0:
            slipped = np.zeros(self.num_envs, dtype=np.bool_)
            slipped[moving] = self.np_random.random(int(moving.sum())) < self.slip
            a = slip_moves(a, slipped, self.np_random.integers(2, size=int(slipped.sum())))
        s = np.where(restarted, self.layout.start_index, self._next_cell[self._s, a])
        terminated = self._goal[s] & moving
        reward = np.where(terminated, self.goal_reward - self.move_cost, np.where(moving, -self.move_cost, 0.0))
        truncated = self._finish_step(restarted, terminated)
        self._s = s
        return s.copy(), reward, terminated, truncated, {}

    def _paint_env(self, pg, surface, i: int) -> None:
        if self._s is None:
            raise ResetNeeded("call reset() before render()")
        self._paint_maze(pg, surface, int(self._s[i]), ())


__all__ = ["GridMazeEnv", "GridMazeVectorEnv", "ACTION_NAMES", "LayoutError"]
