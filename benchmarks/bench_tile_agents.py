"""Agent-steps per second of ``SeedBatch`` (N seeds as one array program) against the bare
native vector env loop with N sub-envs, for the tile actor-critics of DPG §5.2.

    python benchmarks/bench_tile_agents.py [--steps 2000] [--table-size 16384]

An agent-step is one seed's environment step with its action choice and its update.  The
bare loop steps the same vector env with pre-drawn random actions.  Both are timed after a
short warm-up (numba's compiled kernels load, the batch is built), best of ``--repeats``, and
the load average is printed with the table (other processes share the cores).  The issue's
bar: at N = 30, agent + env >= 0.3 x the bare env loop.
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium as gym

import rl_envs  # noqa: F401
from baselines.linear import TileCOPDACQ, TileOffPAC, TileSAC
from baselines.linear.tile_actor_critic import SeedBatch


def bare_env_rate(env_id: str, n: int, steps: int, repeats: int) -> float:
    venv = gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point")
    venv.reset(seed=list(range(n)))
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(64)]
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for t in range(steps):
            venv.step(actions[t % 64])
        best = max(best, n * steps / (time.perf_counter() - t0))
    return best


def agent_rate(cls, env_id: str, n: int, steps: int, table_size: int, repeats: int) -> float:
    batch = SeedBatch(cls, env_id, range(n), table_size=table_size).learn(10)
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        batch.learn(steps)
        best = max(best, n * steps / (time.perf_counter() - t0))
    return best


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--table-size", type=int, default=1 << 14)
    parser.add_argument("--env", default="rl_envs/SwingPendulum-v0")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"{args.env}, {args.steps} steps per seed, tables of {args.table_size} rows, best of {args.repeats}; {load()}"
    )
    print(
        f"{'N':>5} {'bare env steps/s':>17} "
        + " ".join(f"{c.__name__ + ' steps/s':>20} {'ratio':>6}" for c in (TileSAC, TileOffPAC, TileCOPDACQ))
    )
    for n in (1, 30, 256):
        bare = bare_env_rate(args.env, n, args.steps, args.repeats)
        cells = []
        for cls in (TileSAC, TileOffPAC, TileCOPDACQ):
            rate = agent_rate(cls, args.env, n, args.steps, args.table_size, args.repeats)
            cells.append(f"{rate:>20,.0f} {rate / bare:>6.2f}")
        print(f"{n:>5} {bare:>17,.0f} " + " ".join(cells), flush=True)
    print(load())


if __name__ == "__main__":
    main()
