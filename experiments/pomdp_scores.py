"""Scores of the belief agents on the classic partially observable mazes, next to published numbers.

Convention of the published hallway scores (Pineau, Gordon & Thrun 2003; docs/pomdp-mazes.md §2):
average discounted reward from b0, stopping at the first goal, 251 steps at most, enough runs for
a standard error of at most 0.01.  4x3 is scored under the files' reset rule (V*(b0) = 1.890).

    python experiments/pomdp_scores.py [--runs 2000] [--out results/pomdp_scores] [--layouts hallway ...]
                                       [--workers 2 | --backend ray [--address HOST:PORT]]

Each (layout, agent) is a cell of ``python -m baselines compare`` naming the measure
``discounted_reward`` (``baselines.compare.measures``): the agent plans or learns, then
discounted rollouts score it, and the record keeps the score in its ``measurements``.  Cells are
written atomically to ``<out>/cells/`` as they finish, so an interrupted run resumes with the
missing ones and ``--backend ray`` spreads them over a Ray cluster (docs/cluster.md); then
``results.csv``, ``results.json`` (the rows and the run's provenance, :mod:`baselines.provenance`),
``provenance.md`` and ``table.md`` (the table) are assembled from the cell files.  Perseus stops
at its ``time_limit`` on the hallways (150 s and 300 s of backups), so its scores there depend a
little on the machine's speed and load; every other cell is a pure function of its settings.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import gymnasium as gym

# The comparison machinery (seconds to import) is imported where cells run, after the arguments
# are checked.
import rl_envs  # noqa: F401
from baselines.cli import Parser, check_cluster_options, cluster_options, count, output_folder
from baselines.io import atomic_write_bytes, write_table
from baselines.provenance import Provenance, write_markdown

if TYPE_CHECKING:
    from baselines import compare as cmp

ID = "rl_envs/PartiallyObservableMaze-v0"

# (layout, goal mode) -> {agent: published value and its source}
PUBLISHED = {
    ("hallway", "terminate"): {
        "QMDP": "0.261 (Pineau+ 2003)",
        "Perseus": "PBVI 0.53, Perseus ~0.51, SARSOP ~0.52",
        "MostLikelyState": "0.459 (docs/pomdp-mazes.md §4)",
    },
    ("hallway2", "terminate"): {
        "QMDP": "0.109 (Pineau+ 2003)",
        "Perseus": "PBVI 0.34, Perseus ~0.35, SARSOP ~0.35",
        "MostLikelyState": "0.157 (docs/pomdp-mazes.md §4)",
    },
    ("cheese", "terminate"): {"QMDP": "0.823 (docs/pomdp-mazes.md §4)", "Perseus": "optimum 0.8242 (SARSOP)"},
    ("4x3", "reset"): {"QMDP": "1.882 (docs/pomdp-mazes.md §4)", "Perseus": "V*(b0) = 1.890 (SARSOP)"},
}
PERSEUS = {
    "hallway": dict(n_beliefs=3000, time_limit=150),
    "hallway2": dict(n_beliefs=3000, time_limit=300),
    "cheese": dict(n_beliefs=300),
    "4x3": dict(n_beliefs=1000, tol=1e-6),
}


# The table's agents: label -> (agent, its arguments on a layout and maze, training steps)
AGENTS = {
    "QMDP": ("QMDP", lambda layout, env: {}, 1),  # a planner takes no environment step
    "MostLikelyState": ("MostLikelyState", lambda layout, env: {}, 1),
    "Perseus": ("Perseus", lambda layout, env: PERSEUS[layout], 1),
    "QLearning (memoryless)": (
        "QLearning",
        lambda layout, env: {"gamma": env.unwrapped.model.gamma, "epsilon": (1.0, 0.05, 50_000)},
        100_000,
    ),
    "random": ("UniformRandom", lambda layout, env: {}, 1),
}


def cells(layouts, runs: int) -> list[tuple[str, cmp.Cell]]:
    """``(label, cell)`` for every agent on every layout: seed 0, scored by the measure
    ``discounted_reward`` over ``runs`` runs (4x3's returns spread wider, -20..+20: four times as many)."""
    from baselines import compare as cmp

    out = []
    for layout, mode in PUBLISHED:
        if layout in layouts:
            env_kwargs = {"layout": layout, "goal_mode": mode}
            env = gym.make(ID, **env_kwargs)
            measure = {"name": "discounted_reward", "runs": 4 * runs if layout == "4x3" else runs}
            out += [
                (label, cmp.Cell(ID, agent, 0, steps, env_kwargs, kwargs(layout, env), measure=measure))
                for label, (agent, kwargs, steps) in AGENTS.items()
            ]
    return out


def row(label: str, record: dict) -> dict:
    """A row of ``results.csv`` from a cell's record."""
    cell, m = record["cell"], record["measurements"]
    layout, mode = cell["env_kwargs"]["layout"], cell["env_kwargs"]["goal_mode"]
    score = {k: round(m[k], 4) for k in ("adr", "se", "success")}
    value_b0 = np.nan if m["planned_value_b0"] is None else m["planned_value_b0"]
    return {
        "layout": layout,
        "goal_mode": mode,
        "agent": label,
        **score,
        "median_steps": np.inf if m["median_steps"] is None else round(m["median_steps"], 4),
        "runs": m["runs"],
        "solve_seconds": round(m["solve_seconds"], 1),
        "planned_value_b0": round(value_b0, 4),
        "published": PUBLISHED[layout, mode].get(label, ""),
        "mdp_upper_bound": round(m["mdp_upper_bound"], 4),
    }


def main(argv=None):
    layouts = [layout for layout, _ in PUBLISHED]
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=count(low=2), default=2000, help="scoring runs per cell, for the mean and its standard error"
    )
    parser.add_argument(
        "--out", type=output_folder, default="results/pomdp_scores", help="results folder (an existing one is resumed)"
    )
    parser.add_argument("--layouts", nargs="+", choices=layouts, default=layouts, help="the mazes to score on")
    parser.add_argument("--workers", type=count(), default=2, help="local processes (1: this process)")
    cluster_options(parser)
    args = parser.parse_args(argv)
    check_cluster_options(parser, args)
    from baselines import compare as cmp
    from baselines.__main__ import make_backend
    from baselines.compare.report import records_provenance

    provenance = Provenance()
    out = args.out
    labelled = cells(args.layouts, args.runs)
    result = cmp.compare([c for _, c in labelled], out, make_backend(args), outputs=False)
    if result.failed:
        raise SystemExit("\n".join(f"FAILED {c.key}: {e}" for c, e in result.failed))
    records = [json.loads((out / "cells" / f"{c.key}.json").read_text()) for _, c in labelled]
    rows = [row(label, record) for (label, _), record in zip(labelled, records)]
    entry = records_provenance(records, provenance)
    write_table(rows, out, entry)
    write_markdown(out, entry)
    lines = [
        "| layout | mode | agent | ADR +- s.e. | success | median steps | solve s | published |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['layout']} | {r['goal_mode']} | {r['agent']} | {r['adr']:.3f} +- {r['se']:.3f} | "
            f"{100 * r['success']:.1f}% | {r['median_steps']} | {r['solve_seconds']} | {r['published']} |"
        )
    atomic_write_bytes(out / "table.md", ("\n".join(lines) + "\n").encode())
    print("\n".join(lines))


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
