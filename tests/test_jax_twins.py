"""The JAX twins (rl_envs.jax) against the NumPy tasks they mirror.

Equivalence: from the same states, with the same actions (some outside a Box, which both clip)
and the same noise (the NumPy task's draws, injected into the twin's transition), the next
state, observation, reward, termination and info agree to 1e-6 relative in float64, over
thousands of transitions per environment, from start states and from states spread over the
state space (so that episodes end), with ended environments restarted from the same start
draws.  Where an environment has numeric parameters, the same check runs over random
parameters, one set per row, through one compiled function (the params are data).  The twins'
own random numbers, which cannot be the NumPy generator's, are compared in distribution.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from gymnasium import spaces

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
import rl_envs.jax as rj  # noqa: E402
from rl_envs.bandit import random_cost_matrix  # noqa: E402
from rl_envs.core import tree  # noqa: E402
from rl_envs.pendulum_swingup import OMEGA, OVER_TIME, THETA, TIME_UP  # noqa: E402

RTOL = 1e-6


@pytest.fixture(autouse=True)
def x64():
    with jax.enable_x64(True):
        yield


# -- what each environment adds to the generic check ---------------------------------------------------


def _box_states(low, high):
    def draw(task, rng, n):
        return rng.uniform(low, high, size=(n, len(low)))

    return draw


def _maze_cells(task, rng, n):
    free = np.flatnonzero(~task._layout.blocked.ravel() & ~task._layout.goal_mask)
    return rng.choice(free, size=n)


def _po_hidden(task, rng, n):
    return {
        "hidden": rng.integers(task.model.n_states, size=n),
        "obs": rng.integers(task.model.n_obs + 1, size=n),
    }


def _lq_states(task, rng, n):
    # some near the divergence bound, so that episodes end there
    k = task.model.B.shape
    scale = np.where(rng.random(n) < 0.5, 1.0, task.max_state_norm)[:, None]
    return {"x": rng.standard_normal((n, k[0])) * scale, "u": np.zeros((n, k[1])), "u_peak": rng.random(n)}


def _pendulum_states(task, rng, n):
    state = np.zeros((n, 5))
    state[:, THETA] = rng.uniform(-6 * math.pi, 6 * math.pi, n)
    state[:, OMEGA] = rng.uniform(-15, 15, n)
    state[:, OVER_TIME] = np.where(rng.random(n) < 0.5, -1.0, rng.uniform(0.0, 1.0, n))
    state[:, TIME_UP] = rng.uniform(0, 12, n)
    return state


def _food_states(task, rng, n):
    from rl_envs.food_grid import FREE

    cells = rng.choice(np.flatnonzero(FREE), size=n)
    u = rng.integers(1, task.energy_cap + 1, size=n)
    return {"s": cells * task.energy_cap + u - 1, "visits": rng.integers(0, 3, size=(n, 11, 11))}


def _variable_states(task, rng, n):
    cue = rng.integers(-1, task.n_cues, size=n)
    t = np.where(cue < 0, 0, rng.integers(0, task.delay, size=n))
    return {"cue": cue, "t": t, "outcome": np.full(n, np.nan)}


def _bandit_states(task, rng, n):
    return task.initial_state(rng, n)


def _lq_kwargs(rng):
    n, m = 3, 2
    A = rng.standard_normal((n, n)) / math.sqrt(n)
    M = rng.standard_normal((n, n))
    return dict(
        A=A,
        B=rng.standard_normal((n, m)),
        Q=M @ M.T / n,
        R=np.eye(m) * rng.uniform(0.1, 2),
        noise_cov=rng.uniform(1e-4, 1e-1),
        x0=rng.standard_normal(n),
        x0_cov=rng.uniform(0.01, 1),
        max_steps=50,
    )


@dataclass
class Case:
    env_id: str
    kwargs: dict = field(default_factory=dict)
    #: states spread over the state space, beside the start states (so that episodes end)
    states: Callable[[Any, np.random.Generator, int], Any] | None = None
    #: random numeric arguments for the property check (None: the env has none)
    random_kwargs: Callable[[np.random.Generator], dict] | None = None
    #: whether its episodes terminate (the swinging pendulum's only truncate)
    terminates: bool = True

    @property
    def id(self) -> str:
        return self.env_id + "".join(f"-{k}={v}" for k, v in self.kwargs.items() if not isinstance(v, np.ndarray))


CASES = [
    Case(
        "GridMaze-v0",
        {"layout": "dyna_maze", "slip": 0.2},
        _maze_cells,
        lambda r: {
            "layout": "dyna_maze",
            "slip": r.uniform(0.01, 0.5),
            "goal_reward": r.uniform(-1, 5),
            "move_cost": r.uniform(0, 0.5),
        },
    ),
    Case("GridMaze-v0", {"layout": "maze10x10"}, _maze_cells),
    Case(
        "QuadraticBandit-v0",
        {"dim": 5},
        _bandit_states,
        lambda r: {"dim": 5, "C": random_cost_matrix(5, r), "a_star": r.uniform(-10, 10, 5), "action_bound": 12.0},
    ),
    Case("LQControl-v0", {}, _lq_states),
    Case("LQControl-v0", {"system": "datacenter", "dt": 0.1}, _lq_states),
    Case("LQControl-v0", _lq_kwargs(np.random.default_rng(1)), _lq_states, _lq_kwargs),
    Case("PartiallyObservableMaze-v0", {"layout": "hallway"}, _po_hidden),
    Case("PartiallyObservableMaze-v0", {"layout": "4x3", "goal_mode": "reset"}, _po_hidden, terminates=False),
    Case(
        "PartiallyObservableMaze-v0",
        {"layout": "maze10x10", "sensor_noise": 0.1, "slip": 0.1},
        _po_hidden,
        lambda r: {"layout": "maze10x10", "sensor_noise": r.uniform(0, 0.3), "slip": r.uniform(0.01, 0.3)},
    ),
    Case(
        "PendulumSwingUp-v0", {}, _pendulum_states, lambda r: {"dt": r.uniform(0.005, 0.1), "u_max": r.uniform(1, 10)}
    ),
    Case("PuddleWorld-v0", {}, _box_states([0.5, 0.5], [1.0, 1.0]), lambda r: {"noise": r.uniform(0, 0.05)}),
    Case(
        "PuddleWorld-v0",
        {"variant": "boyan-moore", "actions": "discrete"},
        _box_states([0.4, 0.4], [1.0, 1.0]),
        lambda r: {"variant": "boyan-moore", "actions": "discrete", "noise": r.uniform(0.001, 0.05)},
    ),
    Case("MountainCarRLPark-v0", {}, _box_states([0.3, -0.07], [0.6, 0.07])),
    Case("MountainCarRLPark-v0", {"start": "fixed"}, _box_states([-1.2, -0.07], [0.6, 0.07])),
    Case("MountainCarRLPark-v0", {"goal_reward": 0.0}, _box_states([0.3, -0.07], [0.6, 0.07])),
    Case("SwingPendulum-v0", {}, _box_states([-math.pi, -78], [math.pi, 78]), terminates=False),
    Case("VariableReward-v0", {}, _variable_states),
    Case(
        "VariableReward-v0",
        {"variant": "probability", "delay": 3, "uncued_probability": 0.2},
        _variable_states,
        lambda r: {
            "variant": "probability",
            "delay": 3,
            "uncued_probability": r.uniform(0, 0.9),
            "cue_probabilities": tuple(r.uniform(0, 1, 3)),
            "probabilities": (1.0,),
        },
    ),
    Case("FoodGrid-v0", {}, _food_states),
    Case(
        "FoodGrid-v0",
        {"tv_noise": 0.5, "energy_cap": 20},
        _food_states,
        lambda r: {"tv_noise": r.uniform(0.01, 1), "energy_cap": 20, "food_gain": int(r.integers(1, 15))},
    ),
]


# -- the generic check ----------------------------------------------------------------------------------


def _worst_error(a: np.ndarray, b: np.ndarray, what: str) -> float:
    """The worst ``|a − b| / |b|`` (``|b|`` at least 1e-12), after checking shapes and, for
    integers and bools, exact equality; NaN must match NaN."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    if b.dtype.kind in "biu":
        mismatch = np.flatnonzero((a != b).reshape(-1))
        assert not len(mismatch), (
            f"{what}: {len(mismatch)} differ, first at {mismatch[0]}: {a.flat[mismatch[0]]} != {b.flat[mismatch[0]]}"
        )
        return 0.0
    nan = np.isnan(b)
    assert np.array_equal(np.isnan(a), nan), f"{what}: NaN in one only"
    err = np.abs(a - b)[~nan] / np.maximum(np.abs(b[~nan]), 1e-12)
    return float(err.max(initial=0.0))


