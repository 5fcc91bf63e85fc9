"""The MOP paper's food-gain sweep on the four-room grid: survival and occupancy of the MOP agent, the
reward-seeking agent (epsilon = 0, 0.45, 0.5) and the random walker (Ramírez-Ruiz, Grytskyy,
Mastrogiuseppe, Habib & Moreno-Bote 2024, Nature Communications 15:6368, Fig. 1).

    python experiments/mop_food_grid.py [--gains 2 3 5 10 20 30 50 75 100] [--episodes 50]
                                        [--steps 50000] [--seed 0] [--tol 1e-9] [--out results/mop_food_grid]
                                        [--from-results]

For each food gain G (cap 100, gamma = 0.99, alpha = 1, beta = 0, value iteration to 1e-9): 50
episodes of 50 000 steps of each agent from (3, 3) with full energy, each ending at death.  Writes
``table.md`` (ours beside the paper's numbers, which are the means of the authors' published
occupancy data, and the random walker's exact expected survival), ``solve.md`` (value-iteration sweeps and seconds per agent and G),
``results.json`` (with the run's provenance, :mod:`baselines.provenance`), ``provenance.md`` and
``heatmaps.png`` (where each agent spends its time at G = ``--heatmap-gain``).
Nothing is tuned: the agents have the paper's parameters.  ``--tol 0.01`` solves as loosely as the
authors' code did (their stored value tables are those truncations).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import gymnasium as gym

import rl_envs  # noqa: F401
from baselines.cli import Parser, count, number, output_folder
from baselines.intrinsic import MOP, RewardSeeking, expected_survival, paper_fraction, run_episodes
from baselines.io import atomic_write_bytes, save_figure
from baselines.provenance import Provenance, write_markdown
from baselines.seeds import seed_summary
from rl_envs.food_grid import FOOD, FREE, SIZE

GAINS = [2, 3, 5, 10, 20, 30, 50, 75, 100]
AGENTS = {
    "MOP": (MOP, {}),
    "R eps=0": (RewardSeeking, {"epsilon": 0.0}),
    "R eps=0.45": (RewardSeeking, {"epsilon": 0.45}),
    "R eps=0.5": (RewardSeeking, {"epsilon": 0.5}),
    "random walker": (RewardSeeking, {"epsilon": 1.0}),
}
# The paper's numbers: means over its 50 episodes of 50 000 steps, from the authors' occupancy data
# (github.com/jorgeerrz/occupancy_max_paper, code_occupancy_max/gridworld/occupations_final_paper),
# for the gains of GAINS.  "fraction" is the paper's occupied fraction, 1 - unvisited / 103.
PAPER = {
    ("MOP", "survival"): [50000] * 9,
    ("MOP", "fraction"): [0.598, 0.997, 1, 1, 1, 1, 1, 1, 1],
    ("R eps=0", "survival"): [50000] * 9,
    ("R eps=0", "fraction"): [0.019] * 9,
    ("R eps=0.45", "survival"): [50000] * 9,
    ("R eps=0.45", "fraction"): [0.705, 0.677, 0.731, 0.766, 0.733, 0.743, 0.745, 0.776, 0.781],
    ("R eps=0.5", "survival"): [14332, 49822, 49881, 49190, 49722, 50000, 49479, 49622, 49559],
    ("R eps=0.5", "fraction"): [0.530, 0.874, 0.910, 0.870, 0.766, 0.873, 0.896, 0.890, 0.914],
    ("random walker", "survival"): [102.9, 104.9, 112.0, 119.4, 152.7, 169.3, 214.7, 193.7, 177.6],
    ("random walker", "fraction"): [0.315, 0.287, 0.320, 0.319, 0.363, 0.393, 0.454, 0.430, 0.383],
}


def measure(gain: int, episodes: int, steps: int, seed: int, tol: float) -> dict:
    """Every agent at one food gain: its solve and its episodes' survival and occupancy."""
    env = gym.make("rl_envs/FoodGrid-v0", food_gain=gain)
    out = {}
    for name, (cls, kwargs) in AGENTS.items():
        start = time.perf_counter()
        agent = cls(env, tol=tol, **kwargs).learn()
        solve_s = time.perf_counter() - start
        runs = run_episodes(agent, episodes, steps, seed=seed)
        out[name] = {
            "sweeps": agent.sweeps,
            "solve_s": round(solve_s, 2),
            "survival": runs.survival.tolist(),
            "died": runs.died.tolist(),
            "visited": runs.visited.tolist(),
            "fraction": paper_fraction(runs).tolist(),
            "mean_visits": runs.visits.mean(axis=0).tolist(),
        }
        print(
            f"G={gain:3d} {name:13s} solve {agent.sweeps:4d} sweeps {solve_s:5.1f} s | survival "
            f"{runs.survival.mean():8.1f} (min {runs.survival.min()}) | cells visited {runs.visited.mean():6.1f} "
            f"| paper's fraction {paper_fraction(runs).mean():.3f}",
            flush=True,
        )
    return out


def fmt(x: float) -> str:
    return f"{x:.0f}" if x >= 1000 else f"{x:.1f}" if x > 1 else f"{x:.3f}"


def walker_survival(gains: list[int]) -> dict[int, float]:
    """The random walker's exact expected survival at each gain (a linear solve on the model)."""
    return {
        g: expected_survival(RewardSeeking(gym.make("rl_envs/FoodGrid-v0", food_gain=g), epsilon=1.0).learn())
        for g in gains
    }


