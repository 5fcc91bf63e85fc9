"""The reference records of the continuous-control tasks, computed by :mod:`rl_envs.dp` and
cached in ``dp_references.json`` beside this module.

A record holds the :class:`~rl_envs.core.Reference` of one task's parameters, how it was computed
(the solver's settings, its version, the package version and commit) and the *fingerprint* of the
task it was computed for: a hash of what the task does on fixed probes (its start distribution,
its noise, one step of its dynamics from states and actions drawn once, its horizon).  A task
finds its record by fingerprint, so a change to a dynamics constant, a reward or a start
distribution finds no record; :func:`cached_reference` then says whether the task's parameters
were cached for other dynamics (stale: recompute with ``benchmarks/bench_dp_references.py``)
or never.  The computation (:func:`compute_reference`) takes minutes per task.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, dp
from .core import NoReference, Reference, Task

REFERENCE_FILE = Path(__file__).with_name("dp_references.json")
#: the largest relative change of the DP's start cost between the last two grids of a refinement
REFINEMENT_TOLERANCE = 0.005
CITATION = (
    "semi-Lagrangian value iteration: Bardi & Capuzzo-Dolcetta 1997, App. A; Munos & Moore 2002, Mach. Learn. 49; "
    "the upper bound by a cell abstraction: Junge & Osinga 2004, ESAIM COCV 10"
)


def parameters(task: Task) -> dict[str, Any]:
    """The task's arguments (dataclass fields set in ``__init__``) as they are after its checks."""
    return {f.name: getattr(task, f.name) for f in dataclasses.fields(task) if f.init}


def fingerprint(task: Task) -> str:
    """A hash of what ``task`` does on fixed probes: its horizon, its start distribution and
    noise (drawn from fixed seeds) and one step of :meth:`dp_problem`'s dynamics (the task's own
    transition) from 64 states of its observation box and 64 actions of its action space drawn
    once, each number to 10 significant digits (so that the last bits of a platform's floating
    point do not change it)."""
    from gymnasium import spaces

    problem = task.dp_problem()  # type: ignore[attr-defined]
    rng = np.random.default_rng(20_260_101)
    box = task.observation_space
    assert isinstance(box, spaces.Box)
    states = rng.uniform(box.low.astype(np.float64), box.high.astype(np.float64), size=(64, *box.shape))
    space = task.action_space
    if isinstance(space, spaces.Discrete):
        actions = rng.integers(int(space.n), size=(64, 1)).astype(np.float64)
    else:
        assert isinstance(space, spaces.Box)
        actions = rng.uniform(space.low.astype(np.float64), space.high.astype(np.float64), size=(64, *space.shape))
    noise = task.sample_noise(np.random.default_rng(2), 64)
    nxt, reward, ended = problem.step(states, actions, noise)
    parts = [
        np.array([problem.horizon, problem.reward_bound], dtype=np.float64),
        np.asarray(task.observe(task.initial_state(np.random.default_rng(1), 64)), dtype=np.float64).ravel(),
        np.zeros(0) if noise is None else np.asarray(noise, dtype=np.float64).ravel(),
        nxt.ravel(),
        reward.ravel(),
        ended.astype(np.float64).ravel(),
    ]
    text = type(task).__name__ + " " + " ".join(f"{x:.9e}" for x in np.concatenate(parts))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def _records() -> tuple[dict, ...]:
    if not REFERENCE_FILE.exists():
        return ()
    return tuple(json.loads(REFERENCE_FILE.read_text())["records"])


def cached_record(task: Task) -> dict:
    """The cached record of ``task`` (its reference, settings, refinement and timings), or a
    ValueError saying why there is none."""
    key = fingerprint(task)
    name, params = type(task).__name__, _jsonable(parameters(task))
    for record in _records():
        if record["fingerprint"] == key and record["solver_version"] == dp.SOLVER_VERSION:
            return record
    same = [r for r in _records() if r["task"] == name and r["parameters"] == params]
    if same:
        raise ValueError(
            f"the cached reference of {name}({_args(params)}) was computed for other dynamics or another "
            f"solver (fingerprint {same[0]['fingerprint']}, solver {same[0]['solver_version']}; now {key}, "
            f"solver {dp.SOLVER_VERSION}): recompute it with benchmarks/bench_dp_references.py"
        )
    cached = [_args(r["parameters"]) for r in _records() if r["task"] == name]
    raise NoReference(
        f"no cached reference for {name}({_args(params)}); cached: "
        + ("; ".join(f"({c})" for c in cached) or "none")
        + ". rl_envs.dp_reference.compute_reference(task, settings) computes one in minutes (the settings of"
        " benchmarks/bench_dp_references.py)"
    )


def cached_reference(task: Task) -> Reference:
    """The cached :class:`~rl_envs.core.Reference` of ``task`` (see :func:`cached_record`)."""
    return Reference(**cached_record(task)["reference"])


def _args(params: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in params.items())


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


@dataclasses.dataclass(frozen=True)
class Settings:
    """How :func:`compute_reference` computes a task's record.

    * ``grids``: the value-iteration grids, coarse to fine (each a ``nodes`` argument of the
      task's ``dp_problem``); refinement stops at the first grid whose start cost differs from the
      previous grid's by less than :data:`REFINEMENT_TOLERANCE` (relative), and fails after the last.
    * ``problem``: further ``dp_problem`` arguments (the action grid, the cells and pieces of the
      certified bound).
    * ``episodes``: episodes of the greedy policy in the environment; ``random_episodes``: of the
      uniformly random policy; ``seed``: the first seed of both.
    * ``tol``: value iteration's stopping change.
    """

    grids: tuple[Any, ...]
    problem: dict[str, Any] = dataclasses.field(default_factory=dict)
    episodes: int = 10_000
    random_episodes: int = 10_000
    seed: int = 0
    tol: float = 1e-7


