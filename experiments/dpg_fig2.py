"""Figure 2 of Silver et al. 2014 (Deterministic Policy Gradient Algorithms), §5.2: SAC, OffPAC
and COPDAC-Q with linear tile-coded function approximation on mountain car (RLPark's, from its
fixed start and from its uniform box), the swing pendulum and 2-D puddle world, every point the
test return of the mean (deterministic) policy, every task beside its reference (the optimum and
the random policy, ``env.unwrapped.reference()``).

    python experiments/dpg_fig2.py [--out results/dpg_fig2] [--seeds 30] [--tuning-seeds 2]
                                   [--test-episodes 10]
                                   [--workers 2 | --backend ray [--address HOST:PORT]]
                                   [--tasks ...] [--agents ...] [--steps-scale 1.0] [--grid full|ci]
                                   [--figure docs/reports/dpg_fig2.png]

Protocol (docs/reports/dpg-fig2.md): for each (task, agent) the step sizes of ``GRIDS`` are swept on
the tuning seeds 1000, 1001, ... (``baselines.seeds.TUNING``, never the reported ones) over half
the task's steps (``--sweep-fraction``), each setting scored by the mean test return over the
second half of its checkpoints; the best setting then runs the full steps on the training seeds
0..29.  All the members of one batch (settings x tuning seeds, or the 30 reported seeds) run as
one :class:`~baselines.linear.tile_actor_critic.SeedBatch` array program.  At evenly spaced
checkpoints (``CHECKPOINTS`` in the final runs, ``SWEEP_CHECKPOINTS`` in the sweep) each run's
mean policy θᵀφ(s) plays ``--test-episodes`` test episodes of its own test stream
(:func:`baselines.seeds.checkpoint_test_seeds`): a tuning run's episodes are tuning episodes, so
the step sizes are chosen on runs and episodes that no reported number comes from.

Each batch is a cell of ``python -m baselines compare`` naming the measure ``seed_batch``
(``baselines.compare.measures``), its members, checkpoints and test seed in the cell: first the
sweep cells, one per (task, agent), then the final cells, one per (task, agent) with its chosen
setting.  Cells are written atomically to ``<out>/cells/`` as they finish, with the test returns
and step counts in the record's ``measurements``; a killed run resumes with the cells still
missing (a changed protocol is another cell), and ``--backend ray`` spreads them over a Ray
cluster (docs/cluster.md).  From the cell files: ``<out>/fig2.png`` (and ``--figure``),
``<out>/table.md`` (returns, normalized scores with their 95 % intervals, the references and the
paper), ``<out>/tasks.md`` (each task's reference, untrained return and the paper's readings),
``<out>/settings.md`` (the chosen step sizes), ``<out>/sweep.md``, ``<out>/results.json`` (each
final run's seed and test seeds, and the run's provenance) and ``<out>/provenance.md`` (the
provenance, for the page).
"""

from __future__ import annotations

import itertools
import json
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import gymnasium as gym

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The comparison machinery (seconds to import) is imported where cells run, after the arguments
# are checked.
import rl_envs  # noqa: F401
from baselines.cli import Parser, check_cluster_options, cluster_options, count, number, output_file, output_folder
from baselines.curves import mean_and_band
from baselines.evaluation import reference_of
from baselines.io import atomic_write_bytes, save_figure
from baselines.linear import TileCOPDACQ, TileOffPAC, TileSAC
from baselines.provenance import Provenance, read as read_provenance, write_markdown
from baselines.seeds import EPISODES_PER_CHECKPOINT, TRAINING, TUNING, check_seeds, seed_summary

if TYPE_CHECKING:
    from baselines import compare as cmp
    from baselines.stats import Interval
    from rl_envs.core import Reference

