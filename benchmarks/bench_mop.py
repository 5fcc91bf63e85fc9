"""The MOP paper's behaviour on the food grid at full length, and the time of the exact solves.

    python benchmarks/bench_mop.py [--episodes 50] [--steps 50000] [--repeats 3]

At food gain G = 10 (Ramírez-Ruiz, Grytskyy, Mastrogiuseppe, Habib & Moreno-Bote 2024, Nature
Communications 15:6368, Fig. 1; 50 episodes of 50 000 steps from (3, 3) with full energy) it checks
what tests/test_mop.py checks on short runs: the MOP agent survives every episode and visits at
least 99 % of the 104 free cells (the paper: all of them), the random walker dies within a few
hundred steps (the paper: 119 on average), and the greedy reward seeker (epsilon = 0) visits
three cells (the paper's 0.019).  It prints the value-iteration time of each agent on the
12 100-state grid (median of ``--repeats`` solves, with the 1-minute load average) and the
episodes' steps per second, and exits non-zero if a check fails.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401
from baselines.intrinsic import MOP, RewardSeeking, run_episodes

AGENTS = {
    "MOP": (MOP, {}),
    "R eps=0": (RewardSeeking, {"epsilon": 0.0}),
    "random walker": (RewardSeeking, {"epsilon": 1.0}),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    env = gym.make("rl_envs/FoodGrid-v0", food_gain=10)
    runs, failures = {}, []
    print(f"{'agent':14s} {'sweeps':>6s} {'solve s (median)':>17s} {'load':>5s} {'episode steps/s':>16s}")
    for name, (cls, kwargs) in AGENTS.items():
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            agent = cls(env, **kwargs).learn()
            times.append(time.perf_counter() - start)
        load = os.getloadavg()[0]
        start = time.perf_counter()
        runs[name] = run_episodes(agent, args.episodes, args.steps, seed=0)
        rate = runs[name].survival.sum() / (time.perf_counter() - start)
        print(f"{name:14s} {agent.sweeps:6d} {np.median(times):17.2f} {load:5.1f} {rate:16,.0f}", flush=True)
    mop, greedy, walker = runs["MOP"], runs["R eps=0"], runs["random walker"]
    checks = {
        f"MOP survives all {args.episodes} episodes": not mop.died.any(),
        f"MOP visits >= 99 % of the cells on average ({mop.visited.mean():.2f} of 104, fewest {mop.visited.min()})": mop.visited.mean()
        >= 0.99 * 104,
        f"the random walker dies within a few hundred steps (mean {walker.survival.mean():.1f}, longest "
        f"{walker.survival.max()})": walker.died.all() and walker.survival.max() < 1000,
        f"the greedy reward seeker survives and visits 3 cells ({sorted(set(greedy.visited.tolist()))})": not greedy.died.any()
        and (greedy.visited == 3).all(),
    }
    for text, ok in checks.items():
        print(f"{'ok  ' if ok else 'FAIL'} {text}")
        if not ok:
            failures.append(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
