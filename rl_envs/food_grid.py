"""The four-room food grid of the maximum occupancy principle (MOP): Ramírez-Ruiz, Grytskyy,
Mastrogiuseppe, Habib & Moreno-Bote (2024), "Complex behavior from intrinsic motivation to occupy
future action-state path space", Nature Communications 15:6368, the grid world of their Fig. 1
(arena, food, internal energy and the noisy-TV room as in the authors' published code).

Coordinates are the paper's: cells ``(x, y)`` with ``x, y`` in 1..11, the internal energy ``u``
in 1..cap, ``u = 1`` meaning death.  A state is the index ``((y - 1) * 11 + (x - 1)) * cap + u - 1``
(:meth:`FoodGridTask.encode`, :meth:`FoodGridTask.decode`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
from gymnasium import spaces

from .core import Reference, SingleEnv, Task, VectorEnv
from .validation import describe, integer, is_int, probability

SIZE = 11
WALL = 6  # the walls are the row y = 6 and the column x = 6 ...
DOORS = (3, 9)  # ... except these coordinates, the doorways between the rooms
FOOD = ((1, 1), (SIZE, 1), (1, SIZE), (SIZE, SIZE))
START = (3, 3)
FOOD_DISTANCE = 2  # king moves from START to the food at (1, 1), in the same room
TV_ROOM = ((7, SIZE), (1, 5))  # x range, y range (inclusive) of the noisy-TV room

# The actions as (dx, dy), y pointing up as in the paper's figures; stay first (the tie rule of
# the reward-seeking agent takes the first best action, see baselines.intrinsic).
MOVES = np.array([(0, 0), (1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)])
ACTION_NAMES = ("stay", "right", "up-right", "up", "up-left", "left", "down-left", "down", "down-right")
STAY = 0
N_ACTIONS = len(MOVES)


@overload
def cell_index(x: int, y: int) -> int: ...
@overload
def cell_index(x: np.ndarray, y: np.ndarray) -> np.ndarray: ...
def cell_index(x: np.ndarray | int, y: np.ndarray | int) -> np.ndarray | int:
    """The cell number ``(y - 1) * 11 + (x - 1)`` of 1-based coordinates."""
    return (y - 1) * SIZE + (x - 1)


def _arena():
    """The arena's constant tables over the 121 cells: which are free, food and in the TV room,
    each move's target cell, which moves are admissible (the target is a free cell of the arena;
    stay always is) and, per cell, its admissible actions listed first (the rest padded with stay)."""
    x, y = np.meshgrid(np.arange(1, SIZE + 1), np.arange(1, SIZE + 1))
    x, y = x.ravel(), y.ravel()  # cell c has coordinates (x[c], y[c])
    wall = ((x == WALL) | (y == WALL)) & ~np.isin(x, DOORS) & ~np.isin(y, DOORS)
    free = ~wall
    tx, ty = x[:, None] + MOVES[:, 0], y[:, None] + MOVES[:, 1]
    inside = (tx >= 1) & (tx <= SIZE) & (ty >= 1) & (ty <= SIZE)
    target = np.where(inside, cell_index(np.clip(tx, 1, SIZE), np.clip(ty, 1, SIZE)), np.arange(SIZE * SIZE)[:, None])
    admissible = inside & free[target] & free[:, None]
    admissible[:, STAY] = True
    target = np.where(admissible, target, np.arange(SIZE * SIZE)[:, None])
    food = np.zeros(SIZE * SIZE, dtype=bool)
    food[[cell_index(fx, fy) for fx, fy in FOOD]] = True
    tv = (x >= TV_ROOM[0][0]) & (x <= TV_ROOM[0][1]) & (y >= TV_ROOM[1][0]) & (y <= TV_ROOM[1][1]) & free
    n_admissible = admissible.sum(axis=1)
    listed = np.argsort(~admissible, axis=1, kind="stable")  # the admissible actions first, in order
    listed = np.where(np.arange(N_ACTIONS) < n_admissible[:, None], listed, STAY)
    return free, food, tv, target, admissible, n_admissible, listed


FREE, FOOD_CELL, TV_CELL, TARGET, ADMISSIBLE, N_ADMISSIBLE, ADMISSIBLE_LIST = _arena()
N_FREE = int(FREE.sum())  # 104: the paper's code counts 103, listing the crossing (6, 6) twice


@dataclass(frozen=True, eq=False)
class SuccessorModel:
    """A finite MDP whose state-action pairs have few successors, as arrays.

    ``next_state[s, a, k]`` with probability ``prob[s, a, k]`` (``k`` over at most ``K``
    successors, distinct within a pair, padded with probability 0), ``reward[s, a]`` the
    environment's reward for taking ``a`` in ``s``, ``admissible[s, a]`` the actions the paper's
    agents may take in ``s`` (an inadmissible one does what the environment documents, here
    stay), ``terminal[s]`` the absorbing states (dead, or a wall cell the agent never occupies;
    their one admissible action stays, with reward 0) and ``start[s]`` the start distribution.

    The per-pair arrays are kept in Fortran order (states fastest), so that what the solvers
    compute from them is too, and their reductions over the actions of every state are fast.
    """

    next_state: np.ndarray
    prob: np.ndarray
    reward: np.ndarray
    admissible: np.ndarray
    terminal: np.ndarray
    start: np.ndarray

    def __post_init__(self):
        for name in ("next_state", "prob", "reward", "admissible"):
            object.__setattr__(self, name, np.asfortranarray(getattr(self, name)))

    @property
    def n_states(self) -> int:
        return self.next_state.shape[0]

    def expectation(self, values: np.ndarray) -> np.ndarray:
        """``E[values(s') | s, a]`` for every pair, shape ``(S, A)``."""
        return (self.prob * values[self.next_state]).sum(axis=2)

    def successor_entropy(self) -> np.ndarray:
        """``H(S' | s, a) = -sum_s' p ln p`` (nats) for every pair, shape ``(S, A)``."""
        p = self.prob
        return -(p * np.log(np.where(p > 0, p, 1.0))).sum(axis=2)

    def policy_matrix(self, policy: np.ndarray) -> Any:
        """``P_pi[s, s']`` of ``policy[s, a]`` as a scipy sparse matrix."""
        from scipy import sparse

        S, A, K = self.next_state.shape
        weights = policy[:, :, None] * self.prob
        rows = np.broadcast_to(np.arange(S)[:, None, None], (S, A, K))
        return sparse.csr_matrix((weights.ravel(), (rows.ravel(), self.next_state.ravel())), shape=(S, S))


@dataclass(frozen=True)
class FoodGridTask(Task):
    """The food grid's parameters and batched dynamics (documented on :class:`FoodGridEnv`)."""

    food_gain: int = 10
    energy_cap: int = 100
    tv_noise: float = 0.0
    max_steps: int = 50_000
    # Set by __post_init__, not arguments:
    observation_space: spaces.Discrete = field(init=False, repr=False, compare=False)
    action_space: spaces.Discrete = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 10}
    canvas_size = (432, 398)

    def __post_init__(self):
        integer(self.food_gain, "food_gain")
        # cap 1 would start the agent dead
        integer(self.energy_cap, "energy_cap", low=2)
        probability(self.tv_noise, "tv_noise")
        integer(self.max_steps, "max_steps")
        self._derive(
            observation_space=spaces.Discrete(SIZE * SIZE * self.energy_cap), action_space=spaces.Discrete(N_ACTIONS)
        )

    # -- states -------------------------------------------------------------------------------

    def encode(self, x: int, y: int, u: int) -> int:
        """The state index of the agent on the free cell ``(x, y)`` (1-based) with energy ``u``."""
        for name, value, high in (("x", x, SIZE), ("y", y, SIZE), ("u", u, self.energy_cap)):
            integer(value, name, high=high)
        if not FREE[cell_index(x, y)]:
            raise ValueError(f"({x}, {y}) is a wall cell; the walls are x = {WALL} and y = {WALL} except at {DOORS}")
        return int(cell_index(x, y) * self.energy_cap + u - 1)

    def decode(self, s: int) -> tuple[int, int, int]:
        """``(x, y, u)`` of the state index ``s``."""
        integer(s, "s", low=0, high=int(self.observation_space.n) - 1)
        cell, u = divmod(int(s), self.energy_cap)
        return cell % SIZE + 1, cell // SIZE + 1, u + 1

    def _split(self, s: np.ndarray):
        """Cell numbers and energies of state indices."""
        return s // self.energy_cap, s % self.energy_cap + 1

    def _visits_from(self, s: np.ndarray) -> np.ndarray:
        """Visit counts (n, 11, 11) of an episode that starts in ``s``: its cell once, if alive."""
        cell, u = self._split(s)
        visits = np.zeros((len(s), SIZE * SIZE), dtype=np.int64)
        visits[np.arange(len(s)), cell] = u > 1
        return visits.reshape(-1, SIZE, SIZE)

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> dict[str, np.ndarray]:
        s = np.full(n, self.encode(*START, self.energy_cap), dtype=np.int64)
        return {"s": s, "visits": self._visits_from(s)}

    def state_from(self, value: Any) -> dict[str, np.ndarray]:
        """The state a user sets (``env.unwrapped.state = s``): a state index of a free cell; the
        visit counts restart there."""
        if not is_int(value) or not 0 <= value < self.observation_space.n or not FREE[int(value) // self.energy_cap]:
            raise ValueError(
                f"state must be the index of a free cell's state, in [0, {self.observation_space.n}) "
                f"(see encode(x, y, u)), got {describe(value)}"
            )
        s = np.array([int(value)], dtype=np.int64)
        return {"s": s, "visits": self._visits_from(s)}

    def action_mask(self, s: np.ndarray) -> np.ndarray:
        """``mask[i, a] = 1`` where action ``a`` is admissible in state ``s[i]`` (int8, as Gymnasium's Taxi)."""
        cell, u = self._split(s)
        alive = ((u > 1) & FREE[cell])[:, None]
        return np.where(alive, ADMISSIBLE[cell], np.arange(N_ACTIONS) == STAY).astype(np.int8)

    # -- dynamics ------------------------------------------------------------------------------

    def sample_noise(self, rng: np.random.Generator, n: int) -> np.ndarray | None:
        if self.tv_noise == 0.0:
            return None
        return rng.random((n, 2))  # per sub-env: does the TV take over, and which move it makes

    def transition(
        self, state: dict[str, np.ndarray], action: np.ndarray, noise: np.ndarray | None
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict]:
        s = state["s"]
        cell, u = self._split(s)
        alive = u > 1
        a = np.where(ADMISSIBLE[cell, action], action, STAY)  # the documented rule: inadmissible is stay
        if noise is not None:
            # In the TV room, with probability tv_noise a uniformly drawn admissible move replaces the choice.
            taken = TV_CELL[cell] & (noise[:, 0] < self.tv_noise)
            drawn = ADMISSIBLE_LIST[cell, (noise[:, 1] * N_ADMISSIBLE[cell]).astype(np.int64)]
            a = np.where(taken, drawn, a)
        # The energy changes with the cell the agent leaves (or stays on); u = 1 is absorbing.
        u2 = np.where(alive, np.minimum(u + self.food_gain * FOOD_CELL[cell] - 1, self.energy_cap), u)
        cell2 = np.where(alive, TARGET[cell, a], cell)
        s2 = cell2 * self.energy_cap + u2 - 1
        visits = state["visits"].copy()
        counted = np.flatnonzero(u2 > 1)
        visits.reshape(len(s), -1)[counted, cell2[counted]] += 1
        return ({"s": s2, "visits": visits}, alive.astype(np.float64), u2 == 1, {"action_mask": self.action_mask(s2)})

    def observe(self, state: dict[str, np.ndarray]) -> np.ndarray:
        return state["s"].copy()

    def reset_info(self, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"action_mask": self.action_mask(state["s"])}

    def end_info(self, state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return {"visits": state["visits"].copy()}

    # -- exact references ----------------------------------------------------------------------

    @functools.cached_property
    def model(self) -> SuccessorModel:
        """The MDP as a :class:`SuccessorModel` over every state index (what the planners of
        ``baselines.intrinsic`` solve)."""
        cap = self.energy_cap
        s = np.arange(self.observation_space.n)
        cell, u = self._split(s)
        alive = (u > 1) & FREE[cell]
        admissible = np.where(alive[:, None], ADMISSIBLE[cell], np.arange(N_ACTIONS) == STAY)
        taken = np.where(admissible, np.arange(N_ACTIONS), STAY)  # inadmissible: stay
        u2 = np.where(alive, np.minimum(u + self.food_gain * FOOD_CELL[cell] - 1, cap), u)
        if self.tv_noise == 0.0:
            next_state = (TARGET[cell[:, None], taken] * cap + u2[:, None] - 1)[:, :, None]
            prob = np.ones(next_state.shape)
        else:
            # Successor k of every action is the cell's k-th admissible move (stay is the first):
            # in the TV room each has probability tv_noise / n and the chosen one 1 - tv_noise
            # more; elsewhere (and for the dead) the chosen one has probability 1.
            listed = ADMISSIBLE_LIST[cell]
            next_state = np.repeat(
                (TARGET[cell[:, None], listed] * cap + u2[:, None] - 1)[:, None, :], N_ACTIONS, axis=1
            )
            valid = (np.arange(N_ACTIONS) < N_ADMISSIBLE[cell][:, None])[:, None, :]
            chosen = (listed[:, None, :] == taken[:, :, None]) & valid
            noisy = (TV_CELL[cell] & alive)[:, None, None]
            prob = np.where(
                noisy,
                valid * self.tv_noise / N_ADMISSIBLE[cell][:, None, None] + (1 - self.tv_noise) * chosen,
                chosen.astype(float),
            )
        reward = np.repeat(alive.astype(np.float64)[:, None], N_ACTIONS, axis=1)
        start = np.zeros(len(s))
        start[self.encode(*START, cap)] = 1.0
        return SuccessorModel(next_state, prob, reward, admissible, ~alive, start)

    def reference(self) -> Reference:
        """The best and the uniformly random policy's expected episode return (steps survived).

        Best: from the start the food at (1, 1) is ``FOOD_DISTANCE`` = 2 king moves away; an agent
        arriving there alive (``energy_cap >= 4``) eats, and staying on food never lowers its
        energy (``food_gain >= 1``), so it lives to ``max_steps``.  Otherwise nothing can be eaten
        and the agent dies after ``energy_cap - 1`` steps.  Random: uniform over the 9 actions
        (an inadmissible one stays), the mean of ``min(T, max_steps)`` as the sum over t of the
        probability of being alive after t steps, propagated on the model until that
        probability is below 1e-12 (the rest bounds the interval).
        """
        reachable = self.energy_cap - FOOD_DISTANCE >= 2
        best = float(self.max_steps if reachable else min(self.energy_cap - 1, self.max_steps))
        model = self.model
        step = model.policy_matrix(np.full(model.admissible.shape, 1.0 / N_ACTIONS)).T.tocsr()
        alive = ~model.terminal
        p, mean, t = model.start.copy(), 0.0, 0
        while t < self.max_steps:
            mass = float(p[alive].sum())
            if mass < 1e-12:
                break
            mean += mass
            p, t = step @ p, t + 1
        rest = mass * (self.max_steps - t) if t < self.max_steps else 0.0
        return Reference(
            kind="exact",
            value=best,
            lower=best,
            upper=best,
            random=mean,
            random_lower=mean,
            random_upper=mean + rest,
            quantity="undiscounted episode return (steps survived) from (3, 3) with full energy",
            gamma=1.0,
            method="survival argument for the best policy; the random policy's survival by propagation on the model",
            citation="Ramírez-Ruiz, Grytskyy, Mastrogiuseppe, Habib & Moreno-Bote 2024, Nat. Commun. 15:6368",
        )

    def optimal_return(self) -> float:
        """The best expected episode return: ``reference().value`` (what the comparison reports)."""
        return self.reference().value

    # -- drawing -------------------------------------------------------------------------------

    def paint(self, pg: Any, surface: Any, state: dict[str, np.ndarray], trail: list[dict[str, np.ndarray]]) -> None:
        cs, m = 34, 12

        def rect(cell):
            return pg.Rect(m + (cell % SIZE) * cs, m + (SIZE - 1 - cell // SIZE) * cs, cs, cs)

        visits = state["visits"][0].ravel()
        scale = np.log1p(visits.max())
        for cell in range(SIZE * SIZE):
            if not FREE[cell]:
                colour = (70, 70, 80)
            elif visits[cell] == 0:
                colour = (255, 255, 255)
            else:  # the visit-count heat map, on a log scale: pale yellow (once) to dark red (most)
                t = np.log1p(visits[cell]) / scale
                colour = tuple(round(c0 + t * (c1 - c0)) for c0, c1 in zip((255, 236, 170), (170, 30, 30)))
            pg.draw.rect(surface, colour, rect(cell))
            pg.draw.rect(surface, (215, 215, 215), rect(cell), 1)
        for fx, fy in FOOD:
            cx, cy = rect(cell_index(fx, fy)).center
            r = cs // 3
            pg.draw.polygon(surface, (40, 160, 60), [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)])
        if self.tv_noise > 0:
            room = rect(cell_index(TV_ROOM[0][0], TV_ROOM[1][1])).union(rect(cell_index(TV_ROOM[0][1], TV_ROOM[1][0])))
            pg.draw.rect(surface, (150, 60, 200), room, 3)
        cell, u = self._split(state["s"][:1])
        cell, u = int(cell[0]), int(u[0])
        box = rect(cell)
        if u > 1:
            pg.draw.circle(surface, (40, 90, 200), box.center, cs // 3)
        else:
            pg.draw.line(surface, (0, 0, 0), box.topleft, box.bottomright, 4)
            pg.draw.line(surface, (0, 0, 0), box.topright, box.bottomleft, 4)
        # the energy bar: u - 1 of the cap - 1 units the agent can spend
        bar = pg.Rect(m + SIZE * cs + 14, m, 20, SIZE * cs)
        level = (u - 1) / (self.energy_cap - 1)
        filled = pg.Rect(bar.left, bar.bottom - round(level * bar.height), bar.width, round(level * bar.height))
        pg.draw.rect(surface, (60, 170, 80) if level >= 0.25 else (220, 110, 40), filled)
        pg.draw.rect(surface, (40, 40, 40), bar, 2)


class FoodGridEnv(SingleEnv):
    """The MOP paper's four rooms with food and energy.

    ## Description

    The grid world of the maximum occupancy principle (MOP; Ramírez-Ruiz, Grytskyy,
    Mastrogiuseppe, Habib & Moreno-Bote 2024, *Nature Communications* 15:6368, Fig. 1): an agent
    with an internal energy lives in an 11×11 arena of four rooms.  The walls are the row
    ``y = 6`` and the column ``x = 6``, with doorways at 3 and 9 on each (104 free cells).  Food
    lies in the four corners (1, 1), (11, 1), (1, 11), (11, 11).

    Each step costs one unit of energy, and a step taken from a food cell (moving off it or
    staying) adds the food gain ``G`` first:
    ``u' = min(u + G·[the current cell is food] − 1, cap)``.  The agent dies when ``u`` reaches
    1, and death is absorbing.  Coordinates and energy are the paper's: ``x, y`` in 1..11 (``y``
    up, as in its figures), ``u`` in 1..cap, the energy left being ``u − 1``.

    The paper's MOP agent has no reward at all: it maximises the discounted entropy of its
    future actions (and, with β > 0, of its successor states), and survives because dying ends
    all future paths.  The environment's reward is what the paper's reward-seeking comparison
    agent maximises (below).  Both agents are in ``baselines.intrinsic``.

    **Noisy TV.** With ``tv_noise = η > 0`` the moves in the room x in 7..11, y in 1..5 are
    random: with probability η the chosen action is replaced by one drawn uniformly from the
    cell's admissible actions, so it is carried out with probability 1 − η + η/n (n admissible
    actions).  Agents that value successor-state entropy (MOP with β > 0) are drawn to it.

    ## Action Space

    ``Discrete(9)``: stay, or a king move, as ``(dx, dy)``:

    | Num | Action | Num | Action |
    |-----|--------|-----|--------|
    | 0 | stay (0, 0) | 5 | left (−1, 0) |
    | 1 | right (1, 0) | 6 | down-left (−1, −1) |
    | 2 | up-right (1, 1) | 7 | down (0, −1) |
    | 3 | up (0, 1) | 8 | down-right (1, −1) |
    | 4 | up-left (−1, 1) | | |

    A move whose target is a wall or outside the arena is **inadmissible**: the paper's agents
    do not have it.  ``info["action_mask"]`` (an ``int8`` array of 9, in ``reset`` and every
    ``step``, as Gymnasium's Taxi) marks the admissible actions of the new state, so
    ``env.action_space.sample(mask=info["action_mask"])`` draws the paper's random walker.  An
    inadmissible action taken anyway is carried out as **stay** (the energy changes as for
    stay).  A dead agent's only admissible action is stay.  Anything that is not an integer in
    ``[0, 9)`` raises ``ValueError``.

    ## Observation Space

    ``Discrete(121 · energy_cap)``: the state index ``((y − 1)·11 + (x − 1))·cap + u − 1``;
    ``env.unwrapped.encode(x, y, u)`` and ``decode(s)`` convert.  Wall cells have indices too but
    are never occupied.

    ## Rewards

    +1 for every step taken alive, so the episode return is the number of steps survived: the
    reward of the paper's reward-seeking agent ("R agent"), which reproduces its published
    values.  MOP ignores it.

    ## Starting State

    The cell (3, 3) with full energy ``u = energy_cap``, as in the paper's experiments.

    ## Episode End

    * Termination: the energy reaches ``u = 1`` (death).
    * Truncation: ``max_steps`` steps (default 50 000, the paper's episode length).

    On the last step, ``info["visits"]`` holds the episode's visit counts per cell, an
    ``(11, 11)`` array indexed ``[y − 1, x − 1]``: how many time steps the living agent spent in
    each cell, the start included (the occupancy the paper measures).  They are part of the
    state (``env.unwrapped.state["visits"]``), not of the observation, so that the drawing of a
    vector env's sub-env shows them as well.

    ## Exact references (on ``env.unwrapped``)

    * ``model``: the MDP as arrays (successors, probabilities, rewards, the admissible actions
      and the absorbing states), which ``baselines.intrinsic`` solves exactly.
    * ``reference()``: the best episode return (``max_steps``: the agent can reach food and stay
      there) and the uniformly random policy's, exactly; ``optimal_return()`` is the former.

    ## Arguments

    * ``food_gain``: the energy G a step from a food cell adds (a positive int, default 10).
    * ``energy_cap``: the largest energy ``u`` (an int >= 2, default 100); the agent starts with it.
    * ``tv_noise``: η in [0, 1], the randomness of the moves in the noisy-TV room (default 0).
    * ``max_steps``: the step limit (default 50 000).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the arena, the visit-count heat map of
      the episode (log scale, pale yellow to dark red), the food (green), the agent (blue; a
      cross when dead), the noisy-TV room's outline (purple, when ``tv_noise > 0``) and the
      energy bar (right; orange below a quarter).

    ```python
    env = gymnasium.make("rl_envs/FoodGrid-v0", food_gain=10)
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_space.sample(mask=info["action_mask"]))
    ```
    """

    task_type = FoodGridTask


class FoodGridVectorEnv(VectorEnv):
    """``num_envs`` food grids stepped as one array (see :class:`FoodGridEnv` and
    :mod:`rl_envs.core.vector`); with ``num_envs=1`` it reproduces the single env bit for bit.
    ``info["action_mask"]`` is ``(num_envs, 9)``; ``render_mode="rgb_array"`` renders a tuple of
    frames, one per sub-env, each with its own visit-count heat map."""

    task_type = FoodGridTask


__all__ = ["ACTION_NAMES", "FoodGridEnv", "FoodGridTask", "FoodGridVectorEnv", "SuccessorModel"]
