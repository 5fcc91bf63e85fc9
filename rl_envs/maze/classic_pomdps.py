"""The classic partially observable mazes, built from their maps and noise rules.

``hallway`` and ``hallway2`` (Littman, Cassandra & Kaelbling 1995), ``cheese`` (McCallum 1993)
and ``4x3`` (Russell & Norvig's world with Cassandra's two wall detectors) reproduce Cassandra's
``.POMDP`` files probability for probability (the files print six decimals); any GridMaze layout
gets a noisy four-wall sensor with :func:`wall_sensor_pomdp`.  The definitions are those of
``docs/pomdp-mazes.md`` §3.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .layouts import Layout, parse_layout
from .pomdp import POMDPModel
from .solve import move_matrix

# Headings of the hallway robots, in the order of the four moves (up, right, down, left).
HEADINGS = ("N", "E", "S", "W")
HALLWAY_ACTIONS = ("stay", "forward", "turn_right", "turn_around", "turn_left")
GRID_ACTIONS = ("up", "right", "down", "left")

# Hallway dynamics (docs/pomdp-mazes.md §3): forward succeeds with 0.8; each open side cell is slipped
# into with 0.05 (facing the slip); an open cell behind with 0.025 keeping the heading and 0.025
# reversed.  Turns: heading offset -> probability.
FORWARD, SIDE_SLIP, BACK_SLIP = 0.8, 0.05, 0.025
TURNS = {
    2: {1: 0.7, 0: 0.1, 2: 0.1, 3: 0.1},  # right
    3: {2: 0.6, 1: 0.15, 3: 0.15, 0: 0.1},  # around
    4: {3: 0.7, 0: 0.1, 1: 0.1, 2: 0.1},  # left
}
# Sensors of the hallways: a real wall is reported with 0.9, an opening with 0.95.
HALLWAY_SENSOR_NOISE = (0.1, 0.05)

# The free cells are the states; the character S only satisfies the layout parser (every state
# but the goal is a start state).
_MAPS = {
    "hallway": "S..........\n##.#.#.#G##",
    "hallway2": "#S....#\n..#.#..\n#.#.#.#\n..#.#.G\n#.....#",
    "cheese": "S....\n.#.#.\n.#G#.",
    "4x3": "S..G\n.#.G\n....",
}


@dataclass(frozen=True, eq=False)
class MazePOMDP:
    """A POMDP over the cells of a layout: ``state_cell[s]`` (cell index), ``state_heading[s]``
    (0-3, or None when the agent has no heading), for rendering beliefs over the map."""

    model: POMDPModel
    layout: Layout
    state_cell: np.ndarray
    state_heading: np.ndarray | None
    name: str


def _free_cells(layout: Layout, goals_last: bool = False) -> np.ndarray:
    reachable = np.flatnonzero((~layout.blocked.ravel()) & (layout.distances_from_start() >= 0))
    if goals_last:
        goal = layout.goal_mask[reachable]
        reachable = np.concatenate([reachable[~goal], reachable[goal]])
    return reachable


def _uniform_over(mask: np.ndarray) -> np.ndarray:
    return mask / mask.sum()


def _reset_goals(T: np.ndarray, goal: np.ndarray, b0: np.ndarray) -> None:
    """The files' goal rule: any action in a goal state restarts from ``b0``."""
    T[:, goal, :] = b0


def wall_sensor_probabilities(walls: np.ndarray, miss: float, false_alarm: float) -> np.ndarray:
    """``P[s, o]`` of four independent wall sensors, ``o = 8 w0 + 4 w1 + 2 w2 + w3``.

    ``walls[s, k]`` is True when sensor k faces a wall.  A wall is missed with probability
    ``miss`` and an opening reported as a wall with probability ``false_alarm``.
    """
    bits = (np.arange(16)[:, None] >> np.array([3, 2, 1, 0])) & 1  # (16, 4): sensor readings of o
    p_wall_read = np.where(walls, 1.0 - miss, false_alarm)  # (S, 4): P(reading "wall")
    return np.prod(np.where(bits[None] == 1, p_wall_read[:, None], 1.0 - p_wall_read[:, None]), axis=2)