# Silver et al. 2014, §5.2: γ per task, episodes cut at 5000 steps (the envs' default).  The
# paper runs 1e5 steps on mountain car and 5e5 on the others; we stop all at 1e5, where our
# curves have long reached their plateaus (docs/reports/dpg-fig2.md), to fit the run in an hour.
# Mountain car pays -1 on every step, the goal's included, as RLPark's MountainCar does; the paper
# does not say where its car starts, so both of RLPark's starts are measured: its fixed (-0.5, 0)
# and its uniform box (docs/reports/dpg-fig2.md, "Which mountain car").
RLPARK_CAR = {"env_id": "rl_envs/MountainCarRLPark-v0", "gamma": 0.99, "steps": 100_000}
TASKS = {
    "mountain car (fixed start)": {**RLPARK_CAR, "env_kwargs": {"start": "fixed", "goal_reward": -1.0}},
    "mountain car (uniform start)": {**RLPARK_CAR, "env_kwargs": {"start": "random", "goal_reward": -1.0}},
    "pendulum": {"env_id": "rl_envs/SwingPendulum-v0", "env_kwargs": {}, "gamma": 0.99, "steps": 100_000},
    "puddle world": {"env_id": "rl_envs/PuddleWorld-v0", "env_kwargs": {}, "gamma": 0.999, "steps": 100_000},
}
AGENTS = {"SAC": TileSAC, "OffPAC": TileOffPAC, "COPDAC-Q": TileCOPDACQ}
# Step sizes before the agents divide them by n_tilings (10): a product grid per agent.
GRIDS = {
    "SAC": {"alpha_u": (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0), "alpha_v": (0.1, 1.0)},
    "OffPAC": {"alpha_u": (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0), "alpha_v": (0.1, 1.0)},
    "COPDAC-Q": {"alpha_theta": (1e-4, 1e-3, 1e-2, 1e-1, 1.0), "alpha_w": (0.01, 0.1, 1.0, 10.0), "alpha_v": (1.0,)},
}
# A smoke grid for CI (--grid ci): a few settings, to check the machinery and learning progress.
CI_GRIDS = {
    "SAC": {"alpha_u": (0.01, 0.1), "alpha_v": (1.0,)},
    "OffPAC": {"alpha_u": (0.01, 0.1), "alpha_v": (1.0,)},
    "COPDAC-Q": {"alpha_theta": (0.1,), "alpha_w": (0.01, 0.1), "alpha_v": (1.0,)},
}
GRID_OF = {"full": GRIDS, "ci": CI_GRIDS}
CHECKPOINTS = 11  # final runs: test points at 0, 10 %, ..., 100 % of the steps
SWEEP_CHECKPOINTS = 11  # sweep runs: 0, 10 %, ..., 100 % of their steps

# Silver et al. 2014, Fig. 2, read off by eye (about ±20 %): (steps, total reward per episode).
# Its mountain car is set beside the fixed start only: every curve of its panel starts near -5000,
# which the untrained policy (action 0) scores from (-0.5, 0) and not from the uniform box
# (``tasks_table``'s "untrained" column); a task without readings has no paper column.
PAPER = {
    ("mountain car (fixed start)", "COPDAC-Q"): [(5e3, -800), (2e4, -300), (1e5, -300)],
    ("mountain car (fixed start)", "OffPAC"): [(1.5e4, -700), (2.7e4, -1500), (5e4, -300)],
    ("mountain car (fixed start)", "SAC"): [(3e4, -1400), (9e4, -3000)],
    ("pendulum", "COPDAC-Q"): [(2.5e4, 3600), (1.5e5, 4900), (5e5, 4500)],
    ("pendulum", "OffPAC"): [(1e5, 0), (3e5, 2600), (4.5e5, 4600)],
    ("pendulum", "SAC"): [(3e5, 2450), (5e5, 2450)],
    ("puddle world", "COPDAC-Q"): [(1e5, -2500), (5e5, -2900)],
    ("puddle world", "OffPAC"): [(2.5e4, -5000), (5e5, -5000)],
    ("puddle world", "SAC"): [(5e5, -3800)],
}
# The same figure: where every curve starts (t = 0), and COPDAC-Q's plateau.
PAPER_START = {"mountain car (fixed start)": -5000.0, "pendulum": -5000.0, "puddle world": -20000.0}
PLATEAU = {"mountain car (fixed start)": -300.0, "pendulum": 4500.0, "puddle world": -2900.0}


