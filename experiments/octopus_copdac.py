"""COPDAC-Q on the octopus arm, as in Silver et al. 2014, Fig. 3 (10 runs of 3e5 steps).

    python experiments/octopus_copdac.py [--steps 300000] [--seeds 10] [--out results/octopus_copdac] [--alpha-w 0.1]
                                         [--workers 2 | --backend ray [--address HOST:PORT]]

Each seed is a cell of ``python -m baselines compare`` (``baselines.compare``), written atomically
to ``<out>/cells/`` when it finishes, so an interrupted run resumes with the seeds still missing
and ``--backend ray`` spreads the seeds over a Ray cluster (docs/cluster.md); the cell's log
holds every training episode's return, end and whether it ended on a hit (terminated).  Then
``<out>/fig3.png`` plots return
per episode and steps to target against environment steps (mean over seeds), and the summary
checks our bar: mean steps to target over the last 20 episodes <= 100 in at least 8 of 10 seeds;
``<out>/table.md`` has one row per seed and the bar's count.
An episode without a hit counts as 300 steps (the paper's plot saturates there).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

# The comparison machinery (seconds to import) is imported where cells run, after the arguments
# are checked.
import rl_envs  # noqa: F401
from baselines.cli import Parser, check_cluster_options, cluster_options, count, number, output_folder
from baselines.io import atomic_write_bytes
from baselines.linear.settings import OCTOPUS_COPDAC_Q

HYPERPARAMETERS = OCTOPUS_COPDAC_Q
LAST = 20
BAR = 100
MAX_STEPS = 300  # the env's default step limit


def episodes(record: dict) -> dict:
    """A cell's training episodes: returns, lengths, end steps and hits (ended terminated)."""
    log = record["log"]
    return {
        "seed": record["cell"]["seed"],
        "steps": record["cell"]["steps"],
        "returns": log["returns"],
        "end_steps": log["end_steps"],
        "lengths": np.diff(log["end_steps"], prepend=0).tolist(),
        "hit": log["terminated"],
        "wall_time": record["row"]["wall_time_s"],
    }


def steps_to_target(rec: dict) -> np.ndarray:
    """Episode lengths, with MAX_STEPS for an episode that ended without a hit (also a numerical failure)."""
    return np.where(rec["hit"], rec["lengths"], MAX_STEPS).astype(float)


def on_grid(end_steps, values, grid):
    """The most recent episode's value at each grid point (NaN before the first episode)."""
    idx = np.searchsorted(np.asarray(end_steps), grid, side="right") - 1
    out = np.asarray(values, dtype=float)[np.clip(idx, 0, None)]
    out[idx < 0] = np.nan
    return out


def running_mean(values, window: int = LAST) -> np.ndarray:
    """Mean of the last ``window`` episodes (fewer at the start) after each episode."""
    c = np.cumsum(np.concatenate([[0.0], np.asarray(values, dtype=float)]))
    n = np.arange(1, len(c))
    start = np.maximum(n - window, 0)
    return (c[n] - c[start]) / (n - start)


