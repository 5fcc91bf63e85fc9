"""Doya (2000) on the pendulum swing-up: trials until 10 successful trials, per method and seed.

    python experiments/doya_pendulum.py [--seeds 10] [--seed-offset 0] [--max-trials 300]
                                        [--out results/doya_pendulum] [--only traces]
                                        [--workers 2 | --backend ray [--address HOST:PORT]]

Doya, K. (2000). Reinforcement learning in continuous time and space. Neural Computation 12(1),
219-245.  Its abstract claims three orderings: the continuous actor-critic needs several times
fewer trials than the discrete one; the value-gradient policy with a known (or learned) model
several times fewer again; and exponential eligibility traces learn more efficiently and
stably than the backward-Euler update.  Each method learns on ``PendulumSwingUp-v0`` (20 s
trials from θ ~ U(-π, π)) until it has had 10 successful trials (more than 10 s up) or
``--max-trials`` trials.  Each (method, seed) is a cell of ``python -m baselines compare``
naming the measure ``trials_to_successes`` (``baselines.compare.measures``), its record (time up
per trial, trials to 10 successes) written atomically to ``<out>/cells/`` when it finishes, so an
interrupted run resumes with the missing ones and ``--backend ray`` spreads the cells over a Ray
cluster (docs/cluster.md).  Then ``docs/reports/doya_pendulum.png`` (``--figure``) plots time up per trial (median
and quartiles over seeds) and ``<out>/table.md`` tabulates the trial counts.

Seeds 0-9 are reported; the settings said to be tuned in ``baselines/continuous_time/settings.py``
were chosen on seeds 100-104 (``--seed-offset 100 --seeds 5``), never on the reported ones.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import gymnasium as gym

# The pendulum, its agents (which compile the pendulum's model at import) and the comparison
# machinery take seconds to import: they are imported where they are used, after the arguments
# are checked.
import rl_envs  # noqa: F401
from baselines.cli import Parser, check_cluster_options, cluster_options, count, output_file, output_folder
from baselines.io import atomic_write_bytes, save_figure
from baselines.provenance import Provenance, write_markdown

ENV = "rl_envs/PendulumSwingUp-v0"
SUCCESSES = 10

# method -> (agent of baselines.continuous_time, its arguments in baselines.continuous_time.settings,
# and arguments changed from those)
SETTINGS = {
    "continuous AC, traces": ("ContinuousActorCritic", "PENDULUM_AC_TRACES", {}),
    "continuous AC, Euler": ("ContinuousActorCritic", "PENDULUM_AC_EULER", {}),
    "discrete AC": ("DiscreteActorCritic", "PENDULUM_DISCRETE_AC", {}),
    "value gradient, known model": ("ValueGradientPolicy", "PENDULUM_VALUE_GRADIENT", {}),
    "value gradient, known model, Euler": ("ValueGradientPolicy", "PENDULUM_VALUE_GRADIENT_EULER", {}),
    "value gradient, learned model": ("ValueGradientPolicy", "PENDULUM_VALUE_GRADIENT", {"model": "learned"}),
}


def cells(methods: list[str], seeds: list[int], max_trials: int) -> dict[str, list]:
    """Each method's cells, one a seed: learning until 10 successful trials or ``max_trials``
    trials (the measure ``trials_to_successes`` of ``baselines.compare.measures``)."""
    from baselines import compare as cmp
    from baselines.continuous_time import settings as tuned

    trial_steps = gym.make(ENV).unwrapped.max_steps
    return {
        method: cmp.cells_from_config(
            {
                "runs": [
                    {
                        "env": ENV,
                        "steps": max_trials * trial_steps,
                        "seeds": seeds,
                        "agents": {agent: {**getattr(tuned, hyper), **changed}},
                        "measure": {"name": "trials_to_successes", "successes": SUCCESSES, "max_trials": max_trials},
                    }
                ]
            }
        )
        for method, (agent, hyper, changed) in SETTINGS.items()
        if method in methods
    }


def seed_record(method: str, record: dict) -> dict:
    """What the table and the plot read from a cell's record."""
    m = record["measurements"]
    return {
        "method": method,
        "seed": record["cell"]["seed"],
        "wall_time": record["row"]["wall_time_s"],
        "time_up": m["time_up"],
        "trials_to_10_successes": m["trials_to_successes"],
    }


def summarise(records: dict[str, list[dict]], max_trials: int) -> list[dict]:
    rows = []
    for method, recs in records.items():
        counts = [r["trials_to_10_successes"] for r in recs]
        finished = [c for c in counts if c is not None]
        # a seed that did not finish counts as more than the budget: the median is still defined
        censored = np.array([c if c is not None else max_trials + 1 for c in counts], dtype=float)
        rows.append(
            {
                "method": method,
                "seeds": len(recs),
                "finished": len(finished),
                "median": float(np.median(censored)),
                "q25": float(np.percentile(censored, 25)),
                "q75": float(np.percentile(censored, 75)),
                "min": min(finished) if finished else None,
                "max": max(finished) if finished else None,
                "wall_time": float(sum(r["wall_time"] for r in recs)),
            }
        )
    return rows


def count_text(value: float, max_trials: int) -> str:
    """A (median or quartile) trial count; beyond the budget it is only known to exceed it."""
    return f"> {max_trials}" if value > max_trials else f"{value:g}"


