"""Dynamic programming for the continuous-control references (rl_envs.dp, rl_envs.dp_reference):
the solver against closed forms, the certified bound's enclosures against the tasks' own steps,
and the cached records against the tasks they were computed for."""

import math

import numpy as np
import pytest

from rl_envs import dp, dp_reference
from rl_envs.core import Reference
from rl_envs.mountain_car import MountainCarRLParkTask
from rl_envs.pendulum_swingup import PendulumSwingUpTask
from rl_envs.puddle_world import DISCRETE_CONTROLS, PuddleWorldTask
from rl_envs.swing_pendulum import SwingPendulumTask

TASKS = {cls.__name__: cls for cls in (MountainCarRLParkTask, SwingPendulumTask, PuddleWorldTask, PendulumSwingUpTask)}
GOLDEN = (1 + math.sqrt(5)) / 2


# -- the solver on a problem with a closed form ------------------------------------------------------


def scalar_lq(nodes: int, cells: int) -> dp.ControlProblem:
    """x' = x + u with cost x² + u² per step: the Riccati equation P = 1 + P - P²/(1 + P) gives
    the optimal cost P x² with P the golden ratio, and the optimal control -x/P."""

    def step(x, u, noise):
        return x + u, -(x[:, 0] ** 2 + u[:, 0] ** 2), np.zeros(len(x), dtype=bool)

    def least_square(low, high):
        return np.where((low <= 0) & (high >= 0), 0.0, np.minimum(low**2, high**2))

    def enclose(low, high, a_low, a_high, n_low, n_high):
        box = (low + a_low, high + a_high, np.ones(len(low), dtype=bool))
        cost = least_square(low[:, 0], high[:, 0]) + least_square(a_low[0], a_high[0])
        return dp.Enclosure([box], cost, np.zeros(len(low), dtype=bool))

    actions = np.linspace(-1.0, 1.0, 201)[:, None]
    partition = dp.Cells((-2.0,), (2.0,), (cells,), (False,))
    return dp.ControlProblem(
        step=step,
        grid=dp.Grid((-1.0,), (1.0,), (nodes,), (False,)),
        actions=actions,
        reward_bound=0.0,
        horizon=10**6,
        start=(np.array([[0.5]]), np.ones(1)),
        cells=partition,
        action_pieces=np.stack([actions[:-1], actions[1:]], axis=1),
        enclose=enclose,
        start_cells=dp.point_weights(partition, np.array([0.5])),
    )


def test_value_iteration_converges_to_the_riccati_cost_as_the_grid_refines():
    errors = []
    for nodes in (41, 81, 161):
        value = dp.value_iteration(scalar_lq(nodes, 40), tol=1e-12)
        x = value.problem.grid.nodes()[:, 0]
        errors.append(np.abs(value.J - GOLDEN * x**2).max())
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-3
    assert value.start_return() == pytest.approx(-GOLDEN * 0.25, abs=1e-3)
    # the greedy control is -x / P, to the action grid's spacing and the value's error
    x = np.array([[-0.8], [-0.3], [0.45], [0.9]])
    assert dp.GreedyPolicy(value)(x)[:, 0] == pytest.approx(-x[:, 0] / GOLDEN, abs=0.02)


def test_the_compiled_sweep_equals_the_numpy_one(monkeypatch):
    # (the compiled loop sweeps successors kept in memory; numpy, those located again each sweep)
    problem = PuddleWorldTask(variant="boyan-moore").dp_problem(nodes=21, actions=3)
    kept = dp.value_iteration(problem, tol=1e-9)
    monkeypatch.setattr(dp, "MAX_CACHED_SUCCESSORS", 0)
    again = dp.value_iteration(problem, tol=1e-9)
    assert kept.sweeps == again.sweeps and np.array_equal(kept.J, again.J)


def test_the_certified_bound_lies_below_the_optimal_cost_in_every_cell_and_tightens():
    starts = []
    for cells in (100, 400):
        bound = dp.cost_lower_bound(scalar_lq(41, cells), max_iterations=200)
        problem = bound.problem
        assert problem.cells is not None
        low = problem.cells.lows()[:, 0]
        high = low + problem.cells.spacing[0]
        nearest = np.where((low <= 0) & (high >= 0), 0.0, np.minimum(np.abs(low), np.abs(high)))
        assert np.all(bound.L <= GOLDEN * nearest**2 + 1e-12)  # below J* at the cell's best state
        starts.append(bound.start_cost())
    assert starts[0] < starts[1] <= GOLDEN * 0.25 and starts[1] > 0.9 * GOLDEN * 0.25


