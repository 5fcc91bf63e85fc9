"""Dynamic programming on a state grid for the small continuous-control tasks, and the two bounds
it yields on their optimal return.

A task's :class:`ControlProblem` states it as dynamic programming sees it: the task's own
``transition`` on a batch of states and actions, a grid over its state space, a grid of
actions, a quadrature of its step noise and of its start distribution.  Returns are written
with a per-step cost ``c = r̄ - r >= 0`` (``r̄`` a bound on the reward of a step; after an
episode ends, a step pays 0, i.e. costs ``r̄``): over a horizon of ``T`` steps the return is
``T r̄ - J``, where ``J`` is the total cost.

* :func:`value_iteration`: semi-Lagrangian value iteration (the successor's value by multilinear
  interpolation of the grid values; Bardi & Capuzzo-Dolcetta 1997, Appendix A; Munos & Moore 2002)
  on the undiscounted total cost.  Its value is an estimate, not a bound: interpolation errs to
  both sides.
* :class:`GreedyPolicy`: the one-step look-ahead policy of a value function.  Its return,
  measured in the real environment (:func:`measure_returns`), is the return of an actual
  policy, so it is *achievable*: a lower bound on the optimum (up to the Monte Carlo interval).
* :func:`cost_lower_bound`: a certified lower bound on the optimal cost, hence an upper bound
  on the optimal return.  The state space is cut into cells; a task encloses, in boxes, every
  successor of every state of a cell under every action of a piece of the action set (and of
  a piece of its noise), with a lower bound of the step's cost there.  The abstract Bellman
  operator ``L(C) = min_pieces Σ_noise p [c_low + min_{C' meets the box} L(C')]`` lets the
  controller pick the most favourable state of each cell, so by induction from ``L = 0`` its
  ``k``-th iterate lies below the ``k``-step optimal cost of every state of the cell, and,
  the costs being non-negative, below the ``T``-step one for ``k <= T`` (Junge & Osinga 2004:
  the shortest path on the graph of cells bounds the optimal cost from below; here with noise
  and a finite horizon).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numba import njit

from .core import Task, VectorEnv

#: Bumped when a change of this module changes the numbers it produces (cached references name it).
SOLVER_VERSION = 1
#: value iteration keeps the located successors of every node and action when there are at most this many
MAX_CACHED_SUCCESSORS = 30_000_000
#: the two-sided 99 % point of the normal distribution
Z99 = 2.5758293035489004


# -- grids and interpolation ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Box:
    """The box ``[low, high]`` (a period ``[low, high)`` along a ``periodic`` axis) and ``shape``
    points or cells along its axes: what the value iteration's grid and the bound's cells share."""

    low: tuple[float, ...]
    high: tuple[float, ...]
    shape: tuple[int, ...]
    periodic: tuple[bool, ...]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class Grid(_Box):
    """Nodes on the box ``[low, high]`` (per axis ``shape[d]`` nodes, ends included), or on a
    period ``[low, high)`` (``periodic[d]``: ``shape[d]`` nodes, the end is the first node again).

    Values on the grid are arrays of ``shape``; between the nodes they are interpolated
    multilinearly, and outside the box the nearest point of the box is taken."""

    @property
    def spacing(self) -> np.ndarray:
        cells = np.array(self.shape) - ~np.array(self.periodic)
        return (np.array(self.high) - np.array(self.low)) / cells

    def axes(self) -> list[np.ndarray]:
        """The nodes' coordinates along each axis."""
        return [lo + h * np.arange(n) for lo, h, n in zip(self.low, self.spacing, self.shape)]

    def nodes(self) -> np.ndarray:
        """Every node, ``(size, ndim)``, in C order of ``shape``."""
        return np.stack(np.meshgrid(*self.axes(), indexing="ij"), axis=-1).reshape(-1, self.ndim)

    @property
    def _padded(self) -> tuple[int, ...]:
        # a periodic axis repeats its first node at the end, so that a cell's upper corner exists
        return tuple(n + p for n, p in zip(self.shape, self.periodic))

    def pad(self, values: np.ndarray) -> np.ndarray:
        """Grid values (``size`` of them) flattened in the padded layout that :meth:`locate` indexes."""
        v = values.reshape(self.shape)
        for d, p in enumerate(self.periodic):
            if p:
                v = np.concatenate([v, np.take(v, [0], axis=d)], axis=d)
        return v.ravel()

    def locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For points ``x`` ``(n, ndim)``: the padded flat index of the lower corner of each one's
        cell ``(n,)`` int32 and its fractional position in the cell ``(n, ndim)`` float32."""
        strides = np.cumprod((1,) + self._padded[:0:-1])[::-1]
        base = np.zeros(len(x), dtype=np.int64)
        frac = np.empty(x.shape, dtype=np.float32)
        for d, (lo, h, n, p) in enumerate(zip(self.low, self.spacing, self.shape, self.periodic)):
            t = (x[:, d] - lo) / h
            t = np.mod(t, n) if p else np.clip(t, 0.0, n - 1)
            i = np.minimum(np.floor(t), n - 1 - (not p)).astype(np.int64)
            frac[:, d] = t - i
            base += i * strides[d]
        return base.astype(np.int32), frac

    def corner_offsets(self) -> list[tuple[tuple[int, ...], int]]:
        """The ``2**ndim`` corners of a cell: their bits and padded flat offsets from the lower one."""
        strides = np.cumprod((1,) + self._padded[:0:-1])[::-1]
        return [(bits, int(np.dot(bits, strides))) for bits in itertools.product((0, 1), repeat=self.ndim)]

    def interpolate(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The multilinear interpolant of the grid ``values`` at the points ``x`` ``(n, ndim)``."""
        base, frac = self.locate(np.asarray(x, dtype=np.float64).reshape(-1, self.ndim))
        return _combine(self.pad(values), base, frac, self.corner_offsets())