def plot(records: list[dict], path: Path, steps: int) -> None:
    """Mean over seeds (bold, with a 95 % band) and each seed (thin) of the last-20-episode means."""
    import matplotlib.pyplot as plt

    grid = np.linspace(steps / 100, steps, 100)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (label, values) in zip(
        axes, (("return per episode", lambda r: r["returns"]), ("steps to target", steps_to_target))
    ):
        curves = np.array([on_grid(r["end_steps"], running_mean(values(r)), grid) for r in records])
        for curve in curves:
            ax.plot(grid, curve, c="grey", lw=0.6, alpha=0.6)
        mean = np.nanmean(curves, axis=0)
        half = 1.96 * np.nanstd(curves, axis=0) / np.sqrt(max(1, len(records)))
        ax.plot(grid, mean, lw=2, label=f"COPDAC-Q, mean of {len(records)} seeds (thin: each seed)")
        ax.fill_between(grid, mean - half, mean + half, alpha=0.3)
        ax.set_xlabel("environment steps")
        ax.set_ylabel(f"{label} (mean of the last {LAST} episodes)")
    axes[1].axhline(BAR, ls="--", c="grey", label=f"bar ({BAR})")
    axes[1].legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> None:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--steps",
        type=count(low=MAX_STEPS),
        default=300_000,
        help=f"environment steps per seed (at least one episode's {MAX_STEPS})",
    )
    parser.add_argument("--seeds", type=count(), default=10, help="seeds 0 .. N-1")
    parser.add_argument(
        "--out",
        type=output_folder,
        default="results/octopus_copdac",
        help="results folder (an existing one is resumed)",
    )
    parser.add_argument(
        "--alpha-w",
        type=number(low=0),
        default=HYPERPARAMETERS["alpha_w"],
        help="critic step size (0.03: the second run in the README)",
    )
    parser.add_argument("--workers", type=count(), default=2, help="local processes (1: this process)")
    cluster_options(parser)
    args = parser.parse_args(argv)
    check_cluster_options(parser, args)
    from baselines import compare as cmp
    from baselines.__main__ import make_backend

    out = args.out
    hyper = dict(HYPERPARAMETERS, alpha_w=args.alpha_w)
    cells = cmp.cells_from_config(
        {
            "runs": [
                {
                    "env": "rl_envs/OctopusArm-v0",
                    "steps": args.steps,
                    "seeds": args.seeds,
                    "eval_episodes": 1,
                    "agents": {"COPDACQ": hyper},
                }
            ]
        }
    )
    result = cmp.compare(cells, out, make_backend(args))
    if result.failed:
        raise SystemExit("\n".join(f"FAILED {c.key}: {e}" for c, e in result.failed))
    records = [episodes(json.loads((out / "cells" / f"{c.key}.json").read_text())) for c in cells]
    for rec in records:
        last = steps_to_target(rec)[-LAST:]
        print(
            f"seed {rec['seed']}: {len(rec['lengths'])} episodes, hits {sum(rec['hit'])}, "
            f"last {LAST}: steps to target {last.mean():.1f}, return {np.mean(rec['returns'][-LAST:]):.2f} "
            f"({rec['wall_time']:.0f} s)",
            flush=True,
        )
    plot(records, out / "fig3.png", args.steps)
    met = sum(steps_to_target(r)[-LAST:].mean() <= BAR for r in records)
    verdict = f"bar (mean steps to target over the last {LAST} episodes <= {BAR}): met in {met} of {len(records)} seeds"
    atomic_write_bytes(out / "table.md", markdown_table(records, hyper, verdict).encode())
    print(verdict)


def first_below(rec: dict, bar: float = BAR) -> str:
    """Environment steps at which the last-20-episode mean of steps to target first falls to the bar."""
    below = np.flatnonzero(running_mean(steps_to_target(rec)) <= bar)
    return f"{rec['end_steps'][below[0]]:,}" if len(below) else "never"


def markdown_table(records: list[dict], hyper: dict, verdict: str) -> str:
    """One row per seed (docs/reports/octopus-fig3.md includes it)."""
    lines = [
        f"Settings: {', '.join(f'{k} = {v}' for k, v in hyper.items() if not isinstance(v, (list, dict)))}; "
        f"{records[0]['steps']:,} steps per seed.",
        "",
        f"| seed | episodes | hits | steps to target, last {LAST} (mean) | return, last {LAST} (mean) | "
        f"first at <= {BAR} (env steps) | wall time (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in records:
        lines.append(
            f"| {r['seed']} | {len(r['lengths'])} | {sum(r['hit'])} | {steps_to_target(r)[-LAST:].mean():.1f} | "
            f"{np.mean(r['returns'][-LAST:]):.2f} | {first_below(r)} | {r['wall_time']:.0f} |"
        )
    return "\n".join(lines) + f"\n\n{verdict}.\n"


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