def _heading_model(name: str, sensor_noise, landmarks: dict[tuple[int, int], int]) -> MazePOMDP:
    """Hallway-style robot: state = 4 * cell + heading over the free cells (row-major).

    ``landmarks[(layout cell index, heading)] = o``: a deterministic observation there.
    """
    layout = parse_layout(_MAPS[name], name=name)
    cells = _free_cells(layout)
    where = {int(c): i for i, c in enumerate(cells)}
    C = len(cells)
    S = 4 * C
    # neighbour[i, d]: the state-cell in direction d of cell i, or -1 behind a wall.
    neighbour = np.array([[where[int(n)] if n != c else -1 for n in layout.next_cell[c]] for c in cells])
    goal = np.repeat(layout.goal_mask[cells], 4)
    T = np.zeros((5, S, S))
    for i in range(C):
        for h in range(4):
            s = 4 * i + h
            T[0, s, s] = 1.0
            ahead, back = neighbour[i, h], neighbour[i, (h + 2) % 4]
            if ahead >= 0:
                T[1, s, 4 * ahead + h] += FORWARD
            for d in ((h + 1) % 4, (h + 3) % 4):
                if neighbour[i, d] >= 0:
                    T[1, s, 4 * neighbour[i, d] + d] += SIDE_SLIP
            if back >= 0:
                T[1, s, 4 * back + h] += BACK_SLIP
                T[1, s, 4 * back + (h + 2) % 4] += BACK_SLIP
            T[1, s, s] += 1.0 - T[1, s].sum()
            for a, turn in TURNS.items():
                for offset, p in turn.items():
                    T[a, s, 4 * i + (h + offset) % 4] = p
    b0 = _uniform_over(~goal)
    _reset_goals(T, goal, b0)
    # Sensors front, right, back, left relative to the heading.
    relative = np.array([[neighbour[s // 4, (s % 4 + k) % 4] < 0 for k in range(4)] for s in range(S)])
    n_obs = 16 + len(landmarks) + 1
    O1 = np.zeros((S, n_obs))
    O1[:, :16] = wall_sensor_probabilities(relative, *sensor_noise)
    for (cell, heading), o in landmarks.items():
        s = 4 * where[cell] + heading
        O1[s] = 0.0
        O1[s, o] = 1.0
    O1[goal] = 0.0
    O1[goal, n_obs - 1] = 1.0
    reward = np.zeros((5, S, S, 1))
    reward[:, :, goal] = 1.0
    model = POMDPModel(T, np.broadcast_to(O1, (5, S, n_obs)).copy(), reward, b0, 0.95, actions=HALLWAY_ACTIONS)
    return MazePOMDP(model, layout, np.repeat(cells, 4), np.tile(np.arange(4), C), name)


def hallway() -> MazePOMDP:
    """60 states, 5 actions, 21 observations: 16 wall readings, landmarks o16-o19 facing south
    in the corridor cells above the four side cells, and o20 at the goal."""
    south = HEADINGS.index("S")
    return _heading_model(
        "hallway", HALLWAY_SENSOR_NOISE, {(cell, south): 16 + k for k, cell in enumerate((2, 4, 6, 8))}
    )


def hallway2() -> MazePOMDP:
    """92 states, 5 actions, 17 observations: 16 wall readings and the goal; no landmarks."""
    return _heading_model("hallway2", HALLWAY_SENSOR_NOISE, {})


def _grid_model(
    layout: Layout,
    cells: np.ndarray,
    action_dirs,
    slip: float,
    b0: np.ndarray,
    goal: np.ndarray,
    O1: np.ndarray,
    reward: np.ndarray,
    actions,
    name: str,
    gamma: float,
) -> MazePOMDP:
    """Absolute moves over ``cells`` (with perpendicular slips), goals restarting from ``b0``."""
    P = move_matrix(layout, slip)[np.ix_(cells, list(action_dirs), cells)]
    T = P.transpose(1, 0, 2).copy()
    _reset_goals(T, goal, b0)
    A, S = T.shape[:2]
    model = POMDPModel(T, np.broadcast_to(O1, (A, S, O1.shape[1])).copy(), reward, b0, gamma, actions=actions)
    return MazePOMDP(model, layout, cells, None, name)


def _walls(layout: Layout, cells: np.ndarray) -> np.ndarray:
    """``walls[s, d]``: the move in direction d (up, right, down, left) from the cell is blocked."""
    return layout.next_cell[cells] == cells[:, None]


def cheese() -> MazePOMDP:
    """McCallum's cheese maze: 11 states (the goal last), N S E W, 7 observation classes."""
    layout = parse_layout(_MAPS["cheese"], name="cheese")
    cells = _free_cells(layout, goals_last=True)
    goal = layout.goal_mask[cells]
    patterns = [tuple(w) for w in _walls(layout, cells)]
    classes = list(dict.fromkeys(p for p, g in zip(patterns, goal) if not g))  # first appearance
    O1 = np.zeros((len(cells), len(classes) + 1))
    for s, (p, g) in enumerate(zip(patterns, goal)):
        O1[s, len(classes) if g else classes.index(p)] = 1.0
    reward = np.zeros((4, len(cells), len(cells), 1))
    reward[:, :, goal] = 1.0
    return _grid_model(
        layout, cells, (0, 2, 1, 3), 0.0, _uniform_over(~goal), goal, O1, reward, ("N", "S", "E", "W"), "cheese", 0.95
    )


def four_by_three() -> MazePOMDP:
    """Russell & Norvig's 4x3 world: 11 states, n s e w (0.8 intended, 0.1 each side), two wall
    detectors (west, east) giving left/right/neither/both, and good (+1) / bad (-1) cells.
    Reproduces Cassandra's ``4x3.95`` file, including its one irregular row (below)."""
    layout = parse_layout(_MAPS["4x3"], name="4x3")
    cells = _free_cells(layout)
    good, bad = cells == layout.index((0, 3)), cells == layout.index((1, 3))
    goal = good | bad
    walls = _walls(layout, cells)
    west, east = walls[:, 3], walls[:, 1]
    O1 = np.zeros((len(cells), 6))
    O1[np.arange(len(cells)), np.select([west & ~east, east & ~west, ~west & ~east], [0, 1, 2], 3)] = 1.0
    O1[good] = np.eye(6)[4]
    O1[bad] = np.eye(6)[5]
    state_reward = np.where(good, 1.0, np.where(bad, -1.0, -0.04))
    reward = np.broadcast_to(state_reward[None, :, None, None], (4, len(cells), len(cells), 1)).copy()
    maze = _grid_model(
        layout, cells, (0, 2, 1, 3), 0.2, _uniform_over(~goal), goal, O1, reward, ("n", "s", "e", "w"), "4x3", 0.95
    )
    # Cassandra's file (the ground truth of every published 4x3 number, V*(b0) = 1.890) sends the
    # southward slip of "e" in state 9 to state 8 instead of bumping into the wall and staying.
    T = maze.model.T
    T[2, 9, 9] -= 0.1
    T[2, 9, 8] += 0.1
    return maze


def wall_sensor_pomdp(
    layout: Layout,
    sensor_noise: tuple[float, float] = HALLWAY_SENSOR_NOISE,
    slip: float = 0.0,
    start: str = "uniform",
    goal_reward: float = 1.0,
    gamma: float = 0.95,
) -> MazePOMDP:
    """Any GridMaze layout, partially observable: the agent senses the walls of its four
    neighbours (o = 8 up + 4 right + 2 down + left, each sensor wrong with the probabilities
    ``sensor_noise = (miss, false_alarm)``), and a goal observation (o16) in a goal.

    ``start="uniform"`` starts anywhere but a goal (the classic setting), ``"layout"`` at ``S``.
    """
    miss, false_alarm = sensor_noise
    for p, what in ((miss, "miss"), (false_alarm, "false_alarm"), (slip, "slip")):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{what} must be a probability in [0, 1], got {p}")
    cells = _free_cells(layout)
    goal = layout.goal_mask[cells]
    if start == "uniform":
        b0 = _uniform_over(~goal)
    elif start == "layout":
        b0 = (cells == layout.start_index).astype(float)
    else:
        raise ValueError(f"start must be 'uniform' or 'layout', got {start!r}")
    O1 = np.zeros((len(cells), 17))
    O1[:, :16] = wall_sensor_probabilities(_walls(layout, cells), miss, false_alarm)
    O1[goal] = np.eye(17)[16]
    reward = np.zeros((4, len(cells), len(cells), 1))
    reward[:, :, goal] = goal_reward
    return _grid_model(layout, cells, range(4), slip, b0, goal, O1, reward, GRID_ACTIONS, layout.name, gamma)


CLASSIC = {"hallway": hallway, "hallway2": hallway2, "cheese": cheese, "4x3": four_by_three}
