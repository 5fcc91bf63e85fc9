"""Maze layouts: a plain-text format you can write by hand, named layouts, seeded random mazes.

Two text formats are accepted; the first non-blank line decides which.

*Cell format* -- one character per cell::

    .......#G
    ..#....#.
    S.#....#.

*Wall format* -- cells sit at odd (row, column) positions of a ``(2H+1) x (2W+1)``
character grid; the characters between them are thin walls (``|`` and ``-``) or openings
(a space), and ``+`` marks the corners; the outer border must be closed (all ``|`` and ``-``).
A 2x2 maze whose start and goal are walled apart, so the path goes round::

    +-+-+
    |S  |
    +-+ +
    |G  |
    +-+-+

Cell characters (both formats): ``.`` or space free, ``S`` the start (exactly one),
``G`` a goal (one or more), ``#`` a blocked cell.  Moves off the grid, through a thin
wall or into a blocked cell leave the agent where it is.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np

from ..validation import is_int

# Actions in the book's order: up, right, down, left.
ACTION_NAMES = ("up", "right", "down", "left")
MOVES = np.array([(-1, 0), (0, 1), (1, 0), (0, -1)], dtype=np.int64)

_CELL_CHARS = {".": "free", " ": "free", "S": "start", "G": "goal", "#": "blocked"}
_CORNER_CHARS = set("+-| ")


class LayoutError(ValueError):
    """A layout text or argument that does not describe a valid maze."""


@dataclass(frozen=True, eq=False)
class Layout:
    """A rectangular maze.

    ``walls[r, c, a]`` is True when action ``a`` from cell ``(r, c)`` is stopped by a thin
    wall or the border (blocked cells are separate: ``blocked[r, c]``).
    """

    blocked: np.ndarray
    walls: np.ndarray
    start: tuple[int, int]
    goals: tuple[tuple[int, int], ...]
    name: str = "custom"
    next_cell: np.ndarray = field(init=False, repr=False)

    def __post_init__(self):
        h, w = self.blocked.shape
        if self.walls.shape != (h, w, 4):
            raise LayoutError(f"walls must have shape {(h, w, 4)}, got {self.walls.shape}")
        object.__setattr__(self, "next_cell", _next_cell_table(self.blocked, self.walls))
        for what, cells in (("start", [self.start]), ("goal", self.goals)):
            for r, c in cells:
                if self.blocked[r, c]:
                    raise LayoutError(f"the {what} cell {(r, c)} is blocked")
        dist = self.distances_from_start()
        if all(dist[self.index(g)] < 0 for g in self.goals):
            raise LayoutError(f"layout {self.name!r}: no goal is reachable from the start {self.start}")

    @property
    def shape(self) -> tuple[int, int]:
        return self.blocked.shape

    @property
    def n_cells(self) -> int:
        return self.blocked.size

    def index(self, cell: tuple[int, int]) -> int:
        return cell[0] * self.blocked.shape[1] + cell[1]

    def cell(self, index: int) -> tuple[int, int]:
        return divmod(int(index), self.blocked.shape[1])

    @property
    def start_index(self) -> int:
        return self.index(self.start)

    @property
    def goal_mask(self) -> np.ndarray:
        mask = np.zeros(self.n_cells, dtype=bool)
        mask[[self.index(g) for g in self.goals]] = True
        return mask

    def distances_from_start(self) -> np.ndarray:
        """Breadth-first move counts from the start to every cell (-1: unreachable)."""
        dist = np.full(self.n_cells, -1, dtype=np.int64)
        frontier = [self.start_index]
        dist[frontier[0]] = 0
        while frontier:
            nxt = []
            for s in frontier:
                for s2 in self.next_cell[s]:
                    if dist[s2] < 0:
                        dist[s2] = dist[s] + 1
                        nxt.append(int(s2))
            frontier = nxt
        return dist

    def to_text(self, agent: int | None = None) -> str:
        """The layout in wall format (round-trips through :func:`parse_layout`); the cell of
        index ``agent``, if given, is drawn as ``@`` (the ansi rendering of the maze)."""
        return "\n".join(_wall_grid(self, agent))


def _next_cell_table(blocked: np.ndarray, walls: np.ndarray) -> np.ndarray:
    """``next_cell[s, a]``: the cell index reached by action ``a`` from cell ``s``."""
    h, w = blocked.shape
    rows, cols = np.divmod(np.arange(h * w), w)
    table = np.empty((h * w, 4), dtype=np.int64)
    for a, (dr, dc) in enumerate(MOVES):
        r2 = np.clip(rows + dr, 0, h - 1)
        c2 = np.clip(cols + dc, 0, w - 1)
        stay = walls.reshape(-1, 4)[:, a] | blocked[r2, c2]
        table[:, a] = np.where(stay, rows * w + cols, r2 * w + c2)
    return table


def _border_walls(h: int, w: int) -> np.ndarray:
    walls = np.zeros((h, w, 4), dtype=bool)
    walls[0, :, 0] = walls[:, -1, 1] = walls[-1, :, 2] = walls[:, 0, 3] = True
    return walls


def _wall_grid(layout: Layout, agent: int | None = None) -> list[str]:
    h, w = layout.shape
    grid = [["+" if (i % 2 == 0 and j % 2 == 0) else " " for j in range(2 * w + 1)] for i in range(2 * h + 1)]
    goals = set(layout.goals)
    for r in range(h):
        for c in range(w):
            ch = "#" if layout.blocked[r, c] else "G" if (r, c) in goals else "S" if (r, c) == layout.start else " "
            if agent is not None and layout.index((r, c)) == agent:
                ch = "@"
            grid[2 * r + 1][2 * c + 1] = ch
            if layout.walls[r, c, 0]:
                grid[2 * r][2 * c + 1] = "-"
            if layout.walls[r, c, 1]:
                grid[2 * r + 1][2 * c + 2] = "|"
            if layout.walls[r, c, 2]:
                grid[2 * r + 2][2 * c + 1] = "-"
            if layout.walls[r, c, 3]:
                grid[2 * r + 1][2 * c] = "|"
    return ["".join(row) for row in grid]


def parse_layout(text: str, name: str = "custom") -> Layout:
    """Parse a layout in cell or wall format (see the module docstring)."""
    if not isinstance(text, str):
        raise LayoutError(f"a layout text must be a str, got {type(text).__name__}")
    lines = textwrap.dedent(text.strip("\n")).split("\n")
    lines = [ln.rstrip("\r") for ln in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines or not lines[0].strip():
        raise LayoutError(f"layout {name!r} is empty")
    width = len(lines[0])
    for i, ln in enumerate(lines):
        if len(ln) != width:
            raise LayoutError(
                f"layout {name!r}, line {i + 1}: ragged row of length {len(ln)} (line 1 has {width}); "
                "pad rows to equal length"
            )
    if lines[0].lstrip().startswith("+"):
        return _parse_wall_format(lines, name)
    return _parse_cell_format(lines, name)


def _classify(cells: list[tuple[int, int, str, int, int]], h: int, w: int, name: str):
    """cells: (row, col, char, line, column) for every cell; returns blocked, start, goals."""
    blocked = np.zeros((h, w), dtype=bool)
    starts, goals = [], []
    for r, c, ch, line, col in cells:
        kind = _CELL_CHARS.get(ch)
        if kind is None:
            raise LayoutError(
                f"layout {name!r}, line {line}, column {col}: unknown cell character {ch!r} "
                f"(allowed: {''.join(sorted(_CELL_CHARS))!r})"
            )
        if kind == "blocked":
            blocked[r, c] = True
        elif kind == "start":
            starts.append(((r, c), line, col))
        elif kind == "goal":
            goals.append((r, c))
    if not starts:
        raise LayoutError(f"layout {name!r} has no start cell 'S'")
    if len(starts) > 1:
        (_, line, col) = starts[1]
        raise LayoutError(f"layout {name!r}, line {line}, column {col}: a second start cell 'S' (exactly one allowed)")
    if not goals:
        raise LayoutError(f"layout {name!r} has no goal cell 'G'")
    return blocked, starts[0][0], tuple(goals)


def _parse_cell_format(lines: list[str], name: str) -> Layout:
    h, w = len(lines), len(lines[0])
    cells = [(r, c, ch, r + 1, c + 1) for r, ln in enumerate(lines) for c, ch in enumerate(ln)]
    blocked, start, goals = _classify(cells, h, w, name)
    return Layout(blocked, _border_walls(h, w), start, goals, name)


def _parse_wall_format(lines: list[str], name: str) -> Layout:
    nrows, ncols = len(lines), len(lines[0])
    if nrows < 3 or ncols < 3 or nrows % 2 == 0 or ncols % 2 == 0:
        raise LayoutError(
            f"layout {name!r}: a wall-format layout needs an odd number of lines and columns "
            f"(2H+1 by 2W+1), got {nrows} lines of {ncols} columns"
        )
    h, w = nrows // 2, ncols // 2
    walls = _border_walls(h, w)
    cells = []
    for i, ln in enumerate(lines):
        for j, ch in enumerate(ln):
            where = f"layout {name!r}, line {i + 1}, column {j + 1}"
            if i % 2 == 1 and j % 2 == 1:
                cells.append((i // 2, j // 2, ch, i + 1, j + 1))
            elif i % 2 == 0 and j % 2 == 0:
                if ch not in _CORNER_CHARS:
                    raise LayoutError(f"{where}: unknown corner character {ch!r} (use '+')")
            elif i % 2 == 0:  # between a cell and the one below it
                if ch not in "- " or (ch != "-" and i in (0, nrows - 1)):
                    raise LayoutError(f"{where}: {_wall_problem(ch, '-', i in (0, nrows - 1))}")
                if ch == "-" and 0 < i < nrows - 1:
                    walls[i // 2 - 1, j // 2, 2] = walls[i // 2, j // 2, 0] = True
            else:  # between a cell and the one to its right
                if ch not in "| " or (ch != "|" and j in (0, ncols - 1)):
                    raise LayoutError(f"{where}: {_wall_problem(ch, '|', j in (0, ncols - 1))}")
                if ch == "|" and 0 < j < ncols - 1:
                    walls[i // 2, j // 2 - 1, 1] = walls[i // 2, j // 2, 3] = True
    blocked, start, goals = _classify(cells, h, w, name)
    return Layout(blocked, walls, start, goals, name)


def _wall_problem(ch: str, wall: str, border: bool) -> str:
    if border:  # an open border would read as a wall anyway: say so rather than guess
        return f"the border must be closed: expected {wall!r} but found {ch!r}"
    return f"unknown wall character {ch!r} (use {wall!r} or a space)"


def random_maze(height: int, width: int, rng: np.random.Generator, name: str = "random") -> Layout:
    """A perfect maze (exactly one path between any two cells) by randomised depth-first search.

    Start top-left, goal bottom-right.  The same generator state gives the same maze.
    """
    for v, what in ((height, "height"), (width, "width")):
        if not is_int(v) or v < 1:
            raise LayoutError(f"random maze {what} must be a positive int, got {v!r}")
    if height * width < 2:
        raise LayoutError("a random maze needs at least two cells")
    walls = np.ones((height, width, 4), dtype=bool)
    seen = np.zeros((height, width), dtype=bool)
    stack = [(0, 0)]
    seen[0, 0] = True
    while stack:
        r, c = stack[-1]
        options = [
            a
            for a, (dr, dc) in enumerate(MOVES)
            if 0 <= r + dr < height and 0 <= c + dc < width and not seen[r + dr, c + dc]
        ]
        if not options:
            stack.pop()
            continue
        a = options[int(rng.integers(len(options)))]
        r2, c2 = r + MOVES[a, 0], c + MOVES[a, 1]
        walls[r, c, a] = walls[r2, c2, (a + 2) % 4] = False
        seen[r2, c2] = True
        stack.append((int(r2), int(c2)))
    return Layout(np.zeros((height, width), dtype=bool), walls, (0, 0), ((height - 1, width - 1),), name)


LAYOUTS: dict[str, str] = {
    # Ogawa (2018) §2.3: S0..S8 row by row; S1-S4, S4-S5, S5-S8 and S6-S7 are walled off.
    "book3x3": """
        +-+-+-+
        |S    |
        + +-+ +
        |   | |
        + + +-+
        | |  G|
        +-+-+-+
    """,
    # Sutton & Barto (2018), Figure 8.2.
    "dyna_maze": """
        .......#G
        ..#....#.
        S.#....#.
        ..#......
        .....#...
        .........
    """,
    # Sutton, Precup & Singh (1999): four rooms joined by four doorways.
    "four_rooms": """
        S....#.....
        .....#.....
        ...........
        .....#.....
        .....#.....
        #.####.....
        .....###.##
        .....#.....
        .....#.....
        ...........
        .....#....G
    """,
    # Four rooms (Sutton, Precup & Singh 1999) scaled to 10x10: a wall along row 4 and column 4,
    # one doorway in each of its four arms, start and goal in opposite corners.  Unlike maze10x10
    # it has loops: a uniformly random walk reaches the goal in 866 steps on average (maze10x10:
    # 9360), well within the 2500-step limit; the shortest path is 18 moves.
    "rooms10x10": """
        S...#.....
        ....#.....
        ..........
        ....#.....
        ##.###.###
        ....#.....
        ....#.....
        ..........
        ....#.....
        ....#....G
    """,
    # A perfect maze: random_maze(10, 10, np.random.default_rng(2018)), frozen as text.
    "maze10x10": """
        +-+-+-+-+-+-+-+-+-+-+
        |S          |       |
        +-+-+-+-+-+ +-+-+ + +
        |   |   | |   |   | |
        + + + + + +-+ + +-+ +
        | |   | |   |   |   |
        + +-+-+ +-+ +-+-+ +-+
        |   | |   |   | | | |
        + + + +-+ + + + + + +
        | | |   |   |   | | |
        + + +-+ +-+-+-+ + + +
        | |   |         | | |
        + +-+ +-+-+-+-+ + + +
        | | |   |     | |   |
        + + +-+ + +-+ +-+-+ +
        |   | | | | |       |
        +-+ + + + + +-+-+-+-+
        | | | |   |         |
        + + + +-+-+-+-+-+ + +
        |                 |G|
        +-+-+-+-+-+-+-+-+-+-+
    """,
}


def named_layouts() -> tuple[str, ...]:
    return tuple(LAYOUTS)


def _maze_size(size) -> tuple[int, int]:
    """``size`` (``n`` or ``(height, width)``, positive ints) as ``(height, width)``."""
    sizes = [size, size] if is_int(size) else list(size) if isinstance(size, (tuple, list)) else None
    if sizes is None or len(sizes) != 2 or not all(is_int(n) and n >= 1 for n in sizes):
        raise LayoutError(f"layout='random' needs size n or (height, width), positive ints; got {size!r}")
    return int(sizes[0]), int(sizes[1])


def get_layout(
    layout: str | Layout, size: int | tuple[int, int] | None = None, rng: np.random.Generator | None = None
) -> Layout:
    """Resolve a layout argument: a named layout, a layout text, ``"random"`` or a :class:`Layout`."""
    if isinstance(layout, Layout):
        return layout
    if not isinstance(layout, str):
        raise LayoutError(f"layout must be a name, a layout text or a Layout, got {type(layout).__name__}")
    if layout == "random":
        h, w = _maze_size(size)
        return random_maze(h, w, rng if rng is not None else np.random.default_rng())
    if layout in LAYOUTS:
        return parse_layout(LAYOUTS[layout], name=layout)
    if "\n" in layout or (set(layout) <= set(_CELL_CHARS) and "S" in layout):  # one-row text such as "S...G"
        return parse_layout(layout)
    if layout not in LAYOUTS:
        raise LayoutError(f"unknown layout {layout!r}; named layouts: {', '.join(LAYOUTS)}, or 'random'")
    return parse_layout(LAYOUTS[layout], name=layout)