def test_interpolation_is_exact_for_bilinear_functions_and_wraps_a_periodic_axis():
    grid = dp.Grid((-1.0, 0.0), (2.0, 1.0), (7, 5), (False, False))
    nodes = grid.nodes()
    f = lambda x: 0.3 + 2 * x[:, 0] - x[:, 1] + 1.5 * x[:, 0] * x[:, 1]  # noqa: E731
    points = np.random.default_rng(0).uniform([-1, 0], [2, 1], size=(200, 2))
    assert grid.interpolate(f(nodes), points) == pytest.approx(f(points), abs=1e-6)
    ring = dp.Grid((-math.pi,), (math.pi,), (8,), (True,))
    values = np.arange(8.0)
    between_last_and_first = np.array([[math.pi - math.pi / 8], [-math.pi - math.pi / 8]])
    assert ring.interpolate(values, between_last_and_first) == pytest.approx([3.5, 3.5], abs=1e-6)


def test_sparse_table_minima_equal_brute_force_also_across_a_periodic_end():
    rng = np.random.default_rng(1)
    values = rng.normal(size=(9, 13))
    table = dp.SparseTable(values.shape, (True, False))
    first = np.stack([rng.integers(0, 9, 300), rng.integers(0, 13, 300)], axis=1)
    width = np.stack([rng.integers(1, 10, 300), rng.integers(1, 14, 300)], axis=1)
    width[:, 1] = np.minimum(width[:, 1], 13 - first[:, 1])
    plan = table.plan(first, width)
    tables = table.build(values)
    got = np.full(300, math.inf)
    for level, rows, flat in plan:
        got[rows] = np.min([tables[level][f] for f in flat], axis=0)
    tiled = np.concatenate([values, values], axis=0)
    want = [tiled[a : a + w, b : b + v].min() for (a, b), (w, v) in zip(first, width)]
    assert np.array_equal(got, want)


def test_cos_range_holds_every_sampled_cosine_and_reaches_the_extremes():
    rng = np.random.default_rng(2)
    low = rng.uniform(-10, 10, 500)
    high = low + rng.uniform(0, 4, 500)
    lo, hi = dp.cos_range(low, high)
    samples = np.cos(low[:, None] + (high - low)[:, None] * np.linspace(0, 1, 2001))
    assert np.all(lo <= samples.min(axis=1) + 1e-15) and np.all(hi >= samples.max(axis=1) - 1e-15)
    assert lo == pytest.approx(samples.min(axis=1), abs=1e-5) and hi == pytest.approx(samples.max(axis=1), abs=1e-5)


# -- the enclosures of the tasks' steps -------------------------------------------------------------