def orderings(rows: list[dict], max_trials: int) -> list[tuple[str, bool | None, str]]:
    """Each claim of the paper: True or False on the median trial counts, None when both exceed
    the budget (then the run cannot tell)."""
    median = {r["method"]: r["median"] for r in rows}
    claims = [
        ("continuous AC < discrete AC", "continuous AC, traces", "discrete AC"),
        ("value gradient (known model) < continuous AC", "value gradient, known model", "continuous AC, traces"),
        ("traces < Euler (continuous AC)", "continuous AC, traces", "continuous AC, Euler"),
        (
            "traces < Euler (value gradient, known model)",
            "value gradient, known model",
            "value gradient, known model, Euler",
        ),
    ]
    return [
        (
            text,
            None if min(median[a], median[b]) > max_trials else bool(median[a] < median[b]),
            f"median {count_text(median[a], max_trials)} vs {count_text(median[b], max_trials)}",
        )
        for text, a, b in claims
        if a in median and b in median
    ]


def table(rows: list[dict], max_trials: int) -> str:
    lines = [
        f"| method | seeds finished (≤ {max_trials} trials) | median trials to 10 successes | quartiles | range | "
        "wall time (s) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        span = f"{r['min']}-{r['max']}" if r["min"] is not None else "-"
        lines.append(
            f"| {r['method']} | {r['finished']}/{r['seeds']} | {count_text(r['median'], max_trials)} | "
            f"{count_text(r['q25'], max_trials)} to {count_text(r['q75'], max_trials)} | {span} | "
            f"{r['wall_time']:.0f} |"
        )
    lines.append("")
    verdict = {True: "holds", False: "does NOT hold", None: "cannot be told (both beyond the budget)"}
    lines += [f"* {text}: {verdict[ok]} ({numbers})" for text, ok, numbers in orderings(rows, max_trials)]
    return "\n".join(lines) + "\n"


def plot(records: dict[str, list[dict]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rl_envs.pendulum_swingup import SUCCESS_TIME_UP

    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for method, recs in records.items():
        n = max(len(r["time_up"]) for r in recs)
        # a seed that stopped (10 successes) keeps its last 10 trials' mean from then on
        curves = np.array(
            [r["time_up"] + [float(np.mean(r["time_up"][-SUCCESSES:]))] * (n - len(r["time_up"])) for r in recs]
        )
        trials = np.arange(1, n + 1)
        (line,) = ax.plot(trials, np.median(curves, axis=0), label=f"{method} ({len(recs)} seeds)")
        ax.fill_between(trials, *np.percentile(curves, [25, 75], axis=0), color=line.get_color(), alpha=0.2)
    ax.axhline(SUCCESS_TIME_UP, color="k", ls="--", lw=1, label="success: > 10 s up")
    ax.set_xscale("log")
    ax.set_xlabel("trial")
    ax.set_ylabel("time up in the trial (s), median and quartiles")
    ax.set_title("Pendulum swing-up (Doya 2000): learning curves")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> None:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=count(), default=10, help="seeds seed-offset .. seed-offset + N - 1")
    parser.add_argument("--seed-offset", type=count(low=0), default=0, help="100 for the tuning seeds")
    parser.add_argument(
        "--max-trials", type=count(), default=300, help=f"trials at most, when {SUCCESSES} successes do not come first"
    )
    parser.add_argument(
        "--out", type=output_folder, default="results/doya_pendulum", help="results folder (an existing one is resumed)"
    )
    parser.add_argument(
        "--figure", type=output_file, default="docs/reports/doya_pendulum.png", help="the learning curves' figure"
    )
    parser.add_argument(
        "--only", help=f"run only the methods whose name contains this (default: all of {', '.join(SETTINGS)})"
    )
    parser.add_argument("--workers", type=count(), default=2, help="local processes (1: this process)")
    cluster_options(parser)
    args = parser.parse_args(argv)
    check_cluster_options(parser, args)
    methods = [m for m in SETTINGS if args.only is None or args.only in m]
    if not methods:
        parser.error(f"--only {args.only!r} matches no method; methods: {', '.join(SETTINGS)}")
    from baselines import compare as cmp
    from baselines.__main__ import make_backend
    from baselines.compare.report import records_provenance

    of_method = cells(methods, list(range(args.seed_offset, args.seed_offset + args.seeds)), args.max_trials)
    t0, provenance = time.perf_counter(), Provenance()
    result = cmp.compare([c for cs in of_method.values() for c in cs], args.out, make_backend(args), outputs=False)
    if result.failed:
        raise SystemExit("\n".join(f"FAILED {c.key}: {e}" for c, e in result.failed))
    cell_records = {
        m: [json.loads((args.out / "cells" / f"{c.key}.json").read_text()) for c in cs] for m, cs in of_method.items()
    }
    records = {m: [seed_record(m, r) for r in rs] for m, rs in cell_records.items()}
    rows = summarise(records, args.max_trials)
    text = table(rows, args.max_trials)
    atomic_write_bytes(args.out / "table.md", text.encode())
    entry = records_provenance([r for rs in cell_records.values() for r in rs], provenance)
    atomic_write_bytes(args.out / "results.json", json.dumps({"provenance": entry, "rows": rows}, indent=1).encode())
    write_markdown(args.out, entry)
    plot(records, args.figure)
    print(text)
    print(f"wall time of this call: {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