def _obs_error(twin, numpy, what: str) -> float:
    """The observations compared at the NumPy env's precision (float32 for most Box spaces; the
    twin in float64 observes in float64)."""
    return _worst_error(np.asarray(twin).astype(np.asarray(numpy).dtype), numpy, what)


def _compare(twin_tree, numpy_tree, what: str) -> float:
    if isinstance(numpy_tree, dict):
        return max(_compare(twin_tree[k], v, f"{what}[{k!r}]") for k, v in numpy_tree.items())
    return _worst_error(twin_tree, numpy_tree, what)


def _raw_actions(task, rng: np.random.Generator, n: int) -> np.ndarray:
    space = task.action_space
    if isinstance(space, spaces.Discrete):
        return rng.integers(space.n, size=n)
    # a quarter of each component outside the box, which both sides clip
    low, high = space.low.astype(np.float64), space.high.astype(np.float64)
    mid, half = (low + high) / 2, (high - low) / 2
    return mid + half * rng.uniform(-1.25, 1.25, size=(n, *space.shape))


def _start_draws(task, spec, rows: int, seed: int) -> tuple[Any, np.ndarray | None]:
    """``rows`` start states of the NumPy task and the draws (``spec``, one row's ``(kind, shape)``)
    that the twin makes the same states from: the task draws sub-env by sub-env, so the draws of
    ``rows`` starts are ``rows`` rows' worth taken from an equally seeded generator.  A task whose
    starts take a varying number of draws (rejection sampling) starts each row from its own seed."""
    if spec is None:
        return task.initial_state(np.random.default_rng(seed), rows), None

    def draw(rng, shape):
        return rng.random(shape) if spec[0] == "uniform" else rng.standard_normal(shape)

    rng = np.random.default_rng(seed)
    states = task.initial_state(rng, rows)
    twin_rng = np.random.default_rng(seed)
    draws = draw(twin_rng, (rows, *spec[1]))
    if rng.bit_generator.state == twin_rng.bit_generator.state:
        return states, draws
    seeds = np.random.default_rng(seed).integers(2**32, size=rows)
    states = tree.concat([task.initial_state(np.random.default_rng(s), 1) for s in seeds])
    return states, np.stack([draw(np.random.default_rng(s), spec[1]) for s in seeds])


