"""A grid maze with a reward at the goal and a cost for every move."""

from __future__ import annotations

import copy
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, cast

import numpy as np
from gymnasium import spaces

from ..core import Reference, SingleEnv, Task, VectorEnv
from ..validation import as_discrete_action, integer, probability, real
from .layouts import ACTION_NAMES, Layout, LayoutError, get_layout
from .solve import PERPENDICULAR, MDPModel, finite_horizon_values, maze_model, value_iteration


class ScalarStepTask(Task):
    """A task whose single env steps on Python scalars (``step_one``; the mazes): one env's action
    as a Python int (what :meth:`check_action` gives ``step_one``), its integer states as
    read-only batches of one (``_batches``) and its observations as numpy scalars (``_scalars``),
    made once by :meth:`_make_batches`, since building them at every step would take a third of
    the step."""

    action_space: spaces.Discrete
    _batches: tuple[np.ndarray, ...]
    _scalars: tuple[np.int64, ...]
    _n_actions: int

    def _make_batches(self, n: int) -> None:
        batches = tuple(np.array([i], dtype=np.int64) for i in range(n))
        for a in batches:
            a.flags.writeable = False
        self._derive(
            _batches=batches,
            _scalars=tuple(np.arange(n, dtype=np.int64)),
            _n_actions=int(self.action_space.n),  # a Python int compares faster than Discrete.n
        )

    def check_action(self, action: Any, n: int | None) -> Any:
        """One env's action as a Python int (``n`` None), else the batch."""
        if n is None:
            # a plain int in range, the tabular agents' action, skips the call: a tenth of the step
            if type(action) is int and 0 <= action < self._n_actions:
                return action
            return as_discrete_action(action, self._n_actions)
        return super().check_action(action, n)


