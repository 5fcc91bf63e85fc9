"""Figure 2 of Silver et al. 2014 (Deterministic Policy Gradient Algorithms), §5.2: SAC, OffPAC
and COPDAC-Q with linear tile-coded function approximation on mountain car, the swing pendulum
and 2-D puddle world, every point the test return of the mean (deterministic) policy.

    python experiments/dpg_fig2.py [--out results/dpg_fig2] [--seeds 30] [--tuning-seeds 2] [--jobs 2]
                                   [--tasks ...] [--agents ...] [--steps-scale 1.0] [--grid full|ci]
                                   [--figure docs/dpg_fig2.png]

Protocol (docs/dpg-fig2.md): for each (task, agent) the step sizes of ``GRIDS`` are swept on
the tuning seeds 1000, 1001, ... (never the reported ones) over half the task's steps
(``--sweep-fraction``), each setting scored by the mean test return over the second half of its
checkpoints; the best setting then runs the full steps on seeds 0..29.  All the members of one batch (settings x
tuning seeds, or the 30 reported seeds) run as one
:class:`~baselines.linear.tile_actor_critic.SeedBatch` array program.  At evenly spaced
checkpoints (``CHECKPOINTS`` in the final runs, ``SWEEP_CHECKPOINTS`` in the sweep) each run's
mean policy θᵀφ(s) plays one test episode (from the env reset with seed ``TEST_SEED +
checkpoint``, the same start for every run and agent).

Each finished (task, agent, setting) batch is written atomically to
``<out>/sweep/<task>/<agent>/<setting>.json`` (tuning seeds) or
``<out>/final/<task>/<agent>.json`` (the reported seeds, with the chosen setting), so a killed run
resumes with the batches still missing; files from other settings of the protocol are refused.
Then ``<out>/fig2.png`` (and ``--figure``), ``<out>/table.md`` and ``<out>/sweep.md``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import rl_envs  # noqa: F401
from baselines.common import atomic_write_bytes
from baselines.experiment import mean_and_band, save_figure
from baselines.linear import TileCOPDACQ, TileOffPAC, TileSAC
from baselines.linear.tile_actor_critic import SeedBatch

# Silver et al. 2014, §5.2: γ per task, episodes cut at 5000 steps (the envs' default).  The
# paper runs 1e5 steps on mountain car and 5e5 on the others; we stop all three at 1e5, where
# our curves have long reached their plateaus (docs/dpg-fig2.md), to fit the run in an hour.
TASKS = {
    "mountain car": {"env_id": "rl_envs/MountainCarRLPark-v0", "gamma": 0.99, "steps": 100_000},
    "pendulum": {"env_id": "rl_envs/SwingPendulum-v0", "gamma": 0.99, "steps": 100_000},
    "puddle world": {"env_id": "rl_envs/PuddleWorld-v0", "gamma": 0.999, "steps": 100_000},
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
CHECKPOINTS = 11  # final runs: test points at 0, 10 %, ..., 100 % of the steps
SWEEP_CHECKPOINTS = 11  # sweep runs: 0, 10 %, ..., 100 % of their steps
TEST_SEED = 10_000
TUNING_SEED = 1000

# Silver et al. 2014, Fig. 2, read off by eye (about ±20 %): (steps, total reward per episode).
PAPER = {
    ("mountain car", "COPDAC-Q"): [(5e3, -800), (2e4, -300), (1e5, -300)],
    ("mountain car", "OffPAC"): [(1.5e4, -700), (2.7e4, -1500), (5e4, -300)],
    ("mountain car", "SAC"): [(3e4, -1400), (9e4, -3000)],
    ("pendulum", "COPDAC-Q"): [(2.5e4, 3600), (1.5e5, 4900), (5e5, 4500)],
    ("pendulum", "OffPAC"): [(1e5, 0), (3e5, 2600), (4.5e5, 4600)],
    ("pendulum", "SAC"): [(3e5, 2450), (5e5, 2450)],
    ("puddle world", "COPDAC-Q"): [(1e5, -2500), (5e5, -2900)],
    ("puddle world", "OffPAC"): [(2.5e4, -5000), (5e5, -5000)],
    ("puddle world", "SAC"): [(5e5, -3800)],
}
# The bar: COPDAC-Q's final test return within 20 % of the paper's plateau.
PLATEAU = {"mountain car": -300.0, "pendulum": 4500.0, "puddle world": -2900.0}
BAR = 0.2


def settings(agent: str, grids: dict) -> list[dict]:
    grid = grids[agent]
    return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def setting_name(setting: dict) -> str:
    return ",".join(f"{k}={v:g}" for k, v in setting.items())


def protocol(task: str, steps_scale: float, sweep: bool, sweep_fraction: float = 0.5) -> dict:
    """What a result file must have been run with to be reused (the sweep runs ``sweep_fraction``
    of the steps)."""
    steps = int(round(TASKS[task]["steps"] * steps_scale * (sweep_fraction if sweep else 1)))
    n = SWEEP_CHECKPOINTS if sweep else CHECKPOINTS
    return {"task": task, "env_id": TASKS[task]["env_id"], "gamma": TASKS[task]["gamma"], "steps": steps,
            "checkpoints": np.linspace(0, steps, n).round().astype(int).tolist(), "test_seed": TEST_SEED}


def run_batch(agent: str, proto: dict, members: list[tuple[int, dict]]) -> dict:
    """Train every (seed, setting) member as one SeedBatch; the test returns ``(members, checkpoints)``
    of the mean policies and each member's step count at each checkpoint (``member_steps``)."""
    t0 = time.perf_counter()
    batch = SeedBatch(AGENTS[agent], proto["env_id"], [s for s, _ in members], settings=[m for _, m in members],
                      gamma=proto["gamma"])
    returns, steps, done = [], [], 0
    for i, t in enumerate(proto["checkpoints"]):
        batch.learn(t - done)
        done = t
        steps.append(batch.steps.tolist())
        returns.append(batch.test_returns(seed=proto["test_seed"] + i).tolist())
    return {"returns": np.array(returns).T.tolist(), "member_steps": np.array(steps).T.tolist(),
            "wall_time": time.perf_counter() - t0}