@dataclass
class Result:
    transitions: int = 0
    ends: int = 0
    restarts: int = 0
    worst: float = 0.0

    def add(self, *errors: float) -> None:
        self.worst = max(self.worst, *errors)


def check_equivalence(case: Case, tasks: list, block: int, steps: int, seed: int = 0) -> Result:
    """Step the NumPy tasks and the twin side by side, ``block`` rows per task (one compiled twin
    function for all: the tasks differ in their params only)."""
    twins = [rj.twin_class(case.env_id).from_task(t, dtype="float64") for t in tasks]
    twin, n = twins[0], block * len(tasks)
    # numpy stacks the params: jax.numpy would compile each small operation of it
    params = jax.tree.map(
        lambda *p: jnp.asarray(np.repeat(np.stack([np.asarray(x) for x in p]), block, axis=0)),
        *[t.default_params for t in twins],
    )
    start, observe = jax.jit(jax.vmap(twin.start)), jax.jit(jax.vmap(twin.observe))
    clip, transition = jax.jit(jax.vmap(twin.clip_action)), jax.jit(jax.vmap(twin.transition))
    blocks = [slice(k * block, (k + 1) * block) for k in range(len(tasks))]
    rng = np.random.default_rng(seed)
    result = Result()

    spec = twin.start_noise_spec()

    def starts(rows: np.ndarray):
        """NumPy start states of ``rows``, checked against the twin's from the same draws (made for
        every row, so that the compiled start always takes one shape)."""
        parts, draws = [], np.zeros((n, *spec[1])) if spec is not None else None
        for k, task in enumerate(tasks):
            mine = rows[rows // block == k]
            np_state, task_draws = _start_draws(task, spec, len(mine), int(rng.integers(2**32)))
            parts.append(np_state)
            if draws is not None:
                draws[mine] = task_draws
        np_state = tree.concat(parts)
        jx_state = start(None if draws is None else jnp.asarray(draws), params)
        jx_obs = observe(jx_state, params)
        np_obs = tree.concat([task.observe(p) for task, p in zip(tasks, parts)])
        jx_state, jx_obs = tree.tree_map(lambda a: np.asarray(a)[rows], jx_state), np.asarray(jx_obs)[rows]
        result.add(_compare(jx_state, np_state, "start"), _obs_error(jx_obs, np_obs, "start obs"))
        return np_state

    state = starts(np.arange(n))
    if case.states is not None:  # every other row from all over the state space, where episodes end
        spread = tree.concat([case.states(task, rng, block) for task in tasks])
        odd = np.arange(n) % 2 == 1
        state = tree.tree_map(lambda a, b: np.where(odd.reshape(-1, *[1] * (a.ndim - 1)), b, a), state, spread)
    for step in range(steps):
        raw = _raw_actions(tasks[0], rng, n)
        action = np.concatenate([task.check_action(raw[b], block) for task, b in zip(tasks, blocks)])
        result.add(_compare(clip(jnp.asarray(raw), params), action, "clipped action"))
        noises = [task.sample_noise(rng, block) for task in tasks]
        noise = None if noises[0] is None else tree.concat(noises)
        jx_state, jx_reward, jx_terminated, jx_info = transition(
            tree.tree_map(jnp.asarray, state), jnp.asarray(action), tree.tree_map(jnp.asarray, noise), params
        )
        where = f"step {step}"
        parts = []
        for task, b, w in zip(tasks, blocks, noises):
            nxt, reward, terminated, info = task.transition(tree.take(state, b), action[b], w)
            parts.append(nxt)
            result.add(
                _worst_error(np.asarray(jx_reward)[b], reward, f"{where}: reward"),
                _worst_error(np.asarray(jx_terminated)[b], terminated, f"{where}: terminated"),
            )
            for key, value in info.items():
                if not key.startswith("_"):
                    mask = info.get("_" + key, np.ones(block, dtype=bool))
                    twin_value = np.asarray(jx_info[key])[b][mask]
                    result.add(_worst_error(twin_value, np.asarray(value)[mask], f"{where}: info[{key!r}]"))
            result.ends += int(np.count_nonzero(terminated))
        state = tree.concat(parts)
        np_obs = tree.concat([task.observe(tree.take(state, b)) for task, b in zip(tasks, blocks)])
        result.add(
            _compare(jx_state, state, f"{where}: state"), _obs_error(observe(jx_state, params), np_obs, f"{where}: obs")
        )
        result.transitions += n
        ended = np.flatnonzero(np.asarray(jx_terminated))
        if len(ended):  # the ended episodes restart, from start draws compared again
            tree.put(state, ended, starts(ended))
            result.restarts += len(ended)
    return result


def case_tasks(case: Case, count: int = 16) -> list:
    """The case's task, then (where the env has numeric parameters) ``count - 1`` with random ones."""
    task_type = rj.twin_class(case.env_id).task_type
    rng = np.random.default_rng(7)
    random = [] if case.random_kwargs is None else [task_type(**case.random_kwargs(rng)) for _ in range(count - 1)]
    return [task_type(**case.kwargs), *random]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_twin_steps_as_the_numpy_task(case):
    tasks = case_tasks(case)
    result = check_equivalence(case, tasks, block=1024 // len(tasks), steps=4)
    assert result.transitions >= 4000 and (result.ends > 0) == case.terminates
    assert result.worst <= RTOL, f"worst relative error {result.worst:.3g}"


# -- the gymnax interface: whole episodes, truncation and auto-reset -----------------------------------

DETERMINISTIC = [
    ("GridMaze-v0", {"layout": "dyna_maze", "max_steps": 30}),
    ("QuadraticBandit-v0", {"dim": 3, "C": np.diag([0.1, 1.0, 1.0])}),
    ("LQControl-v0", {"noise_cov": 0.0, "max_steps": 20}),
    ("PuddleWorld-v0", {"noise": 0.0, "max_steps": 40}),
    ("MountainCarRLPark-v0", {"start": "fixed", "max_steps": 40}),
    ("SwingPendulum-v0", {"start": "fixed", "max_steps": 40}),
    ("FoodGrid-v0", {"energy_cap": 8, "max_steps": 6}),
]


@pytest.mark.parametrize(("env_id", "kwargs"), DETERMINISTIC, ids=[d[0] for d in DETERMINISTIC])
def test_episodes_through_step_match_the_numpy_vector_env(env_id, kwargs):
    """Deterministic dynamics from a fixed start (every env with a fixed start): gymnax's ``step`` (auto-reset in the same step)
    gives the NumPy vector env's observations, rewards and ends in its same-step autoreset mode,
    truncation at ``max_steps`` included."""
    import gymnasium as gym

    num_envs, steps = 4, 90
    venv = gym.make_vec(
        f"rl_envs/{env_id}", num_envs, vectorization_mode="vector_entry_point", autoreset_mode="SameStep", **kwargs
    )
    env, params = rj.make(env_id, dtype="float64", **kwargs)
    keys = jax.random.split(jax.random.key(0), num_envs)
    obs, state = jax.vmap(env.reset, in_axes=(0, None))(keys, params)
    np_obs, _ = venv.reset(seed=0)
    step = jax.jit(jax.vmap(env.step, in_axes=(0, 0, 0, None)))
    rng = np.random.default_rng(0)
    ends = {"terminated": 0, "truncated": 0}
    for t in range(steps):
        assert _worst_error(np.asarray(obs), np.asarray(np_obs, dtype=np.float64), f"obs at {t}") <= RTOL
        action = _raw_actions(venv.unwrapped.task, rng, num_envs)
        np_obs, np_reward, terminated, truncated, _ = venv.step(action)
        obs, state, reward, done, info = step(keys, state, jnp.asarray(action), params)
        assert _worst_error(np.asarray(reward), np_reward, f"reward at {t}") <= RTOL
        assert np.array_equal(np.asarray(done), terminated | truncated), t
        assert np.array_equal(np.asarray(info["terminated"]), terminated), t
        assert np.array_equal(np.asarray(info["truncated"]), truncated), t
        ends["terminated"] += int(terminated.sum())
        ends["truncated"] += int(truncated.sum())
    assert ends["truncated"] > 0 or env_id == "QuadraticBandit-v0"


# -- the twins' own random numbers, in distribution ------------------------------------------------------

NOISY = [
    ("GridMaze-v0", {"layout": "dyna_maze", "slip": 0.3}),
    ("LQControl-v0", {"system": "datacenter", "noise_cov": 0.5}),
    ("PartiallyObservableMaze-v0", {"layout": "hallway"}),
    ("PuddleWorld-v0", {}),
    ("PuddleWorld-v0", {"variant": "boyan-moore"}),
    ("VariableReward-v0", {}),
    ("FoodGrid-v0", {"tv_noise": 0.5}),
]


@pytest.mark.parametrize(("env_id", "kwargs"), NOISY, ids=[f"{e}-{k}" for e, k in NOISY])
def test_twin_noise_has_the_numpy_noise_distribution(env_id, kwargs):
    """Every component of a step's noise (and of the start draws) has the mean and the standard
    deviation of the NumPy task's, within 5 standard errors over 20 000 draws of each."""
    draws = 20_000
    env, params = rj.make(env_id, dtype="float64", **kwargs)
    keys = jax.random.split(jax.random.key(1), draws)
    twin = jax.vmap(env.sample_noise, in_axes=(0, None))(keys, params)
    numpy = env.task.sample_noise(np.random.default_rng(1), draws)
    if env_id == "GridMaze-v0":  # the side matters only where the move slips (numpy draws it only there)
        twin["side"] = np.where(np.asarray(twin["slipped"]), np.asarray(twin["side"]), 0)
    checked = 0
    for a, b in zip(jax.tree.leaves(twin), jax.tree.leaves(numpy)):
        a, b = np.asarray(a, dtype=np.float64).reshape(draws, -1), np.asarray(b, dtype=np.float64).reshape(draws, -1)
        se = np.sqrt((a.var(axis=0) + b.var(axis=0)) / draws) + 1e-12
        assert np.all(np.abs(a.mean(axis=0) - b.mean(axis=0)) <= 5 * se), (a.mean(axis=0), b.mean(axis=0))
        sd_se = np.sqrt((a.var(axis=0) + b.var(axis=0)) / (2 * draws)) + 1e-12
        assert np.all(np.abs(a.std(axis=0) - b.std(axis=0)) <= 5 * sd_se), (a.std(axis=0), b.std(axis=0))
        checked += a.shape[1]
    assert checked >= 2


def test_boyan_moore_starts_are_uniform_off_the_goal():
    """The one start drawn by rejection (16 candidates, the first outside the goal): uniform over
    ``x + y < 1.9``, so each coordinate has the mean and variance of that region's."""
    env, params = rj.make("PuddleWorld-v0", dtype="float64", variant="boyan-moore")
    obs, _ = jax.vmap(env.reset, in_axes=(0, None))(jax.random.split(jax.random.key(2), 20_000), params)
    numpy = env.task.initial_state(np.random.default_rng(2), 20_000)
    obs = np.asarray(obs)
    assert np.all(obs.sum(axis=1) < 1.9)
    se = np.sqrt((obs.var(axis=0) + numpy.var(axis=0)) / 20_000)
    assert np.all(np.abs(obs.mean(axis=0) - numpy.mean(axis=0)) <= 5 * se)


# -- the registry -----------------------------------------------------------------------------------------


def test_make_covers_every_registered_env_but_the_octopus():
    import rl_envs

    assert set(rj.registered_ids()) | set(rj.NO_TWIN) == set(rl_envs.registered_ids())
    with pytest.raises(ValueError, match="OctopusArm-v0 has no JAX twin: its step is 25 RK4 substeps"):
        rj.make("OctopusArm-v0")
    with pytest.raises(ValueError, match="unknown environment 'CartPole-v1': the JAX twins are GridMaze-v0"):
        rj.make("CartPole-v1")


def test_make_checks_the_arguments_as_the_numpy_env_does():
    with pytest.raises(TypeError, match="unexpected keyword argument 'sllip' \\(did you mean 'slip'\\?\\)"):
        rj.make("GridMaze-v0", sllip=0.1)
    with pytest.raises(ValueError, match="slip"):
        rj.make("GridMaze-v0", slip=1.5)
    with pytest.raises(ValueError, match="give layout='random' a maze_seed"):
        rj.make("GridMaze-v0", layout="random", size=5)
    with pytest.raises(ValueError, match="dtype must be float32 or float64, got 'int8'"):
        rj.make("GridMaze-v0", dtype="int8")


def test_float64_needs_64_bit_jax():
    with jax.enable_x64(False), pytest.raises(ValueError, match="jax_enable_x64"):
        rj.make("LQControl-v0", dtype="float64")


@pytest.mark.parametrize("env_id", rj.registered_ids())
def test_spaces_are_the_numpy_env_spaces(env_id):
    import gymnasium as gym

    kwargs = {"layout": "dyna_maze"} if env_id == "rl_envs/GridMaze-v0" else {}
    env, params = rj.make(env_id, **kwargs)
    numpy_env = gym.make(env_id, **kwargs)
    for twin_space, space in (
        (env.observation_space(params), numpy_env.observation_space),
        (env.action_space(params), numpy_env.action_space),
    ):
        if isinstance(space, spaces.Discrete):
            assert twin_space.n == space.n
        else:
            assert twin_space.shape == space.shape and twin_space.dtype == jnp.float32
            assert np.array_equal(np.asarray(twin_space.low), space.low.astype(np.float32))
            assert np.array_equal(np.asarray(twin_space.high), space.high.astype(np.float32))
    assert params.max_steps_in_episode == numpy_env.unwrapped.task.max_steps


# -- the jitted exact solvers against the NumPy ones ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "gamma"),
    [
        ({"layout": "dyna_maze"}, 1.0),
        ({"layout": "maze10x10", "slip": 0.1}, 1.0),
        ({"layout": "four_rooms", "slip": 0.2}, 0.9),
    ],
)
def test_value_iteration_gives_the_numpy_values(kwargs, gamma):
    from rl_envs.jax.grid_maze import value_iteration

    env, params = rj.make("GridMaze-v0", dtype="float64", **kwargs)
    V, Q, iterations = jax.jit(value_iteration)(params, gamma)
    V_np, Q_np = env.task.optimal_values(gamma)
    assert int(iterations) < 100_000
    np.testing.assert_allclose(np.asarray(V), V_np, rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.asarray(Q), Q_np, rtol=0, atol=1e-10)
    assert float(V[env.task._layout.start_index]) == pytest.approx(env.task.optimal_return(gamma), abs=1e-10)


def test_value_iteration_runs_over_a_batch_of_slips():
    """The params are data: one compiled solve for eight slip probabilities, each the NumPy value."""
    from rl_envs.jax.grid_maze import value_iteration

    slips = np.linspace(0.0, 0.7, 8)
    _, params = rj.make("GridMaze-v0", dtype="float64", layout="dyna_maze")
    batch = jax.tree.map(lambda p: jnp.stack([jnp.asarray(p)] * len(slips)), params).replace(slip=jnp.asarray(slips))
    V, _, _ = jax.jit(jax.vmap(value_iteration))(batch)
    for slip, v in zip(slips, np.asarray(V)):
        task = rj.twin_class("GridMaze-v0").task_type(layout="dyna_maze", slip=slip)
        np.testing.assert_allclose(v, task.optimal_values()[0], rtol=0, atol=1e-9)


@pytest.mark.parametrize("kwargs", [{}, {"system": "datacenter"}, {"dt": 0.05}, {"system": "datacenter", "dt": 0.5}])
def test_riccati_recursion_gives_the_numpy_gains(kwargs):
    from rl_envs.jax.lq import riccati_recursion
    from rl_envs.lq import riccati_recursion as numpy_riccati

    env, params = rj.make("LQControl-v0", dtype="float64", **kwargs)
    horizon = env.task.max_steps
    K, P = jax.jit(riccati_recursion, static_argnums=1)(params, horizon)
    K_np, P_np = numpy_riccati(env.task.model, horizon)
    assert K.shape == K_np.shape and P.shape == P_np.shape
    np.testing.assert_allclose(np.asarray(K), K_np, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.asarray(P), P_np, rtol=1e-9, atol=1e-12)
    # its first gain is the stationary one (the default horizons are long enough for that)
    np.testing.assert_allclose(np.asarray(K[0]), env.task.optimal_gain(discretized=True), rtol=1e-3)