@dataclass(frozen=True)
class GridMazeTask(ScalarStepTask):
    """The maze's parameters, layout, exact references and batched dynamics (the arguments are
    documented on :class:`GridMazeEnv`).  The state is the agent's cell index, an int64 array."""

    layout: str | Layout = "book3x3"
    _: KW_ONLY
    size: int | tuple[int, int] | None = None
    maze_seed: int | None = None
    goal_reward: float = 1.0
    move_cost: float = 0.01
    slip: float = 0.0
    max_steps: int | None = None
    # Set by __post_init__, not arguments (as are the spaces); _layout is layout resolved (the
    # argument may also be a name), under a name whose type says so.
    new_maze_each_reset: bool = field(init=False, repr=False, compare=False)
    _layout: Layout = field(init=False, repr=False, compare=False)
    _model: MDPModel | None = field(init=False, repr=False, compare=False)
    _reference: Reference | None = field(init=False, repr=False, compare=False)
    _goal: np.ndarray = field(init=False, repr=False, compare=False)
    _start: int = field(init=False, repr=False, compare=False)
    _next_list: list[list[int]] = field(init=False, repr=False, compare=False)
    _goal_list: list[bool] = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array", "ansi"], "render_fps": 8}

    def __post_init__(self):
        # A negative cost pays for moving: at gamma = 1 the best return would be unbounded
        # (never reach the goal), and value iteration would not converge.
        self._derive(
            goal_reward=real(self.goal_reward, "goal_reward"),
            move_cost=real(self.move_cost, "move_cost", low=0),
            slip=probability(self.slip, "slip"),
        )
        if self.maze_seed is not None:
            integer(self.maze_seed, "maze_seed", low=0)
        if self.layout != "random" and self.size is not None:
            raise ValueError("size is only used with layout='random'")
        # layout="random" without a maze_seed: a new maze from np_random at every reset (redraw)
        self._derive(new_maze_each_reset=self.layout == "random" and self.maze_seed is None)
        self._use_layout(get_layout(self.layout, self.size, np.random.default_rng(self.maze_seed)))
        self._derive(
            max_steps=integer(self.max_steps, "max_steps") if self.max_steps is not None else 25 * self._layout.n_cells,
            observation_space=spaces.Discrete(self._layout.n_cells),
            action_space=spaces.Discrete(4),
        )
        self._make_batches(max(self._layout.n_cells, 4))

    def _use_layout(self, layout: Layout) -> None:
        """``layout`` (the argument, resolved) and what the steps and the drawing read of it."""
        goal = layout.goal_mask
        self._derive(
            layout=layout,
            _layout=layout,
            _model=None,
            _reference=None,
            _goal=goal,
            _start=layout.start_index,
            _next_list=layout.next_cell.tolist(),
            _goal_list=goal.tolist(),
        )
        h, w = layout.shape
        cs = self._cell_px()
        self._derive(canvas_size=((w + 1) * cs, (h + 1) * cs))  # a margin of half a cell around the maze

    def for_env(self, single: bool, render_mode: str | None) -> GridMazeTask:
        if not single and self.new_maze_each_reset:  # a new maze per episode would move every agent's maze at once
            raise ValueError(
                "GridMazeVectorEnv puts every agent in one maze: give layout='random' a maze_seed, "
                "or use gymnasium.make_vec(..., vectorization_mode='sync') for a new maze per episode"
            )
        return self

    def redraw(self, rng: np.random.Generator, seeded: bool) -> GridMazeTask:
        if not self.new_maze_each_reset:
            return self
        task = copy.copy(self)
        task._use_layout(get_layout("random", self.size, rng))
        return task

    # -- the dynamics -------------------------------------------------------------------------

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> np.ndarray:
        state = np.empty(n, dtype=np.int64)
        state.fill(self._start)  # (np.full costs twice as much, in the vector env's restarts)
        return state

    def sample_noise(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray] | None:
        """A uniform per agent, then for the agents it slips (``u < slip``) which perpendicular
        move (0 or 1), as the vector env has always drawn them (with ``n = 1`` the single env's
        order: its uniform, then its side)."""
        if self.slip == 0.0:
            return None
        slipped = rng.random(n) < self.slip
        side = np.zeros(n, dtype=np.int64)
        side[slipped] = rng.integers(2, size=int(slipped.sum()))
        return {"slipped": slipped, "side": side}

    def transition(
        self, state: np.ndarray, action: np.ndarray, noise: dict[str, np.ndarray] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
        if noise is not None:
            action = np.where(noise["slipped"], PERPENDICULAR[action, noise["side"]], action)
        cell = self._layout.next_cell[state, action]
        terminated = self._goal[cell]
        return cell, np.where(terminated, self.goal_reward - self.move_cost, -self.move_cost), terminated, {}

    def step_one(
        self, state: np.ndarray, action: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, Any, float, bool, dict]:
        """:meth:`transition` for the single env with Python lists and scalars: tabular agents
        step it millions of times, and numpy's per-call cost would be most of its ~1 µs step."""
        if self.slip > 0.0 and rng.random() < self.slip:
            action = int(PERPENDICULAR[action, rng.integers(2)])
        cell = self._next_list[state.item()][action]
        terminated = self._goal_list[cell]
        reward = self.goal_reward - self.move_cost if terminated else -self.move_cost
        return self._batches[cell], self._scalars[cell], reward, terminated, {}

    def state_from(self, value: Any) -> np.ndarray:
        """A cell index (``env.unwrapped.state = cell`` places the agent there)."""
        cell = integer(value, "state", low=0, high=self._layout.n_cells - 1)
        if self._layout.blocked.flat[cell]:
            raise ValueError(f"state must be a cell the agent can occupy, got the blocked cell {cell}")
        return np.array([cell], dtype=np.int64)

    # -- exact references -------------------------------------------------------------------

    @property
    def model(self) -> MDPModel:
        model = self._model
        if model is None:
            model = maze_model(self._layout, self.goal_reward, self.move_cost, self.slip)
            self._derive(_model=model)
        return model

    def shortest_path_length(self) -> int:
        dist = self._layout.distances_from_start()
        return int(min(dist[self._layout.index(g)] for g in self._layout.goals if dist[self._layout.index(g)] >= 0))

    def optimal_values(self, gamma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``(V*, Q*)`` of the current layout by value iteration on :attr:`model`."""
        return value_iteration(self.model, gamma)

    def optimal_return(self, gamma: float = 1.0) -> float:
        """The best expected (discounted) return from the start; ignores truncation."""
        V, _ = self.optimal_values(gamma)
        return float(self.model.start @ V)

    def reference(self) -> Reference:
        """The best and the uniform-random policy's expected episode return, exactly, for episodes
        as the env runs them: undiscounted, from the start cell, truncated after ``max_steps``.

        Both by backward induction over ``max_steps`` steps on :attr:`model`
        (:func:`~rl_envs.maze.solve.finite_horizon_values`).  The best policy may use the steps
        left (an agent that counts its steps can), so its value is the optimum over every policy;
        on a deterministic maze it is ``optimal_return()`` whenever walking a shortest path beats
        wandering until the limit.  The random policy's value differs from the untruncated one
        of :func:`~rl_envs.maze.solve.policy_evaluation`: a random walk is cut off by the limit
        in a fifth of the episodes on ``dyna_maze``.
        """
        if self._reference is None:
            model, horizon = self.model, cast(int, self.max_steps)
            uniform = np.full((model.n_states, model.n_actions), 1.0 / model.n_actions)
            best = float(model.start @ finite_horizon_values(model, horizon))
            random = float(model.start @ finite_horizon_values(model, horizon, uniform))
            self._derive(
                _reference=Reference(
                    kind="exact",
                    value=best,
                    lower=best,
                    upper=best,
                    random=random,
                    random_lower=random,
                    random_upper=random,
                    quantity=f"undiscounted episode return from the start cell, truncated after max_steps = {horizon}",
                    gamma=1.0,
                    method="backward induction over max_steps steps on the maze's model (best and uniform-random policy)",
                    citation="Puterman 1994, Markov Decision Processes, §4.5 (finite-horizon backward induction)",
                )
            )
        return cast(Reference, self._reference)

    # -- drawing ------------------------------------------------------------------------------

    def _cell_px(self) -> int:
        h, w = self._layout.shape
        return int(np.clip(480 // max(h, w), 8, 64))

    def paint(self, pg: Any, surface: Any, state: np.ndarray, trail: list[np.ndarray]) -> None:
        h, w = self._layout.shape
        cs = self._cell_px()
        m = cs // 2

        def rect(idx):
            r, c = self._layout.cell(idx)
            return pg.Rect(m + c * cs, m + r * cs, cs, cs)

        def centre(idx):
            return rect(idx).center

        for idx in np.flatnonzero(self._layout.blocked):
            pg.draw.rect(surface, (60, 60, 70), rect(idx))
        for g in self._layout.goals:
            pg.draw.rect(surface, (120, 200, 120), rect(self._layout.index(g)))
        pg.draw.rect(surface, (180, 210, 240), rect(self._layout.start_index))
        path = [int(s[0]) for s in trail] + [int(state[0])]
        if len(path) > 1:
            pg.draw.lines(surface, (240, 160, 60), False, [centre(i) for i in path], max(2, cs // 8))
        pg.draw.circle(surface, (200, 40, 40), centre(path[-1]), max(3, cs // 3))
        thick = max(2, cs // 10)
        for r in range(h):
            for c in range(w):
                x0, y0 = m + c * cs, m + r * cs
                ends = [
                    ((x0, y0), (x0 + cs, y0)),
                    ((x0 + cs, y0), (x0 + cs, y0 + cs)),
                    ((x0, y0 + cs), (x0 + cs, y0 + cs)),
                    ((x0, y0), (x0, y0 + cs)),
                ]
                for a in range(4):
                    if self._layout.walls[r, c, a]:
                        pg.draw.line(surface, (20, 20, 20), *ends[a], thick)

    def ansi(self, state: np.ndarray) -> str:
        return self._layout.to_text(agent=int(state[0])) + "\n"


class GridMazeEnv(SingleEnv):
    """Mazes with ``shortest_path_length()`` and V*.

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
    ``env.unwrapped.state`` is that index too; setting it (to a cell that is not blocked)
    places the agent.

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
    * ``reference()``: the best and the uniform-random policy's expected episode return with the
      truncation at ``max_steps`` (what an episode returns), both exact by backward induction
      (a :class:`rl_envs.core.Reference`).

    ## Arguments

    * ``layout``: a named layout, a layout text, ``"random"`` or a ``Layout`` (default ``"book3x3"``);
      ``env.unwrapped.layout`` is the resolved ``Layout``.
    * ``size``: ``n`` or ``(height, width)`` for ``layout="random"``.
    * ``maze_seed``: for ``layout="random"``: an int fixes the maze; ``None`` draws a new maze
      from ``np_random`` at every ``reset`` (seed ``reset`` to reproduce it).
    * ``goal_reward`` (1.0), ``move_cost`` (0.01, ``>= 0``: a negative cost would pay for never
      reaching the goal), ``slip`` (0.0, in ``[0, 1]``), ``max_steps`` (a positive int; default
      ``25 * H * W``).
    * ``render_mode``: ``"human"``, ``"rgb_array"`` (the maze, the agent and its path this
      episode) or ``"ansi"`` (the layout text with the agent as ``@``).

    ## Vector environment

    ``gymnasium.make_vec("rl_envs/GridMaze-v0", num_envs=n, ...)`` gives :class:`GridMazeVectorEnv`,
    which steps ``n`` agents in one maze with array operations (Gymnasium's three autoreset
    modes: ``autoreset_mode=``; ``vectorization_mode="sync"`` gives ``n`` separate environments
    instead, e.g. for a new random maze per episode).

    ```python
    env = gymnasium.make("rl_envs/GridMaze-v0", layout="maze10x10", move_cost=0.05)
    env.unwrapped.optimal_return()  # 1 - 0.05 * shortest path length
    ```
    """

    task_type = GridMazeTask

    def get_keys_to_action(self) -> dict:
        """Arrow keys for :func:`gymnasium.utils.play.play` (see ``python -m rl_envs.play``)."""
        from ..rendering import import_pygame

        pg = import_pygame()
        keys = (pg.K_UP, pg.K_RIGHT, pg.K_DOWN, pg.K_LEFT)
        return {(k,): a for a, k in enumerate(keys)}


class GridMazeVectorEnv(VectorEnv):
    """``num_envs`` agents in one maze, stepped together with array operations (see
    :class:`GridMazeEnv` and :mod:`rl_envs.core.vector`: the arguments are the same after
    ``num_envs``; Gymnasium's three autoreset modes; seeding by an int or by one seed per agent).

    Every agent has its own step count for ``max_steps``.  With ``slip > 0`` each step draws from
    the shared stream one uniform per moving agent, then one side per slipped agent, so with
    ``num_envs=1`` the env reproduces :class:`GridMazeEnv` bit for bit under the same seed and
    actions.  All agents share one maze: ``layout="random"`` needs a ``maze_seed`` (use
    ``vectorization_mode="sync"`` for a new maze per episode).  ``render_mode="rgb_array"``
    renders a tuple of frames, one per agent, showing its cell (no path); the exact references
    (``model``, ``optimal_return()``, ...) are those of :class:`GridMazeEnv`.
    """

    task_type = GridMazeTask


__all__ = ["GridMazeEnv", "GridMazeVectorEnv", "ACTION_NAMES", "LayoutError"]
