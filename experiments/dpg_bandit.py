"""Figure 1 of Silver et al. 2014 (Deterministic Policy Gradient Algorithms), Sec. 5.1, honestly.

    python experiments/dpg_bandit.py [--dims 10 25 50] [--seeds 5] [--sweep-seeds 2] [--out results/dpg_bandit]
                                     [--workers 2 | --backend ray [--address HOST:PORT]]

Cost of the mean action against time steps (1e2 to 1e4, log-log) on rl_envs/QuadraticBandit-v0
for m = 10, 25, 50: COPDAC-B solid, SAC-B dashed, mean of ``--seeds`` runs with a 95 % band,
and the paper's values read off its figure as crosses.  Each agent's settings are the best of a
sweep (on separate sweep seeds), scored as the paper's plots are read: the mean log10 cost over
the log-spaced checkpoints.  Two protocols:

* ``paper``: one absolute step-size grid for both agents (SAC-B's alpha_theta is not scaled
  with its exploration variance), as a sweep over "all step sizes" most likely was;
* ``equal``: SAC-B's step sizes are scaled by 1 / exp(y_init), so that both agents move the
  mean by the same amount per unit of estimated gradient at the start.

COPDAC-B's own step size is already in gradient units, so its sweep serves both protocols.
The thin grey line is COPDACB's defaults (one setting for every m).  Every run is a cell of
``python -m baselines compare`` (``baselines.compare``), evaluated at the checkpoints: the swept
ones in ``<out>/sweep/cells/``, the reported ones in ``<out>/runs/cells/``, so a stopped run
resumes, and ``--backend ray`` spreads the cells over a Ray cluster (docs/cluster.md).  The cost
is minus the evaluation return of the mean action, which the environment clips to its action box
(only settings that diverge past it score otherwise than the unclipped cost would).  Writes
``curves.csv`` (every run), ``sweep.csv`` (every swept setting's score), ``table.md``,
``fig1.png``, ``results.json`` (the chosen settings and the run's provenance,
:mod:`baselines.provenance`) and ``provenance.md`` to ``--out``.  ``experiments/configs/dpg_bandit_copdacb_m50.toml`` is COPDAC-B's
m = 50 sweep as a ``python -m baselines sweep`` configuration.
"""

from __future__ import annotations

import itertools
import json
import math
import time
from pathlib import Path

import numpy as np

# The comparison machinery (seconds to import) is imported where cells run, after the arguments
# are checked.
from baselines.cli import Parser, check_cluster_options, cluster_options, count, output_folder
from baselines.curves import mean_and_band
from baselines.io import atomic_write_bytes, save_figure, write_csv
from baselines.linear import COPDACB, SACB
from baselines.provenance import Provenance, write_markdown
from baselines.seeds import TRAINING, TUNING

STEP_GRID = (0.03, 0.1, 0.3, 0.5, 0.7, 1.0, 3.0, 10.0)  # the one absolute step-size grid
SIGMA_BETA_GRID = (0.02, 0.04, 0.1)
VARIANCE_INIT_GRID = (0.01, 0.1, 1.0)  # exp(y_init) for SAC-B
ALPHA_Y_GRID = (0.1, 1.0)

# Read off Fig. 1 by eye (Silver et al. 2014, Fig. 1; about half a decade on a log axis).
PAPER = {
    ("COPDAC-B", 10): {100: 4e-2, 1000: 5e-3, 10000: 3e-3},
    ("COPDAC-B", 25): {100: 5.0, 1000: 8e-2, 10000: 2e-2},
    ("COPDAC-B", 50): {100: 7e1, 1000: 3e-2, 10000: 3e-2},
    ("SAC-B", 10): {100: 1e1, 1000: 1e-1, 10000: 4e-3},
    ("SAC-B", 25): {100: 3e1, 1000: 3e1, 10000: 2.5e-1},
    ("SAC-B", 50): {100: 8e1, 1000: 8e1, 10000: 1e1},
}
DIMS = sorted({m for _, m in PAPER})  # the action dimensions of the paper's figure
AGENTS = {"COPDAC-B": COPDACB, "SAC-B": SACB}
FIRST_CHECKPOINT = 100


def checkpoints(steps: int) -> np.ndarray:
    return np.unique(np.round(np.logspace(math.log10(FIRST_CHECKPOINT), math.log10(steps), 33)).astype(int))