def markdown_table(results: dict, gains: list[int], exact: dict[int, float]) -> str:
    """Survival and occupied fraction per agent and G, ours (mean over episodes) above the paper's;
    for the random walker also its exact expected survival."""
    lines = [
        "| agent | measure | source | " + " | ".join(f"G = {g}" for g in gains) + " |",
        "|---|---|---|" + "---|" * len(gains),
    ]
    for name in AGENTS:
        for what, label in (("survival", "steps survived"), ("fraction", "occupied fraction")):
            ours = [np.mean(results[g][name][what]) for g in gains]
            paper = [PAPER[name, what][GAINS.index(g)] if g in GAINS else np.nan for g in gains]
            lines.append(f"| {name} | {label} | ours | " + " | ".join(fmt(x) for x in ours) + " |")
            lines.append("| | | paper | " + " | ".join("–" if np.isnan(x) else fmt(x) for x in paper) + " |")
            if name == "random walker" and what == "survival":
                lines.append("| | | exact | " + " | ".join(fmt(exact[g]) for g in gains) + " |")
    return "\n".join(lines) + "\n"


def solve_table(results: dict, gains: list[int]) -> str:
    lines = ["| agent | " + " | ".join(f"G = {g}" for g in gains) + " |", "|---|" + "---|" * len(gains)]
    for name in AGENTS:
        lines.append(
            f"| {name} | "
            + " | ".join(f"{results[g][name]['sweeps']} / {results[g][name]['solve_s']:.1f} s" for g in gains)
            + " |"
        )
    return "\n".join(lines) + "\n"


def plot_heatmaps(measured: dict, gain: int, path: Path) -> None:
    """Each agent's share of its living time steps (pooled over its episodes) spent in each cell at
    one food gain, on one log scale: walls grey, never visited white, food green."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    fig, axes = plt.subplots(1, len(AGENTS), figsize=(2.9 * len(AGENTS), 3.4), layout="constrained")
    walls = ~FREE.reshape(SIZE, SIZE)
    cmap = plt.get_cmap("magma_r").copy()
    cmap.set_bad("0.45")
    cmap.set_under("white")
    norm = LogNorm(vmin=1e-5, vmax=1.0)
    for ax, name in zip(axes, AGENTS):
        visits = np.array(measured[name]["mean_visits"])
        share = np.ma.masked_array(np.where(visits > 0, visits / visits.sum(), 1e-9), walls)
        image = ax.imshow(share, origin="lower", cmap=cmap, norm=norm, extent=(0.5, SIZE + 0.5, 0.5, SIZE + 0.5))
        ax.scatter(*zip(*FOOD), marker="D", s=40, color="tab:green")
        survival = np.mean(measured[name]["survival"])
        ax.set_title(f"{name}\nsurvival {survival:.0f}, {np.mean(measured[name]['visited']):.0f}/104 cells", fontsize=9)
        ax.set_xticks([1, 6, 11])
        ax.set_yticks([1, 6, 11])
    fig.colorbar(image, ax=axes, shrink=0.8, label="share of the time alive (white: never)")
    fig.suptitle(f"Food grid, G = {gain}: where each agent spends its life", fontsize=10)
    save_figure(fig, path)


def main(argv=None) -> None:
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--gains", type=count(), nargs="+", default=GAINS, help="the food gains G (the paper's: default)"
    )
    parser.add_argument("--episodes", type=count(), default=50, help="episodes per agent and gain")
    parser.add_argument("--steps", type=count(), default=50_000, help="steps at most per episode")
    parser.add_argument("--seed", type=count(low=0), default=0, help="the episodes' seed")
    parser.add_argument(
        "--tol",
        type=number(0, low_open=True),
        default=1e-9,
        help="the solves' stopping tolerance (the authors' code: 0.01, their stored values)",
    )
    parser.add_argument("--heatmap-gain", type=count(), default=10, help="the gain of the heatmaps, one of --gains")
    parser.add_argument(
        "--out",
        type=output_folder,
        default="results/mop_food_grid",
        help="results folder (results.json, tables, figure)",
    )
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="rewrite the tables and the figure from <out>/results.json without running the episodes",
    )
    args = parser.parse_args(argv)
    out = args.out
    if args.from_results:
        if not (out / "results.json").is_file():
            parser.error(f"--from-results needs {out / 'results.json'}, which is not there")
        results = {int(g): r for g, r in json.loads((out / "results.json").read_text())["gains"].items()}
        args.gains = list(results)
    if args.heatmap_gain not in args.gains:
        parser.error(f"--heatmap-gain {args.heatmap_gain} is not among the gains {args.gains}")
    if not args.from_results:
        provenance = Provenance()
        results = {g: measure(g, args.episodes, args.steps, args.seed, args.tol) for g in args.gains}
        # One seed, the vector env's (run_episodes), for every agent and gain; no test episodes.
        entry = provenance.record(seed_summary([args.seed], []))
        atomic_write_bytes(
            out / "results.json",
            json.dumps(
                {
                    "provenance": entry,
                    "episodes": args.episodes,
                    "steps": args.steps,
                    "seed": args.seed,
                    "tol": args.tol,
                    "gains": results,
                }
            ).encode(),
        )
        write_markdown(out, entry)
    table = markdown_table(results, args.gains, walker_survival(args.gains))
    atomic_write_bytes(out / "table.md", table.encode())
    atomic_write_bytes(out / "solve.md", solve_table(results, args.gains).encode())
    plot_heatmaps(results[args.heatmap_gain], args.heatmap_gain, out / "heatmaps.png")
    print(table)


if __name__ == "__main__":
    from baselines.interrupts import run_script  # SIGTERM as Ctrl-C, and the resume line

    raise SystemExit(run_script(main))