def settings(agent: str, grids: dict) -> list[dict]:
    grid = grids[agent]
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def setting_name(setting: dict) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in setting.items())


def protocol(
    task: str, steps_scale: float, sweep: bool, sweep_fraction: float = 0.5, episodes: int = EPISODES_PER_CHECKPOINT
) -> dict:
    """A batch's env and its arguments, γ, steps, checkpoints and test episodes per checkpoint
    (the sweep runs ``sweep_fraction`` of the task's steps)."""
    steps = round(TASKS[task]["steps"] * steps_scale * (sweep_fraction if sweep else 1))
    n = SWEEP_CHECKPOINTS if sweep else CHECKPOINTS
    return {
        "env_id": TASKS[task]["env_id"],
        "env_kwargs": dict(TASKS[task]["env_kwargs"]),
        "gamma": TASKS[task]["gamma"],
        "steps": steps,
        "checkpoints": np.linspace(0, steps, n).round().astype(int).tolist(),
        "episodes": episodes,
    }


def batch_cell(agent: str, proto: dict, members: list[tuple[int, dict]]) -> cmp.Cell:
    """The (seed, setting) members as one compare cell measuring ``seed_batch``
    (``baselines.compare.measures``): one SeedBatch, tested at the protocol's checkpoints."""
    from baselines import compare as cmp

    measure = {
        "name": "seed_batch",
        "members": [[s, m] for s, m in members],
        "checkpoints": proto["checkpoints"],
        "episodes": proto["episodes"],
    }
    (cell,) = cmp.cells_from_config(
        {
            "runs": [
                {
                    "env": proto["env_id"],
                    "env_kwargs": proto["env_kwargs"],
                    "steps": proto["steps"],
                    "seeds": [members[0][0]],
                    "eval_episodes": 1,
                    "agents": {AGENTS[agent].__name__: {"gamma": proto["gamma"]}},
                    "measure": measure,
                }
            ]
        }
    )
    return cell


def sweep_cell(task: str, agent: str, args) -> cmp.Cell:
    """Every setting of the grid on every tuning seed (settings outer), half the steps."""
    tuning = check_seeds(TUNING[: args.tuning_seeds], "--tuning-seeds", expected="tuning")
    members = [(s, setting) for setting in settings(agent, GRID_OF[args.grid]) for s in tuning]
    proto = protocol(task, args.steps_scale, True, args.sweep_fraction, args.test_episodes)
    return batch_cell(agent, proto, members)


def final_cell(task: str, agent: str, chosen: dict, args) -> cmp.Cell:
    """The chosen setting on the reported (training) seeds 0..N-1, the full steps."""
    seeds = check_seeds(TRAINING[: args.seeds], "--seeds", expected="training")
    proto = protocol(task, args.steps_scale, False, episodes=args.test_episodes)
    return batch_cell(agent, proto, [(s, chosen) for s in seeds])


def by_setting(record: dict) -> dict[str, dict]:
    """A batch cell's record split by setting (in the members' order): name -> the setting's
    ``setting``, ``seeds``, ``returns``, ``member_steps`` and ``test_seeds`` (member, checkpoint,
    episode), with the batch's protocol."""
    cell, measured = record["cell"], record["measurements"]
    measure = cell["measure"]
    proto = {
        "env_id": cell["env"],
        "env_kwargs": cell["env_kwargs"],
        "gamma": cell["agent_kwargs"]["gamma"],
        "steps": cell["steps"],
        "checkpoints": measure["checkpoints"],
        "episodes": measure["episodes"],
    }
    out = {}
    per_member = zip(measure["members"], measured["returns"], measured["member_steps"], measured["test_seeds"])
    for (seed, setting), returns, steps, test_seeds in per_member:
        rec = out.setdefault(
            setting_name(setting), dict(proto, setting=setting, seeds=[], returns=[], member_steps=[], test_seeds=[])
        )
        rec["seeds"].append(seed)
        rec["returns"].append(returns)
        rec["member_steps"].append(steps)
        rec["test_seeds"].append(test_seeds)
    return out