def bandit_costs(specs: list[tuple], grid: np.ndarray, out: Path, backend) -> tuple[dict, list[dict]]:
    """Cost of the mean action at each checkpoint, for every ``(agent, m, seed, hyper)`` of
    ``specs``: each a comparison cell, run (or read back) in ``out``; and the cells' records."""
    from baselines import compare as cmp

    def cell(agent, m, seed, hyper):
        return cmp.Cell(
            "rl_envs/QuadraticBandit-v0",
            AGENTS[agent].__name__,
            seed,
            int(grid[-1]),
            {"dim": m},
            dict(hyper),
            eval_episodes=1,
            eval_at=grid.tolist(),
        )

    cells = {spec[:3] + (key(spec[3]),): cell(*spec) for spec in specs}
    result = cmp.compare(list({c.key: c for c in cells.values()}.values()), out, backend, outputs=False)
    if result.failed:
        raise SystemExit("\n".join(f"FAILED {c.key}: {e}" for c, e in result.failed))
    records = {c.key: json.loads((out / "cells" / f"{c.key}.json").read_text()) for c in cells.values()}
    costs = {spec: -np.array(records[c.key]["log"]["eval_returns"]) for spec, c in cells.items()}
    return costs, list(records.values())


def key(hyper: dict) -> str:
    return repr(sorted(hyper.items()))


def settings(agent: str, protocol: str):
    """The swept hyperparameters of ``agent`` under ``protocol``."""
    if agent == "COPDAC-B":
        for alpha, sigma in itertools.product(STEP_GRID, SIGMA_BETA_GRID):
            yield {"alpha_theta": alpha, "sigma_beta": sigma}
        return
    for alpha, alpha_y, var in itertools.product(STEP_GRID, ALPHA_Y_GRID, VARIANCE_INIT_GRID):
        scale = 1.0 / var if protocol == "equal" else 1.0
        yield {"alpha_theta": alpha * scale, "alpha_y": alpha_y * scale, "y_init": math.log(var)}


def score(curves: np.ndarray) -> float:
    """Mean log10 of the seed-mean cost over the log-spaced checkpoints: the area under Fig. 1's curve."""
    mean = curves.mean(axis=0)
    return float(np.mean(np.log10(np.maximum(mean, 1e-300)))) if np.all(np.isfinite(mean)) else math.inf


def choose(agent, protocol, m, seeds, costs: dict) -> tuple[dict, dict]:
    """The setting with the best score on ``seeds``, and every setting's score."""
    scores = {
        key(hyper): (score(np.array([costs[agent, m, s, key(hyper)] for s in seeds])), hyper)
        for hyper in settings(agent, protocol)
    }
    return min(scores.values(), key=lambda sh: sh[0])[1], scores


def at(grid, curve, step) -> str:
    """The cost at checkpoint ``step``, "-" past the run's last one (a run shorter than the paper's)."""
    return f"{curve[np.searchsorted(grid, step)]:.3g}" if step <= grid[-1] else "-"


def plot(lines, grid, dims, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    protocols = ["paper", "equal"]
    fig, axes = plt.subplots(2, len(dims), figsize=(4.2 * len(dims), 7.5), squeeze=False, sharex=True)
    titles = {"paper": "paper-like: one absolute step grid", "equal": "equal tuning: SAC-B steps / exp(y_init)"}
    for row, protocol in enumerate(protocols):
        for col, m in enumerate(dims):
            ax = axes[row][col]
            for (p, agent, mm), (curves, _) in lines.items():
                if mm != m or p not in (protocol, "defaults"):
                    continue
                mean, half = mean_and_band(np.log10(curves))
                style = {"COPDAC-B": dict(color="C0", ls="-"), "SAC-B": dict(color="C3", ls="--")}[agent]
                if p == "defaults":
                    style = dict(color="0.5", ls=":", lw=1)
                label = f"{agent}{' (defaults)' if p == 'defaults' else ''}"
                ax.plot(grid, 10**mean, label=label, **style)
                ax.fill_between(grid, 10 ** (mean - half), 10 ** (mean + half), color=style["color"], alpha=0.15)
            for agent, marker_color in (("COPDAC-B", "C0"), ("SAC-B", "C3")):
                pts = PAPER[(agent, m)]
                ax.plot(
                    list(pts), list(pts.values()), "x", color=marker_color, ms=8, label=f"{agent}, paper (read off)"
                )
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(1e-4, 1e3)
            ax.grid(alpha=0.3, which="both")
            ax.set_title(f"m = {m}: {titles[protocol]}", fontsize=9)
            if col == 0:
                ax.set_ylabel("cost of the mean action")
            if row == 1:
                ax.set_xlabel("time steps")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def fmt_hyper(hyper: dict) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in hyper.items())