def compute_reference(task: Task, settings: Settings, log=print) -> dict:
    """The record of ``task`` (see the module docstring), computed afresh:

    1. value iteration on ``settings.grids`` in turn until the DP's expected start cost changes by
       less than 0.5 % (for the pendulums the cost is the shortfall below ``T r̄``, so the
       criterion is stricter than 0.5 % of the return);
    2. the finest grid's greedy policy run in the task's vector env for ``settings.episodes``
       episodes from the documented start distribution: ``value`` is their mean return and
       ``lower`` the low end of its 99 % interval (an achievable return: a lower bound on the
       optimum, at 99 % confidence; exact when the task and its start are deterministic);
    3. ``upper``: the certified bound :func:`rl_envs.dp.cost_lower_bound` (no sampling);
    4. ``random``: the uniformly random policy's mean return over ``settings.random_episodes``
       episodes, with its 99 % interval.
    """
    record: dict[str, Any] = {"task": type(task).__name__, "parameters": _jsonable(parameters(task))}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    refinement, value, previous = [], None, None
    for nodes in settings.grids:
        problem = task.dp_problem(nodes=nodes, **settings.problem)  # type: ignore[attr-defined]
        t = time.perf_counter()
        value = dp.value_iteration(problem, tol=settings.tol)
        points, weights = problem.start
        cost = float(weights @ value.cost(points))
        refinement.append(
            {
                "nodes": _jsonable(nodes),
                "start_cost": cost,
                "start_return": float(problem.returns_from_costs(cost)),
                "sweeps": value.sweeps,
                "seconds": round(time.perf_counter() - t, 1),
            }
        )
        log(
            f"  grid {nodes}: start cost {cost:.6g}, return {refinement[-1]['start_return']:.6g}, {value.sweeps} sweeps"
        )
        if previous is not None and abs(cost - previous) <= REFINEMENT_TOLERANCE * abs(previous):
            break
        previous = cost
    else:
        raise RuntimeError(f"the start cost changed by more than 0.5 % up to the finest grid: {refinement}")
    assert value is not None
    timings["value_iteration"] = time.perf_counter() - t0

    t = time.perf_counter()
    returns = dp.measure_returns(task, dp.GreedyPolicy(value), settings.episodes, settings.seed)
    best, best_low, _ = dp.mean_interval(returns)
    timings["greedy_policy"] = time.perf_counter() - t
    log(f"  greedy policy: {best:.6g}, 99 % interval from {best_low:.6g} ({settings.episodes} episodes)")

    t = time.perf_counter()
    problem = value.problem
    bound = dp.cost_lower_bound(problem)
    upper = bound.start_return()
    timings["bound"] = time.perf_counter() - t
    log(f"  certified upper bound: {upper:.6g} ({bound.iterations} iterations, converged {bound.converged})")
    if best > upper:
        raise RuntimeError(f"the greedy policy's mean return {best} exceeds the certified bound {upper}")

    t = time.perf_counter()
    random_returns = dp.measure_returns(
        task, dp.uniform_random_policy(task, settings.seed + 1), settings.random_episodes, settings.seed + 1
    )
    random, random_low, random_high = dp.mean_interval(random_returns)
    timings["random_policy"] = time.perf_counter() - t
    log(f"  random policy: {random:.6g} in [{random_low:.6g}, {random_high:.6g}]")

    cells = problem.cells
    assert cells is not None
    last = refinement[-1]["nodes"]
    reference = Reference(
        kind="bounds",
        value=best,
        lower=best_low,
        upper=upper,
        random=random,
        random_lower=random_low,
        random_upper=random_high,
        quantity=f"undiscounted return of an episode of at most {problem.horizon} steps from the documented start",
        gamma=1.0,
        method=(
            f"lower, value: semi-Lagrangian value iteration on {_shape(last)} nodes x {len(problem.actions)} actions, "
            f"its greedy policy over {settings.episodes} episodes in the env (mean, 99 % low end); "
            f"upper: conservative abstraction on {_shape(cells.shape)} cells (certified); "
            f"random: {settings.random_episodes} episodes (99 % interval)"
        ),
        citation=CITATION,
    )
    record.update(
        fingerprint=fingerprint(task),
        solver_version=dp.SOLVER_VERSION,
        reference=dataclasses.asdict(reference),
        dp_start_return=refinement[-1]["start_return"],
        refinement=refinement,
        bound={"iterations": bound.iterations, "converged": bound.converged, "cells": list(cells.shape)},
        settings=_jsonable(dataclasses.asdict(settings)),
        seconds={k: round(v, 1) for k, v in timings.items()},
        rl_envs_version=__version__,
    )
    return record


def _shape(shape: Any) -> str:
    return "x".join(map(str, shape)) if isinstance(shape, (list, tuple)) else f"{shape}x{shape}"


def write_records(records: list[dict], path: Path = REFERENCE_FILE) -> None:
    """Write ``records`` (each replacing a cached one of the same task and parameters) to ``path``."""
    old = json.loads(path.read_text())["records"] if path.exists() else []
    keys = {(r["task"], json.dumps(r["parameters"], sort_keys=True)) for r in records}
    kept = [r for r in old if (r["task"], json.dumps(r["parameters"], sort_keys=True)) not in keys]
    path.write_text(json.dumps({"records": kept + records}, indent=1, allow_nan=False) + "\n")
    _records.cache_clear()


__all__ = ["Settings", "cached_record", "cached_reference", "compute_reference", "fingerprint", "write_records"]
