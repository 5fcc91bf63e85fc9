"""Learning linear controllers on LQControl-v0, scored against the exact Riccati optimum.

    python experiments/lq.py [--seeds 10] [--seed-offset 0] [--out results/lq] [--plain-h100]
                             [--workers 2 | --backend ray [--address HOST:PORT]]

Every run starts from the stabilising gain K0 = [0.1, 0.3] on the double integrator (Recht's
setting: x0 = [-1, 0], noise covariance 1e-4 I) and records, after every rollout, the relative
gap (C(K) - C(K*)) / C(K*) of the current deterministic gain, where C is the environment's exact
expected episode cost (``expected_cost``) and C(K*) the optimum over all policies
(``optimal_cost``).  A gain that does not stabilise the system has an infinite gap.  Prints the
rollouts to reach 5 % and 1 %, the seeds that stayed stable throughout, and plots the gap
against rollouts (``gap.png``); ``table.md`` tabulates the same.  The continuous-time actor-critic runs on the continuous-time
double integrator (x'' = u, dt = 0.1, 10 s episodes) from K0 = [0.2, 0.5].

Each (run, seed) is a cell of ``python -m baselines compare`` naming the measure ``gain_gap``
(``baselines.compare.measures``), written atomically to ``<out>/cells/`` when it finishes with
its gap curve in the record's ``measurements``; an interrupted run resumes with the cells still
missing, ``--backend ray`` spreads them over a Ray cluster (docs/cluster.md), and the table and
plot are assembled from the cell files.

The step sizes were tuned on seeds 100 and up (``--seed-offset 100``), not on the reported
seeds 0-9; the improved REINFORCE's eta = 0.01 is half the smallest tried step (0.02) at which
a tuning seed crossed the stability boundary.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# The comparison machinery (seconds to import) is imported where cells run, after the arguments
# are checked.
from baselines.cli import Parser, check_cluster_options, cluster_options, count, output_folder
from baselines.io import atomic_write_bytes, save_figure
from baselines.linear import ContinuousTimeActorCritic, LinearReinforce
from baselines.linear.settings import LQ_K0, LQ_REINFORCE_IMPROVED
from baselines.provenance import Provenance, write_markdown

K0 = LQ_K0
K0_CT = [[0.2, 0.5]]
# name -> (agent class, agent hyperparameters, environment arguments, rollouts)
RUNS = {
    "REINFORCE+ h=10": (LinearReinforce, LQ_REINFORCE_IMPROVED, dict(max_steps=10), 2000),
    "REINFORCE+ h=100": (LinearReinforce, LQ_REINFORCE_IMPROVED, dict(max_steps=100), 1000),
    "REINFORCE (plain rule) h=10": (
        LinearReinforce,
        dict(eta=2e-4, sigma=0.1, update="step", K0=K0),
        dict(max_steps=10),
        4000,
    ),
    "CT actor-critic dt=0.1": (
        ContinuousTimeActorCritic,
        dict(tau=5.0, alpha_v=2.0, alpha_K=0.2, actor_delay=3000, sigma=0.2, K0=K0_CT),
        dict(dt=0.1, max_steps=100),
        300,
    ),
}
OPTIONAL_RUNS = {
    "REINFORCE (plain rule) h=100": (
        LinearReinforce,
        dict(eta=1e-5, sigma=0.1, update="step", K0=K0),
        dict(max_steps=100),
        8000,
    ),
}


def cells(runs: dict, seeds: list[int]) -> dict[str, list]:
    """Each run's cells: one a seed, measuring the gain's gap after every rollout
    (``baselines.compare.measures.gain_gap``) over ``rollouts * max_steps`` steps."""
    from baselines import compare as cmp

    return {
        name: cmp.cells_from_config(
            {
                "runs": [
                    {
                        "env": "rl_envs/LQControl-v0",
                        "env_kwargs": env_kwargs,
                        "steps": rollouts * env_kwargs["max_steps"],
                        "seeds": seeds,
                        "agents": {cls.__name__: hyper},
                        "measure": {"name": "gain_gap"},
                    }
                ]
            }
        )
        for name, (cls, hyper, env_kwargs, rollouts) in runs.items()
    }


def gaps(record: dict) -> list[float]:
    """A cell's gap curve, an unstable gain's (null in the file) infinite."""
    return [math.inf if g is None else g for g in record["measurements"]["gaps"]]


def rollouts_to(gaps, threshold: float) -> float:
    """First rollout after which the gap is within ``threshold`` (inf if never)."""
    hit = np.flatnonzero(np.asarray(gaps) <= threshold)
    return float(hit[0]) if len(hit) else math.inf


def summarize(curves: list[list[float]]) -> dict:
    r5 = [rollouts_to(g, 0.05) for g in curves]
    r1 = [rollouts_to(g, 0.01) for g in curves]
    return {
        "seeds": len(curves),
        "median_to_5pct": float(np.median(r5)),
        "worst_to_5pct": float(np.max(r5)),
        "median_to_1pct": float(np.median(r1)),
        "worst_to_1pct": float(np.max(r1)),
        "stable_throughout": int(sum(bool(np.all(np.isfinite(g))) for g in curves)),
        "initial_gap": float(curves[0][0]),
        "median_final_gap": float(np.median([g[-1] for g in curves])),
    }


def fmt_rollouts(x: float) -> str:
    return "never" if math.isinf(x) else f"{x:.0f}"


def markdown_table(table: dict) -> str:
    """The summary of every run as a Markdown table (docs/reports/lq-recht.md includes it)."""
    lines = [
        "| run | agent | horizon | seeds | initial gap | rollouts to 5 % (median / worst) | "
        "to 1 % (median / worst) | stable throughout | median gap at end (rollouts) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in table.items():
        lines.append(
            f"| {name} | {s['agent']} | {s['env']['max_steps']} | {s['seeds']} | {s['initial_gap']:.2f} | "
            f"{fmt_rollouts(s['median_to_5pct'])} / {fmt_rollouts(s['worst_to_5pct'])} | "
            f"{fmt_rollouts(s['median_to_1pct'])} / {fmt_rollouts(s['worst_to_1pct'])} | "
            f"{s['stable_throughout']}/{s['seeds']} | {100 * s['median_final_gap']:.2f} % ({s['rollouts']}) |"
        )
    return "\n".join(lines) + "\n"


def plot(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.6), squeeze=False)
    for ax, (name, curves) in zip(axes[0], results.items()):
        G = np.array(curves, dtype=float)
        G[~np.isfinite(G)] = np.nan  # unstable gains: a gap in the line
        x = np.arange(G.shape[1])
        with np.errstate(all="ignore"):
            ax.fill_between(x, np.nanmin(G, axis=0), np.nanmax(G, axis=0), alpha=0.25, label="min-max over seeds")
            ax.plot(x, np.nanmedian(G, axis=0), label=f"median ({len(curves)} seeds)")
        for level in (0.05, 0.01):
            ax.axhline(level, color="k", ls=":", lw=0.8)
        ax.set_yscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("rollouts")
        ax.set_ylabel("(C(K) - C(K*)) / C(K*)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> None:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=count(), default=10, help="seeds seed-offset .. seed-offset + N - 1")
    parser.add_argument("--seed-offset", type=count(low=0), default=0, help="100 for the tuning seeds")
    parser.add_argument(
        "--out", type=output_folder, default="results/lq", help="results folder (an existing one is resumed)"
    )
    parser.add_argument(
        "--only",
        help="run only the runs whose name contains this "
        f"(default: all of {', '.join(RUNS)}; with --plain-h100 also {', '.join(OPTIONAL_RUNS)})",
    )
    parser.add_argument("--plain-h100", action="store_true", help="also run the plain rule at horizon 100 (long)")
    parser.add_argument("--workers", type=count(), default=2, help="local processes (1: this process)")
    cluster_options(parser)
    args = parser.parse_args(argv)
    check_cluster_options(parser, args)
    provenance = Provenance()
    out = args.out
    runs = dict(RUNS, **(OPTIONAL_RUNS if args.plain_h100 else {}))
    if args.only:
        named = runs
        runs = {k: v for k, v in runs.items() if args.only in k}
        if not runs:
            parser.error(f"--only {args.only!r} matches no run; runs: {', '.join(named)}")
    from baselines import compare as cmp
    from baselines.__main__ import make_backend
    from baselines.compare.report import records_provenance

    of_run = cells(runs, list(range(args.seed_offset, args.seed_offset + args.seeds)))
    result = cmp.compare([c for cs in of_run.values() for c in cs], out, make_backend(args), outputs=False)
    if result.failed:
        raise SystemExit("\n".join(f"FAILED {c.key}: {e}" for c, e in result.failed))
    results, table, every_record = {}, {}, []
    for name, (cls, hyper, env_kwargs, rollouts) in runs.items():
        records = [json.loads((out / "cells" / f"{c.key}.json").read_text()) for c in of_run[name]]
        every_record += records
        results[name] = curves = [gaps(r) for r in records]
        table[name] = dict(
            summarize(curves),
            rollouts=rollouts,
            wall_time_s=round(sum(r["row"]["wall_time_s"] for r in records), 1),
            agent=cls.__name__,
            hyperparameters=hyper,
            env=env_kwargs,
        )
        s = table[name]
        print(
            f"{name:32s} to 5 %: median {s['median_to_5pct']:6.0f} worst {s['worst_to_5pct']:6.0f} | "
            f"to 1 %: median {s['median_to_1pct']:6.0f} worst {s['worst_to_1pct']:6.0f} | "
            f"stable {s['stable_throughout']}/{s['seeds']} | gap {s['initial_gap']:.3f} -> {s['median_final_gap']:.4f} "
            f"(median after {rollouts} rollouts) [{s['wall_time_s']} s]",
            flush=True,
        )
    entry = records_provenance(every_record, provenance)
    atomic_write_bytes(out / "results.json", json.dumps({"provenance": entry, "runs": table}, indent=1).encode())
    write_markdown(out, entry)
    atomic_write_bytes(out / "table.md", markdown_table(table).encode())
    plot(results, out / "gap.png")


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