def main(argv: list[str] | None = None) -> None:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--dims", type=int, nargs="+", choices=DIMS, default=DIMS, help="action dimensions m (those of the figure)"
    )
    parser.add_argument("--seeds", type=count(), default=5, help="reported seeds 0 .. N-1")
    parser.add_argument("--sweep-seeds", type=count(), default=2, help="tuning seeds 1000 .. 1000 + N - 1")
    parser.add_argument(
        "--steps",
        type=count(low=FIRST_CHECKPOINT),
        default=10_000,
        help=f"time steps per run, checkpoints log-spaced from {FIRST_CHECKPOINT}",
    )
    parser.add_argument(
        "--out", type=output_folder, default="results/dpg_bandit", help="results folder (an existing one is resumed)"
    )
    parser.add_argument("--workers", type=count(), default=2, help="local processes (1: this process)")
    cluster_options(parser)
    args = parser.parse_args(argv)
    check_cluster_options(parser, args)
    from baselines.__main__ import make_backend
    from baselines.compare.report import records_provenance

    provenance = Provenance()
    backend = make_backend(args)
    if args.backend == "ray":  # one connection for both grids
        from baselines.compare.ray_backend import connect

        connect(args.address)
    grid = checkpoints(args.steps)
    # the tuning and training ranges of baselines.seeds: no reported run or test episode is swept on
    sweep_seeds = TUNING[: args.sweep_seeds]
    seeds = TRAINING[: args.seeds]
    t0 = time.perf_counter()

    searched = (("COPDAC-B", "paper"), ("SAC-B", "paper"), ("SAC-B", "equal"))
    specs = [
        (agent, m, s, hyper)
        for m in args.dims
        for agent, protocol in searched
        for hyper in settings(agent, protocol)
        for s in sweep_seeds
    ]
    swept, swept_records = bandit_costs(specs, grid, args.out / "sweep", backend)
    print(f"[{time.perf_counter() - t0:6.0f} s] {len(specs)} sweep runs", flush=True)
    chosen, scored = {}, []
    for m in args.dims:
        for agent, protocol in searched:
            chosen[(protocol, agent, m)], scores = choose(agent, protocol, m, sweep_seeds, swept)
            scored += [{"agent": agent, "m": m, "setting": k, "score": v} for k, (v, _) in scores.items()]
            print(f"m={m} {agent} {protocol}: {fmt_hyper(chosen[(protocol, agent, m)])}", flush=True)
        chosen[("equal", "COPDAC-B", m)] = chosen[("paper", "COPDAC-B", m)]
        chosen[("defaults", "COPDAC-B", m)] = {}
    write_csv(args.out / "sweep.csv", list({(r["agent"], r["m"], r["setting"]): r for r in scored}.values()))

    reported, reported_records = bandit_costs(
        [(agent, m, s, hyper) for (_, agent, m), hyper in chosen.items() for s in seeds],
        grid,
        args.out / "runs",
        backend,
    )
    lines, rows = {}, []
    for (protocol, agent, m), hyper in chosen.items():
        curves_ = np.array([reported[agent, m, s, key(hyper)] for s in seeds])
        lines[(protocol, agent, m)] = (curves_, hyper)
        for s, curve in zip(seeds, curves_):
            rows += [
                {
                    "protocol": protocol,
                    "agent": agent,
                    "m": m,
                    "setting": fmt_hyper(hyper) or "defaults",
                    "seed": s,
                    "steps": int(t),
                    "cost": float(c),
                }
                for t, c in zip(grid, curve)
            ]
    write_csv(args.out / "curves.csv", rows, ["protocol", "agent", "m", "setting", "seed", "steps", "cost"])
    plot(lines, grid, args.dims, args.out / "fig1.png")

    table = [
        "| protocol | agent | m | setting | cost @1e2 | @1e3 | @1e4 | paper @1e2 / 1e3 / 1e4 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (protocol, agent, m), (curves, hyper) in sorted(lines.items(), key=lambda kv: (kv[0][2], kv[0][0], kv[0][1])):
        mean = curves.mean(axis=0)
        paper = PAPER[(agent, m)]
        table.append(
            f"| {protocol} | {agent} | {m} | {fmt_hyper(hyper) or 'defaults ' + fmt_hyper(_defaults(agent))} | "
            + " | ".join(at(grid, mean, t) for t in (100, 1000, 10_000))
            + f" | {paper[100]:.2g} / {paper[1000]:.2g} / {paper[10000]:.2g} |"
        )
    text = "\n".join(table) + "\n"
    atomic_write_bytes(args.out / "table.md", text.encode())
    entry = records_provenance(swept_records + reported_records, provenance)
    settings_ = [{"protocol": p, "agent": a, "m": m, "setting": hyper} for (p, a, m), hyper in chosen.items()]
    atomic_write_bytes(
        args.out / "results.json", json.dumps({"provenance": entry, "settings": settings_}, indent=1).encode()
    )
    write_markdown(args.out, entry)
    print(text)
    print(f"total {time.perf_counter() - t0:.0f} s")


def _defaults(agent: str) -> dict:
    import inspect

    params = inspect.signature(AGENTS[agent].__init__).parameters
    return {k: p.default for k, p in params.items() if k in ("alpha_theta", "sigma_beta", "alpha_y", "y_init")}


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
