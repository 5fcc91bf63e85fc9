"""Wall time of a comparison grid on the local process pool and on Ray, in the same run, and
Ray's overhead per cell; then, from measured steps per second, the DPG Figure-2 grid on paper.

    python benchmarks/bench_ray.py [--grid default|reference] [--cpus 2] [--fig2-steps 5000]

``--grid default`` is the embedded default comparison (``python -m baselines compare``);
``reference`` is seed 0 of each of its runs (a representative subset: every environment, each
reference agent and the SB3 rows that finish in minutes).  Each back-end runs the grid into a
fresh folder, the pool first, then Ray (``ray.init(num_cpus=cpus)``, its start-up timed apart).
Ray's overhead per cell is measured on tiny cells (a 300-step Q-learning run), once the
workers are warm: (Ray's wall time - in-process time) / cells.  The load average is printed
with each figure: the machine is shared, so compare figures of one run only.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from baselines import compare as cmp


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def reference_subset(config: dict) -> dict:
    runs = copy.deepcopy(config["runs"])
    for run in runs:
        run["seeds"] = [0]
    return {"runs": runs}


def timed(cells, backend, out: Path) -> float:
    t0 = time.perf_counter()
    result = cmp.compare(cells, out, backend, progress_bar=False)
    assert not result.failed, result.failed
    return time.perf_counter() - t0


def fig2_rates(steps: int) -> dict:
    """Steps per second of the three §5.2 agents on the three §5.2 tasks (one process, one thread)."""
    import gymnasium as gym

    from baselines.registry import AGENTS

    cmp.run.limit_threads(1)
    rates = {}
    for env_id in ("rl_envs/MountainCarRLPark-v0", "rl_envs/SwingPendulum-v0", "rl_envs/PuddleWorld-v0"):
        for agent in ("TileCOPDACQ", "TileSAC", "TileOffPAC"):
            model = AGENTS[agent](gym.make(env_id), seed=0)
            t0 = time.perf_counter()
            model.learn(steps)
            rates[env_id, agent] = steps / (time.perf_counter() - t0)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", choices=("default", "reference"), default="reference")
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--fig2-steps", type=int, default=5000)
    args = parser.parse_args()
    import ray

    from baselines.compare.ray_backend import RayBackend

    config = cmp.default_config() if args.grid == "default" else reference_subset(cmp.default_config())
    cells = cmp.cells_from_config(config)
    tmp = Path(tempfile.mkdtemp(prefix="bench_ray"))
    print(f"{len(cells)} cells ({args.grid} grid), {args.cpus} CPUs")
    pool = timed(cells, cmp.ProcessPoolBackend(args.cpus), tmp / "pool")
    print(f"local pool ({args.cpus} workers): {pool:8.1f} s   [{load()}]", flush=True)
    t0 = time.perf_counter()
    ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="WARNING")
    start = time.perf_counter() - t0
    on_ray = timed(cells, RayBackend(), tmp / "ray")
    print(f"Ray ({args.cpus} CPUs):          {on_ray:8.1f} s + {start:.1f} s ray.init   [{load()}]", flush=True)
    same = all(
        json.loads((tmp / "pool" / "cells" / f"{c.key}.json").read_text())["row"]["return"]
        == json.loads((tmp / "ray" / "cells" / f"{c.key}.json").read_text())["row"]["return"]
        for c in cells
    )
    print(f"every cell's return the same on both: {same}")

    tiny = cmp.cells_from_config(
        {
            "runs": [
                {"env": "rl_envs/GridMaze-v0", "steps": 300, "seeds": 40, "eval_episodes": 1, "agents": ["QLearning"]}
            ]
        }
    )
    timed(tiny[:4], RayBackend(), tmp / "warm")  # workers started and imported
    serial = timed(tiny, cmp.SerialBackend(), tmp / "tiny_serial")
    ray_tiny = timed(tiny, RayBackend(), tmp / "tiny_ray")
    per_cell = (ray_tiny - serial / args.cpus) / len(tiny)
    print(
        f"tiny cells: in-process {serial / len(tiny) * 1000:.0f} ms a cell, on Ray {ray_tiny / len(tiny) * 1000:.0f} ms "
        f"a cell with {args.cpus} CPUs; overhead {per_cell * 1000:.0f} ms a cell   [{load()}]"
    )
    ray.shutdown()

    rates = fig2_rates(args.fig2_steps)
    print(f"\nDPG §5.2 agents, steps per second in one process ({args.fig2_steps} steps each)   [{load()}]")
    for (env_id, agent), rate in rates.items():
        print(f"  {env_id:32s} {agent:12s} {rate:8.0f}")
    fig2_steps, runs = 500_000, 30
    cell_s = [fig2_steps / r for r in rates.values()]
    total_s = runs * sum(cell_s)
    print(
        f"Figure-2 grid: 3 tasks x 3 agents x {runs} runs x {fig2_steps:,} steps = {9 * runs} cells, "
        f"{total_s / 3600:.1f} CPU-hours (cells of {min(cell_s) / 60:.0f} to {max(cell_s) / 60:.0f} min)"
    )
    for nodes, cores in ((1, args.cpus), (32, args.cpus)):
        print(
            f"  {nodes:2d} node(s) x {cores} cores: {3600 * nodes * cores / (total_s / (9 * runs)):.0f} cells/hour, "
            f"the grid in {total_s / (nodes * cores) / 3600:.2f} h (+ {per_cell * 9 * runs / (nodes * cores):.1f} s of "
            "Ray overhead)"
        )
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