def _combine(padded: np.ndarray, base: np.ndarray, frac: np.ndarray, corners) -> np.ndarray:
    out = np.zeros(len(base))
    frac = frac.astype(np.float64)  # (1 - f in float32 would round the weights)
    for bits, offset in corners:
        weight = np.ones(len(base))
        for d, b in enumerate(bits):
            weight *= frac[:, d] if b else 1.0 - frac[:, d]
        out += weight * padded[base + offset]
    return out


@dataclass(frozen=True)
class Cells(_Box):
    """The box ``[low, high]`` (or a period ``[low, high)`` along a ``periodic`` axis) cut into
    ``shape`` equal closed cells, numbered in C order: the certified bound's partition."""

    @property
    def spacing(self) -> np.ndarray:
        return (np.array(self.high) - np.array(self.low)) / np.array(self.shape)

    def lows(self) -> np.ndarray:
        """Every cell's lower corner, ``(size, ndim)``."""
        axes = [lo + h * np.arange(n) for lo, h, n in zip(self.low, self.spacing, self.shape)]
        return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, self.ndim)

    def containing(self, x: np.ndarray) -> np.ndarray:
        """The index of a cell that holds each point ``x`` ``(n, ndim)`` (of the two or four that
        do, on a boundary, the upper)."""
        n = np.array(self.shape)
        i = np.floor((np.asarray(x, dtype=np.float64) - np.array(self.low)) / self.spacing).astype(np.int64)
        i = np.where(self.periodic, np.mod(i, n), np.clip(i, 0, n - 1))
        return np.asarray(np.ravel_multi_index(tuple(i.T), self.shape))


def point_weights(cells: Cells, x: np.ndarray) -> np.ndarray:
    """A start distribution concentrated at the point ``x`` as weights on the cells."""
    w = np.zeros(cells.size)
    w[cells.containing(np.asarray(x, dtype=np.float64).reshape(1, -1))[0]] = 1.0
    return w