def score(returns) -> float:
    """A sweep setting's score: the mean test return over the second half of the checkpoints."""
    r = np.asarray(returns, dtype=float)
    return float(np.mean(r[:, r.shape[1] // 2 :]))


def best_setting(records: dict) -> dict:
    """The setting of the best-scoring record (a diverged run's NaN scores as -inf)."""
    scored = [
        (score(r["returns"]) if np.all(np.isfinite(r["returns"])) else -math.inf, name, r)
        for name, r in records.items()
    ]
    return max(scored, key=lambda x: x[0])[2]["setting"]


def run_cells(cells: list[cmp.Cell], out: Path, backend, plot_only: bool) -> dict[str, dict]:
    """The records of ``cells`` by key: run the missing ones (unless ``plot_only``: then only
    the finished ones)."""
    from baselines import compare as cmp

    if not plot_only:
        result = cmp.compare(cells, out, backend, outputs=False)
        if result.failed:
            raise SystemExit("\n".join(f"FAILED {c.key}: {e}" for c, e in result.failed))
    records = {}
    for cell in cells:
        path = out / "cells" / f"{cell.key}.json"
        record, _ = cmp.read_cell(path) if path.exists() else (None, None)
        if record is not None:
            records[cell.key] = record
    return records


def final_return(rec: dict) -> tuple[float, float]:
    """Mean and 95 % half-width over the runs of the test return at the last checkpoint."""
    mean, half = mean_and_band(np.asarray(rec["returns"], dtype=float)[:, -1:])
    return float(mean[0]), float(half[0])


def run_plateaus(rec: dict) -> np.ndarray:
    """Each run's mean test return over the second half of the checkpoints (the sweep's score;
    each run's own test episodes there), ``(runs,)``: NaN for a diverged run."""
    r = np.asarray(rec["returns"], dtype=float)
    return r[:, r.shape[1] // 2 :].mean(axis=1)


def plateau_return(rec: dict) -> tuple[float, float]:
    """Mean and 95 % half-width over the runs of :func:`run_plateaus`."""
    mean, half = mean_and_band(run_plateaus(rec)[:, None])
    return float(mean[0]), float(half[0])


def task_reference(task: str) -> Reference | None:
    """The task's reference record (``env.unwrapped.reference()``: the optimum's bounds and the
    uniformly random policy's return, undiscounted), or None if its env has none."""
    env = gym.make(TASKS[task]["env_id"], **TASKS[task]["env_kwargs"])
    try:
        return reference_of(env)
    finally:
        env.close()


def normalized_score(rec: dict, ref: Reference) -> Interval:
    """The mean over the runs of each run's :func:`run_plateaus` normalized by ``ref`` (0 the
    random policy, 1 the optimum's best estimate), with its 95 % bootstrap interval over the runs
    (:func:`baselines.stats.interval_estimate`); diverged runs are left out (the table counts them)."""
    from baselines.stats import aggregate_mean, interval_estimate

    plateaus = run_plateaus(rec)
    scores = [ref.normalize(float(x))[0] for x in plateaus[np.isfinite(plateaus)]]
    return interval_estimate(aggregate_mean, np.asarray(scores)[:, None])


STYLE = {"SAC": dict(color="C3", ls="--"), "OffPAC": dict(color="C2", ls="-."), "COPDAC-Q": dict(color="C0", ls="-")}


def plot(finals: dict, path: Path, label: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in TASKS if any(k[0] == t for k in finals)]
    cols = min(2, len(tasks))
    rows = -(-len(tasks) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4.2 * rows), squeeze=False)
    for ax in axes.ravel()[len(tasks) :]:
        ax.set_visible(False)
    for ax, task in zip(axes.ravel(), tasks):
        for agent in AGENTS:
            rec = finals.get((task, agent))
            if rec is None:
                continue
            returns = np.asarray(rec["returns"], dtype=float)
            steps = np.asarray(rec["checkpoints"])
            mean, half = mean_and_band(returns)
            ax.plot(steps, mean, label=f"{agent} ({len(returns)} runs)", **STYLE[agent])
            ax.fill_between(steps, mean - half, mean + half, color=STYLE[agent]["color"], alpha=0.2)
            pts = [(t, v) for t, v in PAPER.get((task, agent), []) if t <= 1.05 * steps[-1]]  # the paper ran longer
            if pts:
                ax.plot(
                    [t for t, _ in pts],
                    [v for _, v in pts],
                    "x",
                    color=STYLE[agent]["color"],
                    ms=7,
                    label=f"{agent}, paper (read off)",
                )
        if task in PLATEAU:
            ax.axhline(PLATEAU[task], color=STYLE["COPDAC-Q"]["color"], ls=":", lw=1, label="COPDAC-Q, paper's plateau")
        ref = task_reference(task)
        if ref is not None:
            ax.axhline(ref.value, color="k", ls=(0, (1, 3)), lw=1, label="optimum (reference)")
        ax.set_title(task if task in PAPER_START else f"{task}: not in the paper")
        ax.set_xlabel("time steps")
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    for row in axes:
        row[0].set_ylabel("total reward per episode (mean policy)")
    # one legend under the panels, so that none hides a curve
    legend = {}
    for ax in axes.ravel()[: len(tasks)]:
        legend.update(zip(*ax.get_legend_handles_labels()[::-1]))
    fig.legend(legend.values(), legend.keys(), loc="lower center", ncol=4, fontsize=8, frameon=False)
    if label:
        fig.suptitle(label, fontsize=9)
    fig.tight_layout(rect=(0, 0.1 / rows, 1, 1))
    save_figure(fig, path, dpi=100)


def signed(x: float, digits: int = 0) -> str:
    """A number with its sign, the minus sign typographic (−), as the pages write them (no −0)."""
    x = float(x)
    if round(x, digits) == 0:
        return f"{0:.{digits}f}"
    return f"{x:+,.{digits}f}".replace("-", "−")


def fraction(x: float) -> str:
    """A normalized score: three decimals, the minus sign typographic, no −0."""
    return signed(x, 3).lstrip("+")


def table(finals: dict) -> str:
    """Each (task, agent)'s test return and normalized score beside its task's reference
    (docs/reports/dpg-fig2.md; the paper's readings are in :func:`tasks_table` and the figure)."""
    rows = [
        "| task | agent | return, 2nd half | last checkpoint | normalized, 2nd half | optimum (random) |",
        "|---|---|--:|--:|--:|--:|",
    ]
    refs = {task: task_reference(task) for task in {t for t, _ in finals}}
    for (task, agent), rec in finals.items():
        last, last_half = final_return(rec)
        mean, half = plateau_return(rec)
        ref = refs[task]
        diverged = int(np.sum(~np.isfinite(run_plateaus(rec))))
        norm = ""
        if ref is not None and diverged < len(rec["seeds"]):
            score = normalized_score(rec, ref)
            norm = f"{fraction(score.point)} [{fraction(score.low)}, {fraction(score.high)}]"
        rows.append(
            f"| {task} | {agent} | {signed(mean)} ± {half:,.0f}{f' ({diverged} diverged)' if diverged else ''} | "
            f"{signed(last)} ± {last_half:,.0f} | {norm} | "
            f"{'' if ref is None else f'{signed(ref.value, 1)} ({signed(ref.random)})'} |"
        )
    return "\n".join(rows) + "\n"


def tasks_table(finals: dict) -> str:
    """Per task: the reference (the optimum's bounds, the random policy's return), the untrained
    mean policy's test return (checkpoint 0: action 0 everywhere, the same for every agent), and
    the paper's readings where it is set beside the task."""
    rows = [
        "| task | optimum [bounds] | random policy | untrained (t = 0) | paper at t = 0 | "
        "paper's COPDAC-Q plateau (normalized) |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for task in [t for t in TASKS if any(k[0] == t for k in finals)]:
        ref = task_reference(task)
        starts = np.concatenate(
            [np.asarray(r["returns"], dtype=float)[:, 0] for (t, _), r in finals.items() if t == task]
        )
        mean, half = mean_and_band(starts[:, None])
        optimum = "" if ref is None else f"{signed(ref.value, 1)} [{signed(ref.lower, 1)}, {signed(ref.upper, 1)}]"
        plateau = ""
        if task in PLATEAU:
            plateau = signed(PLATEAU[task])
            if ref is not None:
                plateau += f" ({fraction(ref.normalize(PLATEAU[task])[0])})"
        rows.append(
            f"| {task} | {optimum} | {'' if ref is None else signed(ref.random)} | "
            f"{signed(float(mean[0]))} ± {float(half[0]):,.0f} | "
            f"{signed(PAPER_START[task]) if task in PAPER_START else '—'} | {plateau or '—'} |"
        )
    return "\n".join(rows) + "\n"


def settings_table(finals: dict) -> str:
    """Each (task, agent)'s step sizes, chosen on the tuning seeds, and its runs that diverged."""
    rows = ["| task | agent | step sizes (before / n_tilings) | runs | diverged |", "|---|---|---|--:|--:|"]
    for (task, agent), rec in finals.items():
        diverged = int(np.sum(~np.isfinite(run_plateaus(rec))))
        rows.append(f"| {task} | {agent} | {setting_name(rec['setting'])} | {len(rec['seeds'])} | {diverged} |")
    return "\n".join(rows) + "\n"


def sweep_table(sweeps: dict) -> str:
    """Every setting's score on the tuning seeds, per (task, agent) of ``sweeps`` (its records by setting)."""
    rows = [
        "| task | agent | setting | score (tuning runs, 2nd half) | chosen |",
        "|---|---|---|---|---|",
    ]
    for (task, agent), records in sweeps.items():
        chosen = setting_name(best_setting(records))
        for name, rec in records.items():
            value = score(rec["returns"]) if np.all(np.isfinite(rec["returns"])) else math.nan
            rows.append(
                f"| {task} | {agent} | {name} | {value:+.0f}{'' if np.isfinite(value) else ' (diverged)'} | "
                f"{'**yes**' if name == chosen else ''} |"
            )
    return "\n".join(rows) + "\n"


def main(argv=None) -> dict:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=output_folder, default="results/dpg_fig2", help="results folder (an existing one is resumed)"
    )
    parser.add_argument("--seeds", type=count(1, len(TRAINING)), default=30, help="reported (training) seeds 0 .. N-1")
    parser.add_argument(
        "--tuning-seeds",
        type=count(1, len(TUNING)),
        default=2,
        help=f"tuning seeds {TUNING.start} .. {TUNING.start} + N - 1",
    )
    parser.add_argument(
        "--test-episodes",
        type=count(),
        default=EPISODES_PER_CHECKPOINT,
        help="test episodes per checkpoint, each run from its own test stream",
    )
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS), help="the tasks to run")
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=list(AGENTS), help="the agents to run")
    parser.add_argument(
        "--steps-scale", type=number(0, low_open=True), default=1.0, help="fraction of each task's steps (CI: 0.05)"
    )
    parser.add_argument("--grid", choices=("full", "ci"), default="full", help="GRIDS, or CI's smoke grid CI_GRIDS")
    parser.add_argument(
        "--sweep-fraction",
        type=number(0, 1, low_open=True),
        default=0.5,
        help="the sweep's share of each task's steps",
    )
    parser.add_argument("--workers", type=count(), default=2, help="local processes, one batch each (1: this process)")
    cluster_options(parser)
    parser.add_argument(
        "--figure",
        type=output_file,
        help="also write the figure here, e.g. docs/reports/dpg_fig2.png (default: only into --out)",
    )
    parser.add_argument("--label", default="", help="a title line for the figure (default: none)")
    parser.add_argument(
        "--plot-only",
        action="store_true",
        help="run nothing: plot and tabulate the finished final runs, the figure labelled if partial",
    )
    args = parser.parse_args(argv)
    check_cluster_options(parser, args)
    for sweep, n in ((True, SWEEP_CHECKPOINTS), (False, CHECKPOINTS)):
        steps = min(protocol(task, args.steps_scale, sweep, args.sweep_fraction)["steps"] for task in args.tasks)
        if steps < n - 1:
            parser.error(
                f"--steps-scale {args.steps_scale} (--sweep-fraction {args.sweep_fraction}) leaves "
                f"{'a sweep' if sweep else 'a final run'} {steps} steps, fewer than its {n} checkpoints need ({n - 1})"
            )
    from baselines.__main__ import make_backend

    provenance = Provenance()
    pairs = [(t, a) for t in args.tasks for a in args.agents]
    backend = None if args.plot_only else make_backend(args)
    # Phase 1, the sweeps; phase 2, each (task, agent)'s chosen setting on the reported seeds.
    of_sweep = {pair: sweep_cell(*pair, args) for pair in pairs}
    records = run_cells(list(of_sweep.values()), args.out, backend, args.plot_only)
    sweeps = {pair: by_setting(records[c.key]) for pair, c in of_sweep.items() if c.key in records}
    of_final = {pair: final_cell(*pair, best_setting(sweeps[pair]), args) for pair in sweeps}
    records = run_cells(list(of_final.values()), args.out, backend, args.plot_only)
    finals = {pair: next(iter(by_setting(records[c.key]).values())) for pair, c in of_final.items() if c.key in records}
    if len(finals) < len(pairs):
        args.label = (
            f"PARTIAL RUN: {len(finals)} of {len(pairs)} (task, agent) cells finished "
            f"({time.strftime('%Y-%m-%d %H:%M')}) {args.label}"
        ).strip()
    plot(finals, args.out / "fig2.png", args.label)
    if args.figure is not None:
        plot(finals, args.figure, args.label)
    entry = results_provenance(sweeps, finals, provenance)
    if args.plot_only:  # the figure is redrawn from cells another invocation ran: its provenance stays
        entry = read_provenance(args.out) or entry
    text = table(finals)
    atomic_write_bytes(args.out / "table.md", text.encode())
    atomic_write_bytes(args.out / "tasks.md", tasks_table(finals).encode())
    atomic_write_bytes(args.out / "settings.md", settings_table(finals).encode())
    write_markdown(args.out, entry)
    atomic_write_bytes(args.out / "sweep.md", sweep_table(sweeps).encode())
    runs = [{"task": task, "agent": agent, **rec} for (task, agent), rec in finals.items()]
    atomic_write_bytes(args.out / "results.json", json.dumps({"provenance": entry, "runs": runs}).encode())
    print(text)
    return finals


def results_provenance(sweeps: dict, finals: dict, provenance: Provenance) -> dict:
    """The run's provenance with the seeds of every sweep and final run and of their test episodes."""
    recs = [r for by_name in sweeps.values() for r in by_name.values()] + list(finals.values())
    return provenance.record(
        seed_summary((s for r in recs for s in r["seeds"]), (int(s) for r in recs for s in np.ravel(r["test_seeds"])))
    )


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
