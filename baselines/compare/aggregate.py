"""A comparison's aggregate statistics across environments (Agarwal et al. 2021), from its rows.

:func:`score_table` builds rliable's layout, an array ``(runs, tasks)`` of normalized scores per
agent, from the rows' ``normalized_score`` (0 the task's baseline policy, the uniform-random one
unless its reference names another, 1 the optimum; computed here from the environment's
:meth:`reference` where a row has none).  A score is of the quantity its row's return and
reference share: the episode return, or for a row measured as the POMDP literature scores (the
partially observable maze's average discounted reward) the discounted return, which the report
names (:func:`discounted_lines`); the training curves, which are of episode returns, are scored
only on the tasks whose reference is of the episode return.  A task without a reference, or a run
without a finite return, is left out with the reason, which the report prints.  From
it: per agent the median, IQM, mean and optimality gap with stratified-bootstrap 95 % intervals
(:func:`aggregate_lines`), the probability of improvement of every pair of agents on their common
tasks (:func:`improvement_lines`), performance profiles and sample-efficiency curves
(:func:`plot_aggregates`), and the export of the scores for others to aggregate with theirs
(:func:`write_scores`: ``scores.npz`` and ``scores.json``).  :func:`regret_lines` scores the
training of the environments with an exact optimum (the bandit, LQ control, ...) by regret and
the area under the learning curve.  The estimators are :mod:`baselines.stats`.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import gymnasium as gym

from .. import evaluation, stats
from ..curves import curve_on_grid, smooth
from ..io import atomic_write_bytes, save_figure

# The fraction of its budget at which each run's training curve is read for the sample-efficiency curves.
BUDGET_GRID = np.linspace(0.02, 1.0, 50)
LAYOUT = "{agent: array[runs, tasks]} of normalized scores (R - random) / (reference - random)"


@dataclass
class ScoreTable:
    """Normalized scores in rliable's layout: ``scores[agent]`` is ``(runs, tasks)``, its columns
    the tasks ``tasks[agent]``, its rows the run seeds ``seeds[agent][task]``; ``rows[agent]`` the
    rows in the same places (for their learning curves); ``left_out`` says what is not there and why."""

    scores: dict[str, np.ndarray] = field(default_factory=dict)
    tasks: dict[str, list[str]] = field(default_factory=dict)
    seeds: dict[str, list[list[int]]] = field(default_factory=dict)
    rows: dict[str, list[list[dict]]] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)


def reference_of(row: dict, cache: dict) -> tuple[float, float] | str:
    """``(reference value, random policy's value)`` of the row's task, from the row's ``reference``
    and ``random_return`` or its environment's ``reference()``; else why there is none."""
    if row.get("reference") is not None and row.get("random_return") is not None:
        found: tuple[float, float] | str = (float(row["reference"]), float(row["random_return"]))
    else:
        key = (row["env"], row["env_kwargs"])
        if key not in cache:
            env = gym.make(row["env"], **json.loads(row["env_kwargs"]))
            ref = evaluation.reference_of(env, discounted=True)
            env.close()
            if ref is None:
                cache[key] = "the environment declares no reference()"
            elif ref.gamma != 1:
                cache[key] = (
                    f"its reference is of the discounted return (gamma = {ref.gamma:g}), not of this row's return"
                )
            else:
                cache[key] = (ref.value, ref.random)
        found = cache[key]
    if isinstance(found, tuple) and not found[0] > found[1]:
        # one action, say: every policy is optimal and no score tells agents apart
        return f"its reference {found[0]} does not exceed the random policy's {found[1]}"
    return found


def normalized(ret: Any, reference: tuple[float, float]) -> Any:
    """``(ret - random) / (value - random)`` of a return or an array of them."""
    value, random = reference
    return (ret - random) / (value - random)


def score_table(rows: list[dict], labels: list[tuple[str, str]]) -> ScoreTable:
    """The rows' normalized scores per agent and task, ``labels`` the ``(task, agent)`` of each row
    (:func:`~baselines.compare.report.group_labels`: settings are never pooled).  An agent's tasks keep the same number of runs (rliable's array): where a
    task has more, the runs with the lowest seeds are kept, and the report says so."""
    cache: dict = {}
    runs: dict[str, dict[str, list[tuple[int, float, dict]]]] = {}
    table = ScoreTable()
    for row, (task, agent) in zip(rows, labels):
        reference = reference_of(row, cache)
        if isinstance(reference, str):
            note = f"{task}: {reference}"
            if note not in table.left_out:
                table.left_out.append(note)
            continue
        score = row.get("normalized_score")
        if score is None and row["return"] is not None:
            score = normalized(row["return"], reference)
        if score is None or not math.isfinite(score):
            table.left_out.append(f"{task}, {agent}, seed {row['seed']}: no finite return")
            continue
        runs.setdefault(agent, {}).setdefault(task, []).append((row["seed"], float(score), row))
    for agent, by_task in runs.items():
        tasks = sorted(by_task)
        n = min(len(by_task[t]) for t in tasks)
        for t in tasks:
            if len(by_task[t]) > n:
                table.left_out.append(f"{t}, {agent}: {len(by_task[t])} runs, the first {n} by seed kept")
        kept = {t: sorted(by_task[t], key=lambda r: r[0])[:n] for t in tasks}
        table.scores[agent] = np.array([[kept[t][i][1] for t in tasks] for i in range(n)])
        table.tasks[agent] = tasks
        table.seeds[agent] = [[r[0] for r in kept[t]] for t in tasks]
        table.rows[agent] = [[r[2] for r in kept[t]] for t in tasks]
    return table


def _interval_text(point: float, low: float, high: float) -> str:
    if math.isnan(low):
        return f"{point:.3f} (one run)"
    return f"{point:.3f} [{low:.3f}, {high:.3f}]"


def aggregate_lines(table: ScoreTable, reps: int = stats.REPS) -> list[str]:
    """Markdown: per agent its tasks and runs, then each of :data:`baselines.stats.AGGREGATES`
    with its stratified-bootstrap 95 % interval."""
    names = list(stats.AGGREGATES)
    lines = [
        "| agent | tasks | runs per task | " + " | ".join(f"{n} [95 % CI]" for n in names) + " |",
        "|---|---|---|" + "---|" * len(names),
    ]
    for agent, scores in table.scores.items():
        est = stats.interval_estimate(stats.all_aggregates, scores, reps=reps)
        cells = [_interval_text(*map(float, v)) for v in zip(est.point, est.low, est.high)]
        lines.append(f"| {agent} | {len(table.tasks[agent])} | {scores.shape[0]} | " + " | ".join(cells) + " |")
    return lines


def common_tasks(table: ScoreTable, a: str, b: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The score columns of agents ``a`` and ``b`` on the tasks both ran."""
    shared = [t for t in table.tasks[a] if t in table.tasks[b]]
    pick = {x: [table.tasks[x].index(t) for t in shared] for x in (a, b)}
    return table.scores[a][:, pick[a]], table.scores[b][:, pick[b]], shared


def improvement_lines(table: ScoreTable, reps: int = stats.REPS) -> list[str]:
    """Markdown: P(X > Y) with its 95 % interval for every pair of agents with tasks in common."""
    lines = ["| X | Y | common tasks | P(X > Y) [95 % CI] |", "|---|---|---|---|"]
    agents = list(table.scores)
    for i, a in enumerate(agents):
        for b in agents[i + 1 :]:
            x, y, shared = common_tasks(table, a, b)
            if shared:
                est = stats.interval_estimate(stats.probability_of_improvement, x, y, reps=reps)
                text = _interval_text(float(est.point), float(est.low), float(est.high))
                lines.append(f"| {a} | {b} | {len(shared)} | {text} |")
    return lines if len(lines) > 2 else []


def training_curves(rows: list[list[dict]], logs: dict[int, dict], reference: dict[int, Any]) -> np.ndarray:
    """``(runs, tasks, points)``: each run's normalized training return (smoothed as the report's
    curves) at the fractions :data:`BUDGET_GRID` of its budget."""
    tasks = []
    for task_rows in rows:
        runs = []
        for row in task_rows:
            log = logs[id(row)]
            curve = smooth(curve_on_grid(log["end_steps"], log["returns"], BUDGET_GRID * row["steps"]), 5)
            runs.append(normalized(curve, reference[id(row)]))
        tasks.append(runs)
    return np.transpose(np.array(tasks, dtype=float), (1, 0, 2))


def sample_efficiency_data(table: ScoreTable, records: list[dict]) -> dict[str, tuple[np.ndarray, stats.Interval]]:
    """Per agent, the budget fractions where every run has a finite training return, and the IQM
    of the normalized training returns there with its interval, on the agent's tasks whose
    reference is of the episode return (a training log holds episode returns)."""
    logs = {id(r["row"]): r["log"] for r in records}
    cache: dict = {}
    out = {}
    for agent, all_rows in table.rows.items():
        rows = [task_rows for task_rows in all_rows if all(map(evaluation.undiscounted_reference, task_rows))]
        if not rows:
            continue
        reference = {id(row): reference_of(row, cache) for task_rows in rows for row in task_rows}
        curves = training_curves(rows, logs, reference)
        finite = np.isfinite(curves).all(axis=(0, 1))
        if finite.any():
            out[agent] = (BUDGET_GRID[finite], stats.sample_efficiency(curves[:, :, finite]))
    return out


def plot_aggregates(table: ScoreTable, records: list[dict], folder: Path, reps: int = stats.REPS) -> None:
    """In ``folder``: ``intervals.png`` (each aggregate with its interval, per agent),
    ``performance_profile.png`` (the fraction of runs above each normalized score, with 95 %
    bands) and, where some agent learned from episodes, ``sample_efficiency.png`` (the IQM of
    normalized training returns against the fraction of the budget, with 95 % bands)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    agents = list(table.scores)
    height = 1.4 + 0.45 * len(agents)
    fig, axes = plt.subplots(1, len(stats.AGGREGATES), figsize=(3.2 * len(stats.AGGREGATES), height))
    estimates = [stats.interval_estimate(stats.all_aggregates, table.scores[a], reps=reps) for a in agents]
    for k, (ax, name) in enumerate(zip(axes, stats.AGGREGATES)):
        for i, est in enumerate(estimates):
            low, high = est.low[k], est.high[k]
            if not math.isnan(low):
                ax.barh(i, high - low, left=low, height=0.6, color=f"C{i}", alpha=0.6)
            ax.plot([est.point[k]], [i], "k|", ms=14)
        ax.set_yticks(range(len(agents)), agents if k == 0 else [""] * len(agents))
        ax.set_ylim(-0.6, len(agents) - 0.4)
        ax.set_title(name)
        ax.set_xlabel("normalized score")
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    save_figure(fig, folder / "intervals.png")

    pooled = np.concatenate([s.ravel() for s in table.scores.values()])
    taus = np.linspace(min(0.0, pooled.min()), max(1.0, pooled.max()), 101)
    profiles = [
        (
            f"{agent} ({len(table.tasks[agent])} tasks)",
            taus,
            stats.interval_estimate(lambda x: stats.performance_profile(x, taus), table.scores[agent], reps=2_000),
        )
        for agent in agents
    ]
    _plot_bands(profiles, "normalized score τ", "fraction of runs with score > τ", folder / "performance_profile.png")

    curves = sample_efficiency_data(table, records)
    if not curves:  # no agent learned from episodes (a planner): no curve to draw
        return
    _plot_bands(
        [(agent, x, est) for agent, (x, est) in curves.items()],
        "fraction of the training budget",
        "IQM of the normalized training return",
        folder / "sample_efficiency.png",
    )


def _plot_bands(lines: list[tuple[str, np.ndarray, stats.Interval]], xlabel: str, ylabel: str, path: Path) -> None:
    """One figure of ``lines`` (label, x, interval estimate over x), each with its 95 % band where
    the estimate has one."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (label, x, est) in enumerate(lines):
        ax.plot(x, est.point, color=f"C{i}", label=label)
        if not np.isnan(est.low).any():
            ax.fill_between(x, est.low, est.high, color=f"C{i}", alpha=0.2)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def regret_lines(records: list[dict], labels: list[tuple[str, str]], reps: int = stats.REPS) -> list[str]:
    """Markdown: for each environment with an exact optimum and agent that learned (a training
    log), the cumulative regret of its training episodes, per step, and the area under its
    learning curve (the mean training return over the budget), each the mean over runs with a
    bootstrap 95 % interval."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for rec, label in zip(records, labels):
        row = rec["row"]
        exact = row.get("reference_low") is not None and row["reference_low"] == row.get("reference_high")
        if exact and evaluation.undiscounted_reference(row) and len(rec["log"]["returns"]) >= 2:
            groups.setdefault(label, []).append(rec)
    if not groups:
        return []
    lines = [
        "| environment | agent | runs | optimum | regret (sum of optimum − return) | regret per step | "
        "mean training return over the budget |",
        "|---|---|---|---|---|---|---|",
    ]
    for (env, agent), recs in groups.items():
        optimum = recs[0]["row"]["reference"]
        regret = np.array([[stats.cumulative_regret(r["log"]["returns"], r["row"]["reference"])[-1]] for r in recs])
        per_step = regret / np.array([[r["log"]["end_steps"][-1]] for r in recs])
        area = np.array([[stats.area_under_curve(r["log"]["end_steps"], r["log"]["returns"])] for r in recs])
        cells = []
        for values in (regret, per_step, area):
            if not np.isfinite(values).all():
                cells.append("diverged")
                continue
            est = stats.interval_estimate(stats.aggregate_mean, values, reps=reps)
            cells.append(
                f"{float(est.point):.4g}"
                + ("" if math.isnan(est.low) else f" [{float(est.low):.4g}, {float(est.high):.4g}]")
            )
        env, agent = (t.replace("|", "\\|") for t in (env, agent))
        lines.append(f"| {env} | {agent} | {len(recs)} | {optimum:.4g} | " + " | ".join(cells) + " |")
    return lines


def discounted_lines(table: ScoreTable) -> list[str]:
    """Markdown: the tasks whose scores are of a discounted return (their rows' return and
    reference both, as a measure such as ``discounted_reward`` reports them), so that no reader
    takes them for episode returns; none if there are none."""
    found = sorted(
        {
            f"{task} (gamma = {row['reference_gamma']:g})"
            for agent, tasks in table.tasks.items()
            for task, task_rows in zip(tasks, table.rows[agent])
            for row in task_rows
            if row.get("reference") is not None and row.get("reference_gamma", 1.0) != 1.0
        }
    )
    if not found:
        return []
    return [
        "Scored by a discounted return, the quantity of their reference (the average discounted reward "
        "from the start, as the POMDP literature scores), not by the episode return:",
        "",
        *(f"* {task}" for task in found),
    ]


def write_scores(table: ScoreTable, out: Path) -> None:
    """In ``out``: ``scores.npz`` (rliable's ``{agent: array[runs, tasks]}``) and ``scores.json``
    (the same arrays with their task labels and run seeds, and what was left out)."""
    buf = io.BytesIO()
    arrays: dict[str, Any] = dict(table.scores)  # agent names as keyword names
    np.savez(buf, **arrays)
    atomic_write_bytes(out / "scores.npz", buf.getvalue())
    data = {
        "layout": LAYOUT,
        "agents": {
            agent: {"tasks": table.tasks[agent], "seeds": table.seeds[agent], "scores": scores.tolist()}
            for agent, scores in table.scores.items()
        },
        "left_out": table.left_out,
    }
    atomic_write_bytes(out / "scores.json", json.dumps(data, indent=1).encode())


def write_aggregate(records: list[dict], labels: list[tuple[str, str]], out: Path, reps: int = stats.REPS) -> list[str]:
    """Every aggregate output of a comparison in ``out``: ``aggregate.md`` (returned as lines),
    ``aggregate/*.png`` and the scores' export; ``labels`` the ``(task, agent)`` of each record."""
    table = score_table([r["row"] for r in records], labels)
    write_scores(table, out)
    lines = ["## Aggregate over environments (normalized scores, Agarwal et al. 2021)", ""]
    if table.scores:
        lines += aggregate_lines(table, reps) + [""]
        discounted = discounted_lines(table)
        lines += discounted + [""] if discounted else []
        improvement = improvement_lines(table, reps)
        lines += (
            (["Probability of improvement on the tasks both agents ran:", ""] + improvement + [""])
            if improvement
            else []
        )
        plot_aggregates(table, records, out / "aggregate", reps)
    else:
        lines += ["No task has a reference value: no normalized score to aggregate.", ""]
    if table.left_out:
        lines += ["Left out:", ""] + [f"* {reason}" for reason in table.left_out] + [""]
    regret = regret_lines(records, labels, reps)
    if regret:
        lines += ["## Regret of the training episodes (environments with an exact optimum)", ""] + regret + [""]
    atomic_write_bytes(out / "aggregate.md", "\n".join(lines).encode())
    return lines