def inside(problem: dp.ControlProblem, x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    assert problem.cells is not None
    period = np.array(problem.cells.high) - np.array(problem.cells.low)
    periodic = np.array(problem.cells.periodic)
    offset = np.where(periodic, np.mod(x - low, period), x - low)
    return np.all((offset >= -1e-12) & (offset <= high - low + 1e-12), axis=1)


def in_pieces(rng, low: np.ndarray, high: np.ndarray, n: int) -> np.ndarray:
    """Points of a box, a quarter of them at its corners (an infinite end stands for far out)."""
    low, high = np.where(np.isinf(low), high - 1.0, low), np.where(np.isinf(high), low + 1.0, high)
    u = rng.uniform(size=(n, len(low)))
    corner = rng.uniform(size=n) < 0.25
    u[corner] = np.round(u[corner])
    return low + u * (high - low)


@pytest.mark.parametrize(
    "task, kwargs",
    [
        (MountainCarRLParkTask(start="fixed"), {"cells": (90, 70), "pieces": 4}),
        (MountainCarRLParkTask(goal_reward=-1.0), {"cells": (90, 70), "pieces": 2}),
        (SwingPendulumTask(), {"cells": (60, 80), "pieces": 4}),
        (PuddleWorldTask(), {"cells": 50, "pieces": 3, "noise_pieces": 2}),
        (PuddleWorldTask(variant="boyan-moore"), {"cells": 50, "pieces": 2, "noise_pieces": 5}),
        (PuddleWorldTask(variant="boyan-moore", actions="discrete"), {"cells": 50, "noise_pieces": 4}),
        (PendulumSwingUpTask(), {"cells": (60, 60), "pieces": 3}),
    ],
    ids=["car-fixed", "car-rlpark-reward", "pendulum", "offpac", "boyan-moore", "boyan-moore-discrete", "swing-up"],
)
def test_every_step_from_a_cell_lands_in_its_enclosure_at_no_less_than_its_cost(task, kwargs):
    problem = task.dp_problem(**kwargs)
    rng = np.random.default_rng(3)
    cells = problem.cells
    lows = cells.lows()
    noise_pieces = [(None, None, 1.0)] if problem.noise_pieces is None else list(zip(*problem.noise_pieces))
    for a_low, a_high in problem.action_pieces:
        for piece in noise_pieces[:: max(1, len(noise_pieces) // 6)]:
            box = piece[0]
            which = rng.integers(cells.size, size=400)
            if isinstance(task, MountainCarRLParkTask):  # the wall's cells too
                which[:40] = rng.integers(cells.shape[1], size=40)
            low, high = lows[which], lows[which] + cells.spacing
            enc = task._enclose(low, high, a_low, a_high, *((None, None) if box is None else box))
            x = np.array([in_pieces(rng, lo, hi, 1)[0] for lo, hi in zip(low, high)])
            a = in_pieces(rng, a_low, a_high, len(x))
            noise = None if box is None else in_pieces(rng, box[0], box[1], len(x))
            if isinstance(task, PuddleWorldTask) and task.actions == "discrete":
                a = np.full((len(x), 1), float(np.flatnonzero(np.all(DISCRETE_CONTROLS == a_low, axis=1))[0]))
            nxt, reward, ended = problem.step(x, a, noise)
            covered = np.zeros(len(x), dtype=bool)
            for box_low, box_high, valid in enc.boxes:
                covered |= valid & inside(problem, nxt, box_low, box_high)
            assert np.all(covered | ended)
            assert np.all(problem.reward_bound - reward >= enc.cost_low - 1e-12)
            assert np.all(enc.may_end[ended])


def test_swing_up_jacobian_bound_holds_the_kernels_finite_differences():
    task = PendulumSwingUpTask()
    rng = np.random.default_rng(4)
    x = np.stack([rng.uniform(-math.pi, math.pi, 200), rng.uniform(-8, 8, 200)], axis=1)
    u = rng.uniform(-5, 5, (200, 1))

    def step(x, u):
        nxt, reward, _ = task._dp_step(x, u)
        return np.column_stack([np.unwrap(np.stack([x[:, 0], nxt[:, 0]]), axis=0)[1], nxt[:, 1], reward])

    eps = 1e-6
    columns = [(step(x + eps * np.eye(2)[j], u) - step(x - eps * np.eye(2)[j], u)) / (2 * eps) for j in range(2)] + [
        (step(x, u + eps) - step(x, u - eps)) / (2 * eps)
    ]
    jacobian = np.abs(np.stack(columns, axis=2))  # (n, output, input)
    bound = task._jacobian_bound()
    assert np.all(jacobian <= bound + 1e-6)
    assert np.all(jacobian.max(axis=0) >= 0.9 * bound)  # and it is not loose where it matters


# -- the mountain car's minimum time, three ways ----------------------------------------------------


def bang_bang_minimum_time(task: MountainCarRLParkTask, horizon: int = 160) -> int:
    """The fewest steps to the goal from the fixed start over every throttle sequence of ±1 with at
    most two switches (by exhaustive simulation of all of them at once)."""
    t = np.arange(horizon)
    plans = [np.full(horizon, s) for s in (-1.0, 1.0)]
    plans += [np.where(t < a, s, -s) for s in (-1.0, 1.0) for a in range(1, horizon)]
    plans += [
        np.where(t < a, s, np.where(t < b, -s, s))
        for s in (-1.0, 1.0)
        for a in range(1, 80)
        for b in range(a + 1, horizon)
    ]
    seq = np.array(plans)
    state = np.repeat(np.array([[-0.5, 0.0]]), len(seq), axis=0)
    arrival = np.full(len(seq), horizon + 1)
    for k in range(horizon):
        state, _, ended, _ = task.transition(state, seq[:, k : k + 1], None)
        arrival = np.where(ended & (arrival > horizon), k + 1, arrival)
    return int(arrival.min())


def test_mountain_car_dp_policy_bang_bang_search_and_certified_bound_agree_on_the_minimum_time():
    task = MountainCarRLParkTask(start="fixed", goal_reward=-1.0)  # the return is minus the steps
    problem = task.dp_problem(nodes=(101, 101), actions=3, cells=(300, 300), pieces=1)
    value = dp.value_iteration(problem, tol=1e-6)
    steps = -dp.measure_returns(task, dp.GreedyPolicy(value), 1, seed=0)[0]
    fewest = bang_bang_minimum_time(task)
    certified = -dp.cost_lower_bound(problem).start_return()
    assert certified <= fewest <= steps < 1.1 * fewest
    assert certified > 0.5 * fewest  # (the coarse abstraction's gap; the cached bound is tighter)
    # the cached reference's policy (401 x 401 nodes, 9 throttles) is as fast as the best of them
    cached = MountainCarRLParkTask(start="fixed", goal_reward=-1.0).reference()
    assert cached.value == -fewest and -cached.upper <= fewest


# -- the cached records ----------------------------------------------------------------------------


RECORDS = dp_reference._records()


def test_there_is_a_record_for_each_documented_variant():
    cached = {(r["task"], tuple(sorted(r["parameters"].items()))) for r in RECORDS}
    assert len(cached) == len(RECORDS) == 11
    assert {r["task"] for r in RECORDS} == set(TASKS)


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: f"{r['task']}-{'-'.join(map(str, r['parameters'].values()))}")
def test_a_cached_record_matches_its_task_and_is_consistent(record):
    task = TASKS[record["task"]](**record["parameters"])
    assert dp_reference.fingerprint(task) == record["fingerprint"]
    reference = task.reference()
    assert reference == Reference(**record["reference"]) and reference.kind == "bounds"
    assert reference.lower <= reference.value <= reference.upper and reference.random < reference.lower
    costs = [level["start_cost"] for level in record["refinement"]]
    assert abs(costs[-1] - costs[-2]) <= dp_reference.REFINEMENT_TOLERANCE * abs(costs[-2])
    # the DP's own estimate and the measured return of its policy agree to a few percent of the cost
    cost = task.dp_problem().returns_from_costs(0.0) - reference.value
    assert abs(record["dp_start_return"] - reference.value) <= 0.03 * cost + 1e-9


def test_the_rlpark_goal_reward_lowers_each_car_record_by_one():
    # the goal step's reward does not change the dynamics: the same greedy policy (up to ties
    # between throttles, which the two value functions' rounding may break apart) and the same
    # episodes, each ending one lower
    for start in ("fixed", "random"):
        ours = MountainCarRLParkTask(start=start, goal_reward=0.0).reference()
        rlpark = MountainCarRLParkTask(start=start).reference()  # the default, RLPark's -1
        assert rlpark.value == pytest.approx(ours.value - 1.0, abs=1e-3)
        assert rlpark.upper <= ours.upper


# The arguments that tell an environment's cached records apart, as its docs page's table lists them.
DOC_COLUMNS = {
    "MountainCarRLParkTask": ("start", "goal_reward"),
    "SwingPendulumTask": ("start",),
    "PuddleWorldTask": ("variant", "actions"),
    "PendulumSwingUpTask": (),
}


def docs_row(record: dict) -> str:
    """A record's row in its environment's "Reference value" table (numbers to 2 decimals)."""
    ref = record["reference"]

    def number(x: float) -> str:
        return f"{x:.2f}".replace("-", "−")

    cells = [f"`{record['parameters'][k]!r}`" for k in DOC_COLUMNS[record["task"]]]
    cells += [number(ref[k]) for k in ("lower", "value", "upper")]
    cells.append(f"{number(ref['random'])} ({number(ref['random_lower'])} to {number(ref['random_upper'])})")
    return "| " + " | ".join(cells) + " |"


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: f"{r['task']}-{'-'.join(map(str, r['parameters'].values()))}")
def test_the_env_docs_show_the_cached_record(record):
    import inspect

    from rl_envs.core import SingleEnv

    env = next(cls for cls in SingleEnv.__subclasses__() if cls.__dict__.get("task_type") is TASKS[record["task"]])
    assert docs_row(record) in inspect.getdoc(env)


@pytest.mark.parametrize(
    "module, name, value",
    [
        ("rl_envs.mountain_car", "GRAVITY", 0.0026),
        ("rl_envs.swing_pendulum", "GRAVITY", 9.81),
        ("rl_envs.puddle_world", "OFFPAC_START", np.array([0.2, 0.45])),
    ],
)
def test_a_changed_constant_finds_its_record_stale(monkeypatch, module, name, value):
    import importlib

    mod = importlib.import_module(module)
    task = {"rl_envs.mountain_car": MountainCarRLParkTask, "rl_envs.swing_pendulum": SwingPendulumTask}.get(
        module, PuddleWorldTask
    )()
    task.reference()
    monkeypatch.setattr(mod, name, value)
    with pytest.raises(ValueError, match=r"computed for other dynamics.*recompute it"):
        task.reference()


def test_parameters_without_a_record_say_which_are_cached():
    with pytest.raises(
        ValueError, match=r"no cached reference for MountainCarRLParkTask\(start='random', max_steps=200"
    ):
        MountainCarRLParkTask(max_steps=200).reference()