def cos_range(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest ``cos`` over each interval ``[low, high]`` (exact: an interval holding
    a multiple of 2π reaches 1, one holding an odd multiple of π reaches -1)."""
    lo, hi = np.cos(low), np.cos(high)
    top = np.floor(high / (2 * math.pi)) * 2 * math.pi >= low
    bottom = np.floor((high - math.pi) / (2 * math.pi)) * 2 * math.pi + math.pi >= low
    return np.where(bottom, -1.0, np.minimum(lo, hi)), np.where(top, 1.0, np.maximum(lo, hi))


def box_quadrature(
    low: tuple[float, ...], high: tuple[float, ...], shape: tuple[int, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """The midpoint rule for the uniform distribution on the box ``[low, high]``: ``shape``
    points and equal weights."""
    cells = Cells(low, high, shape, (False,) * len(shape))
    return cells.lows() + cells.spacing / 2, np.full(cells.size, 1.0 / cells.size)


def interval_actions(bound: float, actions: int, pieces: int) -> tuple[np.ndarray, np.ndarray]:
    """A one-dimensional action box ``[-bound, bound]`` as a :class:`ControlProblem` takes it:
    ``actions`` evenly spaced values ``(actions, 1)`` for value iteration, and ``pieces`` equal
    intervals ``(pieces, 2, 1)`` (each row its low and high end) for the certified bound."""
    edges = np.linspace(-bound, bound, pieces + 1)
    return np.linspace(-bound, bound, actions)[:, None], np.stack([edges[:-1], edges[1:]], axis=1)[:, :, None]


def line_quadrature(low: float, high: float, n: int, axis: int, fixed: list[float]) -> tuple[np.ndarray, np.ndarray]:
    """The midpoint rule for a start uniform in ``[low, high]`` along ``axis`` (``n`` points),
    the other coordinates at ``fixed`` (in order)."""
    x = low + (high - low) * (np.arange(n) + 0.5) / n
    rest = np.broadcast_to(np.array(fixed, dtype=np.float64), (n, len(fixed)))
    return np.insert(rest, axis, x, axis=1), np.full(n, 1.0 / n)


def line_weights(cells: Cells, axis: int, fixed: list[float]) -> np.ndarray:
    """A start uniform along the whole of ``axis`` (which cells cut into equal parts), the other
    coordinates at ``fixed``, as weights on the cells: the row of cells that holds the line,
    evenly."""
    n = cells.shape[axis]
    x = np.insert(np.array(fixed, dtype=np.float64), axis, cells.low[axis] + cells.spacing[axis] / 2)
    row = cells.containing(
        np.repeat(x[None], n, axis=0) + np.outer(np.arange(n), np.eye(cells.ndim)[axis] * cells.spacing[axis])
    )
    w = np.zeros(cells.size)
    w[row] = 1.0 / n
    return w


#: outward rounding of an enclosure's bounds: far above the float64 error of one step of these tasks
ROUNDING = 1e-9


# -- the problem a task states --------------------------------------------------------------------


@dataclass(frozen=True)
class Enclosure:
    """What a task guarantees about one step from every state of a batch of cells under every
    action of one action piece and every noise of one noise piece: the successors lie in the
    union of ``boxes`` (pairs ``(low, high)`` of ``(n, ndim)`` arrays, each with a bool mask
    ``(n,)`` of the cells where it applies), the step costs at least ``cost_low`` ``(n,)``, and
    where ``may_end`` ``(n,)`` the episode may end on this step.  A box may leave the grid along
    an axis that is not periodic: then nothing is known of what follows (a cost of 0)."""

    boxes: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    cost_low: np.ndarray
    may_end: np.ndarray


@dataclass(frozen=True)
class ControlProblem:
    """A task as dynamic programming sees it.

    * ``step(states, actions, noise)``: the task's own transition on a batch of DP states
      ``(n, ndim)`` and actions ``(n, action_dim)`` (``noise`` ``(n, noise_dim)`` or None):
      ``(next states, rewards, terminated)``, the next states in the grid's coordinates.
    * ``grid``: the value-iteration grid; ``actions`` ``(K, action_dim)``: the action grid over
      which the DP and its greedy policy choose, as ``step`` takes them; ``env_actions`` the
      same actions as the environment takes them (None: as ``actions``; a Discrete space's
      index for each row).
    * ``noise``: quadrature nodes ``(Q, noise_dim)`` and weights ``(Q,)`` of the step noise, or
      None for a deterministic task.
    * ``reward_bound``: ``r̄ >= `` every step's reward (0 for a task that ends, whose rewards are
      ``<= 0``); ``horizon``: the episode's step limit ``T``.
    * ``start``: quadrature nodes ``(P, ndim)`` and weights ``(P,)`` of the start distribution.
    * For the certified bound (optional): ``cells`` (a :class:`Cells` partition of the state space),
      ``action_pieces`` ``(J, 2, action_dim)`` covering the action set, ``noise_pieces``
      ``(M, 2, noise_dim)`` with probabilities ``(M,)`` (None: deterministic), ``enclose(low,
      high, a_low, a_high, n_low, n_high) -> Enclosure`` for a batch of cells, the start
      distribution's weight on each cell ``start_cells`` (``(cells.size,)``, summing to 1: a cell
      that holds a start state may carry its weight), and ``end_cost(k)``: a lower bound of the
      cost of ``k`` remaining steps when the episode ends in a way the abstraction does not
      track (None: none).
    """

    step: Callable[[np.ndarray, np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray, np.ndarray]]
    grid: Grid
    actions: np.ndarray
    reward_bound: float
    horizon: int
    start: tuple[np.ndarray, np.ndarray]
    noise: tuple[np.ndarray, np.ndarray] | None = None
    cells: Cells | None = None
    action_pieces: np.ndarray | None = None
    noise_pieces: tuple[np.ndarray, np.ndarray] | None = None
    enclose: Callable[..., Enclosure] | None = None
    start_cells: np.ndarray | None = None
    end_cost: Callable[[int], float] | None = None
    env_actions: np.ndarray | None = None

    def returns_from_costs(self, cost: np.ndarray | float) -> np.ndarray | float:
        """The return ``T r̄ - J`` of a total cost ``J``."""
        return self.horizon * self.reward_bound - cost


def _noise_nodes(problem: ControlProblem) -> tuple[list[np.ndarray | None], np.ndarray]:
    if problem.noise is None:
        return [None], np.ones(1)
    nodes, weights = problem.noise
    return [nodes[q] for q in range(len(weights))], np.asarray(weights, dtype=np.float64)


def expected_step(
    problem: ControlProblem, states: np.ndarray, action: np.ndarray
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """For one action at every state: the expected cost ``(n,)`` and, per noise node, the
    successors located on the grid ``(base, frac)`` with the weight of their continuation
    (the node's weight, 0 where the episode ends)."""
    nodes, weights = _noise_nodes(problem)
    n = len(states)
    cost = np.zeros(n)
    parts = []
    for node, w in zip(nodes, weights):
        noise = None if node is None else np.broadcast_to(node, (n, len(node)))
        nxt, reward, ended = problem.step(states, np.broadcast_to(action, (n, len(action))), noise)
        cost += w * (problem.reward_bound - reward)
        base, frac = problem.grid.locate(nxt)
        parts.append((base, frac, np.where(ended, 0.0, w).astype(np.float32)))
    return cost, parts


# -- value iteration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ValueFunction:
    """The total cost ``J`` on ``problem.grid`` that :func:`value_iteration` converged to."""

    problem: ControlProblem
    J: np.ndarray
    sweeps: int
    residual: float

    def cost(self, x: np.ndarray) -> np.ndarray:
        return self.problem.grid.interpolate(self.J, x)

    def start_return(self) -> float:
        """The DP's estimate of the expected return from the start distribution."""
        points, weights = self.problem.start
        return float(self.problem.returns_from_costs(weights @ self.cost(points)))


def value_iteration(problem: ControlProblem, tol: float = 1e-6, max_sweeps: int = 20_000) -> ValueFunction:
    """Semi-Lagrangian value iteration on the undiscounted total cost from ``J = 0``:
    ``J(x) <- min_a E[c(x, a) + I[J](x')]`` at every node ``x`` (``I`` the interpolant; no
    continuation where the episode ends), until no node changes by more than ``tol``.

    With costs ``>= 0`` and ``J`` starting at 0 the sweeps increase ``J`` monotonically towards
    the optimal cost of the grid's problem (Bertsekas 2012, Vol. II, chs. 3-4: value iteration
    from below for non-negative costs)."""
    grid = problem.grid
    states = grid.nodes()
    n_noise = 1 if problem.noise is None else len(problem.noise[1])
    corners = grid.corner_offsets()
    offsets = np.array([offset for _, offset in corners], dtype=np.int64)
    bits = np.array([b for b, _ in corners], dtype=np.bool_)
    # The successors of every node under every action, located once when they fit in memory
    # (16 bytes each) and swept by a compiled loop, else located again at every sweep
    cached = grid.size * len(problem.actions) * n_noise <= MAX_CACHED_SUCCESSORS
    if cached:
        steps = [expected_step(problem, states, a) for a in problem.actions]
        cost = np.stack([c for c, _ in steps])
        base = np.stack([np.stack([b for b, _, _ in parts]) for _, parts in steps])
        frac = np.stack([np.stack([f for _, f, _ in parts]) for _, parts in steps])
        cont = np.stack([np.stack([w for _, _, w in parts]) for _, parts in steps])
        del steps
    J = np.zeros(grid.size)
    residual = math.inf
    for sweep in range(1, max_sweeps + 1):
        padded = grid.pad(J)
        if cached:
            new = np.empty(grid.size)
            _sweep(padded, base, frac, cont, cost, offsets, bits, new)
        else:
            new = np.full(grid.size, math.inf)
            for a in problem.actions:
                q, parts = expected_step(problem, states, a)
                for b, f, w in parts:
                    q += w * _combine(padded, b, f, corners)
                np.minimum(new, q, out=new)
        residual = float(np.max(np.abs(new - J)))
        J = new
        if residual < tol:
            return ValueFunction(problem, J, sweep, residual)
    return ValueFunction(problem, J, max_sweeps, residual)


@njit(cache=True)
def _sweep(padded, base, frac, cont, cost, offsets, bits, out):
    """One sweep over every node ``n``: ``out[n] = min_k cost[k, n] + Σ_q cont[k, q, n] I[J]``, the
    interpolation as :func:`_combine` does it (the successors of action ``k`` and noise node ``q``
    located by ``base``, ``frac``)."""
    n_actions, n_noise, n_nodes = base.shape
    ndim = frac.shape[3]
    for n in range(n_nodes):
        best = np.inf
        for k in range(n_actions):
            q = cost[k, n]
            for j in range(n_noise):
                w = cont[k, j, n]
                if w == 0.0:
                    continue
                acc = 0.0
                for c in range(offsets.shape[0]):
                    weight = 1.0
                    for d in range(ndim):
                        f = np.float64(frac[k, j, n, d])
                        weight *= f if bits[c, d] else 1.0 - f
                    acc += weight * padded[base[k, j, n] + offsets[c]]
                q += w * acc
            if q < best:
                best = q
        out[n] = best


class GreedyPolicy:
    """The one-step look-ahead policy of a value function: at ``x`` the action of the grid that
    minimises ``E[c(x, a) + I[J](x')]`` (the first of equals).  It reads observations, which are
    the DP's states for every task here."""

    def __init__(self, value: ValueFunction):
        self.value = value
        self._padded = value.problem.grid.pad(value.J)
        self._corners = value.problem.grid.corner_offsets()

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        problem = self.value.problem
        x = np.asarray(obs, dtype=np.float64).reshape(-1, problem.grid.ndim)
        best = np.full(len(x), math.inf)
        choice = np.zeros(len(x), dtype=np.int64)
        for k, a in enumerate(problem.actions):
            q, parts = expected_step(problem, x, a)
            for base, frac, cont in parts:
                q += cont * _combine(self._padded, base, frac, self._corners)
            better = q < best
            best = np.where(better, q, best)
            choice = np.where(better, k, choice)
        return (problem.actions if problem.env_actions is None else problem.env_actions)[choice]


# -- Monte Carlo in the real environment ----------------------------------------------------------


def measure_returns(
    task: Task, policy: Callable[[np.ndarray], np.ndarray], episodes: int, seed: int, batch: int = 10_000
) -> np.ndarray:
    """The undiscounted returns of ``episodes`` episodes of ``policy`` (observations ``(n, ...)``
    to actions) in the task's vector env (:class:`rl_envs.core.VectorEnv`), ``batch`` at a time,
    from the documented start distribution; each sub-env's first episode counts."""
    returns = []
    for b, start in enumerate(range(0, episodes, batch)):
        n = min(batch, episodes - start)
        env = VectorEnv.from_task(task, n)
        obs, _ = env.reset(seed=seed + b)
        total, running = np.zeros(n), np.ones(n, dtype=bool)
        while running.any():
            obs, reward, terminated, truncated, _ = env.step(policy(obs))
            total += np.where(running, reward, 0.0)
            running &= ~(terminated | truncated)
        env.close()
        returns.append(total)
    return np.concatenate(returns)


def uniform_random_policy(task: Task, seed: int) -> Callable[[np.ndarray], np.ndarray]:
    """Actions drawn uniformly from the task's action space (a Box or a Discrete), from their own
    stream seeded ``seed``."""
    from gymnasium import spaces

    rng = np.random.default_rng(seed)
    space = task.action_space
    if isinstance(space, spaces.Discrete):
        return lambda obs: rng.integers(int(space.n), size=len(obs))
    assert isinstance(space, spaces.Box)
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    return lambda obs: rng.uniform(low, high, size=(len(obs), *space.shape))


def mean_interval(samples: np.ndarray) -> tuple[float, float, float]:
    """``(mean, low, high)``: the sample mean and its two-sided 99 % normal interval (the central
    limit theorem; ``low == high == mean`` when every sample is the same)."""
    mean = float(np.mean(samples))
    half = Z99 * float(np.std(samples, ddof=1)) / math.sqrt(len(samples)) if len(samples) > 1 else 0.0
    return mean, mean - half, mean + half


# -- the certified bound: a conservative abstraction ---------------------------------------------


class SparseTable:
    """Minima of a grid of values over boxes of cells in ``2**ndim`` look-ups each:
    ``table[l][i]`` is the minimum over the ``2**l[d]`` cells from ``i[d]`` along every axis ``d``,
    and a box of width ``w`` is covered by the tables of level ``floor(log2 w)`` from both its
    ends.  A periodic axis is tiled twice, so that a box may run over its end."""

    def __init__(self, shape: tuple[int, ...], periodic: tuple[bool, ...]):
        self.tiled = tuple(n * (2 if p else 1) for n, p in zip(shape, periodic))
        self.periodic = periodic
        self.top = [0] * len(shape)  # the highest level :meth:`plan` has used, per axis

    def table_shape(self, level: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(n - (1 << lv) + 1 for n, lv in zip(self.tiled, level))

    def plan(self, first: np.ndarray, width: np.ndarray) -> list[tuple[tuple[int, ...], np.ndarray, list[np.ndarray]]]:
        """For boxes ``[first, first + width)`` (``(n, ndim)``, inside the tiled grid): groups
        ``(level, rows, flat indices into that level's table, one array per corner)``."""
        level = np.floor(np.log2(np.maximum(width, 1))).astype(np.int64)
        key = np.zeros(len(first), dtype=np.int64)
        for d in range(first.shape[1]):
            key = key * 64 + level[:, d]
        groups = []
        for k in np.unique(key):
            rows = np.flatnonzero(key == k)
            lv = tuple(int(x) for x in level[rows[0]])
            self.top = [max(t, x) for t, x in zip(self.top, lv)]
            span = np.array([1 << x for x in lv])
            shape = self.table_shape(lv)
            flat = []
            for far in itertools.product((0, 1), repeat=len(lv)):
                index = first[rows] + np.array(far) * (width[rows] - span)
                flat.append(np.ravel_multi_index(tuple(index.T), shape).astype(np.int32))
            groups.append((lv, rows.astype(np.int32), flat))
        return groups

    def build(self, values: np.ndarray) -> dict[tuple[int, ...], np.ndarray]:
        """The tables of ``values`` (of the grid's shape), flattened, by level."""
        v = values
        for d, p in enumerate(self.periodic):
            if p:
                v = np.concatenate([v, v], axis=d)
        tables: dict[tuple[int, ...], np.ndarray] = {}
        for lv in itertools.product(*(range(t + 1) for t in self.top)):
            if not any(lv):
                tables[lv] = v
                continue
            d = next(i for i, x in enumerate(lv) if x)  # from the level below along the first raised axis
            below = tables[lv[:d] + (lv[d] - 1,) + lv[d + 1 :]]
            half, n = 1 << (lv[d] - 1), self.table_shape(lv)[d]
            tables[lv] = np.minimum(
                np.take(below, np.arange(n), axis=d), np.take(below, np.arange(half, half + n), axis=d)
            )
        return {lv: t.ravel() for lv, t in tables.items()}


@dataclass(frozen=True)
class CostBound:
    """The certified lower bound of :func:`cost_lower_bound`: per cell of ``problem.cells`` the
    ``iterations``-step bound ``L``, and its average over the start distribution."""

    problem: ControlProblem
    L: np.ndarray
    iterations: int
    converged: bool

    def start_cost(self) -> float:
        assert self.problem.start_cells is not None and self.problem.cells is not None
        return float(self.problem.start_cells @ self.L)

    def start_return(self) -> float:
        """An upper bound of the optimal expected return from the start distribution."""
        return float(self.problem.returns_from_costs(self.start_cost()))


def _index_boxes(cells: Cells, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells a box meets (closed cells, closed box, with a margin of a millionth of a cell):
    their first index and count per axis, and whether the box leaves a non-periodic domain."""
    h, lo, hi = cells.spacing, np.array(cells.low), np.array(cells.high)
    a = np.floor((low - lo) / h - 1e-6).astype(np.int64)
    b = np.floor((high - lo) / h + 1e-6).astype(np.int64)
    n = np.array(cells.shape)
    periodic = np.array(cells.periodic)
    leaves = ((low < lo - 1e-6 * h) | (high > hi + 1e-6 * h)) & ~periodic
    first = np.where(periodic, np.mod(a, n), np.clip(a, 0, n - 1))
    last = np.where(periodic, first + np.minimum(b - a, n - 1), np.clip(b, 0, n - 1))
    return first, last - first + 1, np.asarray(leaves.any(axis=1))


def cost_lower_bound(problem: ControlProblem, max_iterations: int | None = None) -> CostBound:
    """The conservative abstraction's iterates ``L_k`` (see the module docstring) from ``L_0 = 0``
    on ``problem.cells``, for ``k`` up to the horizon ``T`` or until they stop changing
    (then ``L_k = L_T``).  ``L_k(C)`` is at most the ``T``-step optimal expected cost of every
    state of ``C``.

    Each piece ``(j, m)`` gives ``c_low + (0 if the episode may end or a box leaves the grid,
    else the least L over the boxes' cells)``; ``L(C)`` is the least over the action pieces ``j``
    of the sum over the noise pieces ``m`` weighted by their probabilities, and then at most
    ``end_cost(k)``."""
    assert problem.cells is not None and problem.enclose is not None and problem.action_pieces is not None
    cells = problem.cells
    lows = cells.lows()
    highs = lows + cells.spacing
    if problem.noise_pieces is None:
        noise_pieces, probs = [(None, None)], np.ones(1)
    else:
        pieces, probs = problem.noise_pieces
        noise_pieces = [(p[0], p[1]) for p in pieces]
    # The pieces' boxes as look-ups of the sparse table, planned once (they do not depend on L)
    table = SparseTable(cells.shape, cells.periodic)
    plan = []
    for a_low, a_high in problem.action_pieces:
        terms = []
        for (n_low, n_high), p in zip(noise_pieces, probs):
            enc = problem.enclose(lows, highs, a_low, a_high, n_low, n_high)
            free = enc.may_end.copy()  # where no continuation is known: 0
            located = []
            for low, high, valid in enc.boxes:
                first, width, leaves = _index_boxes(cells, low, high)
                free |= valid & leaves
                located.append((first, width, valid))
            looked_up = []
            for first, width, valid in located:
                rows = np.flatnonzero(valid & ~free)
                looked_up.append((rows.astype(np.int32), table.plan(first[rows], width[rows])))
            terms.append((float(p), enc.cost_low.astype(np.float64), free, looked_up))
        plan.append(terms)
    horizon = problem.horizon if max_iterations is None else min(problem.horizon, max_iterations)
    L = np.zeros(cells.size)
    converged = False
    k = 0
    for k in range(1, horizon + 1):
        tables = table.build(L.reshape(cells.shape))
        new = np.full(cells.size, math.inf)
        for terms in plan:
            total = np.zeros(cells.size)
            for p, cost_low, free, looked_up in terms:
                follow = np.full(cells.size, math.inf)
                for rows, groups in looked_up:
                    for lv, sub, flat in groups:
                        t = tables[lv]
                        best = t[flat[0]]
                        for f in flat[1:]:
                            best = np.minimum(best, t[f])
                        follow[rows[sub]] = np.minimum(follow[rows[sub]], best)
                total += p * (cost_low + np.where(free, 0.0, follow))
            np.minimum(new, total, out=new)
        if problem.end_cost is not None:
            np.minimum(new, problem.end_cost(k), out=new)
        new = np.maximum(new, L)  # the iterates rise; this only removes rounding
        if np.array_equal(new, L) and (problem.end_cost is None or problem.end_cost(k) > new.max()):
            converged = True
            break
        L = new
    return CostBound(problem, L, k, converged)