def load(path: Path, expected: dict) -> dict | None:
    """The record at ``path`` if it was run with ``expected`` (a SystemExit if with something else)."""
    if not path.exists():
        return None
    rec = json.loads(path.read_text())
    if {k: rec.get(k) for k in expected} != json.loads(json.dumps(expected)):
        raise SystemExit(f"{path} was run with another protocol: choose another --out")
    return rec


def save(path: Path, rec: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, json.dumps(rec).encode())


def score(returns) -> float:
    """A sweep setting's score: the mean test return over the second half of the checkpoints."""
    r = np.asarray(returns, dtype=float)
    return float(np.mean(r[:, r.shape[1] // 2:]))


def sweep(task: str, agent: str, proto: dict, grids: dict, tuning_seeds: list[int], out: Path, log) -> dict:
    """Every setting's record on the tuning seeds, running the missing ones as one batch."""
    records, missing = {}, []
    for setting in settings(agent, grids):
        path = out / "sweep" / task / agent / f"{setting_name(setting)}.json"
        expected = dict(proto, agent=agent, setting=setting, seeds=tuning_seeds)
        rec = load(path, expected)
        if rec is None:
            missing.append((setting, path, expected))
        else:
            records[setting_name(setting)] = rec
    if missing:
        log(f"{task} / {agent}: sweeping {len(missing)} settings x {len(tuning_seeds)} tuning seeds")
        members = [(s, setting) for setting, _, _ in missing for s in tuning_seeds]
        result = run_batch(agent, proto, members)
        n = len(tuning_seeds)
        for i, (setting, path, expected) in enumerate(missing):
            rec = dict(expected, returns=result["returns"][i * n:(i + 1) * n],
                       member_steps=result["member_steps"][i * n:(i + 1) * n],
                       wall_time=result["wall_time"], batch_members=len(members))
            save(path, rec)
            records[setting_name(setting)] = rec
    return records


def best_setting(records: dict) -> dict:
    """The setting of the best-scoring record (a diverged run's NaN scores as -inf)."""
    scored = [(score(r["returns"]) if np.all(np.isfinite(r["returns"])) else -math.inf, name, r)
              for name, r in records.items()]
    return max(scored, key=lambda x: x[0])[2]["setting"]


def run_cell(task: str, agent: str, out: Path, seeds: int, tuning_seeds: int, steps_scale: float,
             grid: str, sweep_fraction: float) -> dict:
    """Sweep, then the reported seeds with the best setting; returns the final record."""
    t0 = time.perf_counter()

    def log(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    grids = {"full": GRIDS, "ci": CI_GRIDS}[grid]
    tuning = list(range(TUNING_SEED, TUNING_SEED + tuning_seeds))
    sweep_protocol = protocol(task, steps_scale, sweep=True, sweep_fraction=sweep_fraction)
    chosen = best_setting(sweep(task, agent, sweep_protocol, grids, tuning, out, log))
    proto = protocol(task, steps_scale, sweep=False)
    path = out / "final" / task / f"{agent}.json"
    expected = dict(proto, agent=agent, setting=chosen, seeds=list(range(seeds)))
    rec = load(path, expected)
    if rec is None:
        log(f"{task} / {agent}: {setting_name(chosen)} on seeds 0..{seeds - 1}")
        rec = dict(expected, **run_batch(agent, proto, [(s, chosen) for s in range(seeds)]))
        save(path, rec)
    log(f"{task} / {agent}: final {np.mean(np.asarray(rec['returns'])[:, -1]):.0f} ({time.perf_counter() - t0:.0f} s)")
    return rec


def final_return(rec: dict) -> tuple[float, float]:
    """Mean and 95 % half-width over the runs of the test return at the last checkpoint."""
    mean, half = mean_and_band(np.asarray(rec["returns"], dtype=float)[:, -1:])
    return float(mean[0]), float(half[0])


def plateau_return(rec: dict) -> tuple[float, float]:
    """Mean and 95 % half-width over the runs of each run's mean test return over the second
    half of the checkpoints (the sweep's score, on as many test starts as checkpoints there)."""
    r = np.asarray(rec["returns"], dtype=float)
    mean, half = mean_and_band(r[:, r.shape[1] // 2:].mean(axis=1, keepdims=True))
    return float(mean[0]), float(half[0])


def paper_at(task: str, agent: str, steps: float) -> float | None:
    """The paper's reading nearest before ``steps`` (None before its first)."""
    points = [v for t, v in PAPER[(task, agent)] if t <= steps]
    return points[-1] if points else None


STYLE = {"SAC": dict(color="C3", ls="--"), "OffPAC": dict(color="C2", ls="-."), "COPDAC-Q": dict(color="C0", ls="-")}


def plot(finals: dict, path: Path, label: str = "") -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tasks = [t for t in TASKS if any(k[0] == t for k in finals)]
    fig, axes = plt.subplots(1, len(tasks), figsize=(5 * len(tasks), 4.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        for agent in AGENTS:
            rec = finals.get((task, agent))
            if rec is None:
                continue
            returns = np.asarray(rec["returns"], dtype=float)
            steps = np.asarray(rec["checkpoints"])
            mean, half = mean_and_band(returns)
            ax.plot(steps, mean, label=f"{agent} ({len(returns)} runs)", **STYLE[agent])
            ax.fill_between(steps, mean - half, mean + half, color=STYLE[agent]["color"], alpha=0.2)
            pts = [(t, v) for t, v in PAPER[(task, agent)] if t <= 1.05 * steps[-1]]  # the paper ran longer
            ax.plot([t for t, _ in pts], [v for _, v in pts], "x", color=STYLE[agent]["color"], ms=7,
                    label=f"{agent}, paper (read off)")
        ax.axhline(PLATEAU[task], color=STYLE["COPDAC-Q"]["color"], ls=":", lw=1, label="COPDAC-Q, paper's plateau")
        ax.set_title(task)
        ax.set_xlabel("time steps")
        ax.grid(alpha=0.3)
        ax.ticklabel_format(axis="x", style="sci", scilimits=(0, 0))
    axes[0][0].set_ylabel("total reward per episode (mean policy)")
    axes[0][-1].legend(fontsize=7, loc="lower right")
    if label:
        fig.suptitle(label, fontsize=9)
    fig.tight_layout()
    save_figure(fig, path, dpi=110)


def table(finals: dict) -> str:
    """Our final and plateau test returns beside the paper's; the bars on the plateau (docs/dpg-fig2.md)."""
    rows = ["| task | agent | setting (before / n_tilings) | steps | last checkpoint (95 % CI) | "
            "2nd half of the run (95 % CI) | paper | bar |", "|---|---|---|---|---|---|---|---|"]
    for (task, agent), rec in finals.items():
        last, last_half = final_return(rec)
        mean, half = plateau_return(rec)
        steps = rec["checkpoints"][-1]
        paper = paper_at(task, agent, steps)
        bar = ""
        if agent == "COPDAC-Q":
            plateau = PLATEAU[task]
            within = abs(mean - plateau) <= BAR * abs(plateau)
            others = [plateau_return(finals[(task, a)])[0] for a in ("SAC", "OffPAC") if (task, a) in finals]
            bar = (f"{'met' if within else 'NOT met'}: within 20 % of {plateau:+.0f}; "
                   f"{'' if all(mean >= o for o in others) else 'NOT '}>= SAC and OffPAC")
        diverged = int(np.sum(~np.isfinite(np.asarray(rec["returns"], dtype=float)).any(axis=1)))
        rows.append(f"| {task} | {agent} | {setting_name(rec['setting'])} | {steps:,} | {last:+.0f} ± {last_half:.0f} | "
                    f"{mean:+.0f} ± {half:.0f}{f' ({diverged} runs diverged)' if diverged else ''} | "
                    f"{'' if paper is None else f'{paper:+.0f}'} | {bar} |")
    return "\n".join(rows) + "\n"


def sweep_table(out: Path, cells, grids: dict) -> str:
    rows = ["| task | agent | setting | score (mean test return, 2nd half, tuning seeds) | chosen |", "|---|---|---|---|---|"]
    for task, agent in cells:
        records = {}
        for setting in settings(agent, grids):
            path = out / "sweep" / task / agent / f"{setting_name(setting)}.json"
            if path.exists():
                records[setting_name(setting)] = json.loads(path.read_text())
        if not records:
            continue
        chosen = setting_name(best_setting(records))
        for name, rec in records.items():
            value = score(rec["returns"]) if np.all(np.isfinite(rec["returns"])) else math.nan
            rows.append(f"| {task} | {agent} | {name} | {value:+.0f}{'' if np.isfinite(value) else ' (diverged)'} | "
                        f"{'**yes**' if name == chosen else ''} |")
    return "\n".join(rows) + "\n"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("results/dpg_fig2"))
    parser.add_argument("--seeds", type=int, default=30, help="reported seeds 0..N-1")
    parser.add_argument("--tuning-seeds", type=int, default=2, help=f"tuning seeds {TUNING_SEED}, {TUNING_SEED + 1}, ...")
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=list(TASKS))
    parser.add_argument("--agents", nargs="+", default=list(AGENTS), choices=list(AGENTS))
    parser.add_argument("--steps-scale", type=float, default=1.0, help="fraction of each task's steps (CI: 0.05)")
    parser.add_argument("--grid", choices=("full", "ci"), default="full", help="GRIDS, or CI's smoke grid CI_GRIDS")
    parser.add_argument("--sweep-fraction", type=float, default=0.5, help="the sweep's share of each task's steps")
    parser.add_argument("--jobs", type=int, default=2, help="(task, agent) cells run in parallel processes")
    parser.add_argument("--figure", type=Path, default=None, help="also write the figure here (docs/dpg_fig2.png)")
    parser.add_argument("--label", default="", help="a title line for the figure")
    parser.add_argument("--plot-only", action="store_true",
                        help="run nothing: plot and tabulate the finished final runs, the figure labelled if partial")
    args = parser.parse_args(argv)
    cells = [(t, a) for t in args.tasks for a in args.agents]
    jobs = [(t, a, args.out, args.seeds, args.tuning_seeds, args.steps_scale, args.grid, args.sweep_fraction)
            for t, a in cells]
    if args.plot_only:
        finals = {}
        for task, agent in cells:
            expected = dict(protocol(task, args.steps_scale, sweep=False), agent=agent, seeds=list(range(args.seeds)))
            rec = load(args.out / "final" / task / f"{agent}.json", expected)
            if rec is not None:
                finals[(task, agent)] = rec
        if len(finals) < len(cells):
            args.label = (f"PARTIAL RUN: {len(finals)} of {len(cells)} (task, agent) cells finished "
                          f"({time.strftime('%Y-%m-%d %H:%M')}) {args.label}").strip()
    elif args.jobs > 1:
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            finals = dict(zip(cells, pool.map(run_cell, *zip(*jobs))))
    else:
        finals = {cell: run_cell(*job) for cell, job in zip(cells, jobs)}
    plot(finals, args.out / "fig2.png", args.label)
    if args.figure is not None:
        plot(finals, args.figure, args.label)
    text = table(finals)
    atomic_write_bytes(args.out / "table.md", text.encode())
    atomic_write_bytes(args.out / "sweep.md",
                       sweep_table(args.out, cells, {"full": GRIDS, "ci": CI_GRIDS}[args.grid]).encode())
    print(text)
    return finals


if __name__ == "__main__":
    main()
