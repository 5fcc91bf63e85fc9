"""Environment steps per second, single and native vector, against CartPole measured in the same run.

    python benchmarks/bench_envs.py [--seconds 1] [--repeats 3] [--only NAME ...]

One Markdown table: every registered environment (and a few variants) through ``gymnasium.make``
and through its native vector env (``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")``,
next-step autoreset) at ``n = 1, 64, 256``, counting environment steps (``n`` per call).  Each
single row is divided by CartPole-v1's single-env rate and each vector row by
``CartPoleVectorEnv``'s at the same ``n``; the ratios are the figures to compare across machines
and loads.  Every figure is the median of ``--repeats`` rounds, and a round measures every row
once, so CartPole and the environment it is compared with share the load of that round; the
load column is the 1-minute load average during the row's measurements.  Pre-drawn random
actions; single envs reset when an episode ends.
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

import numpy as np
import gymnasium as gym

import rl_envs

VARIANTS = {
    "rl_envs/GridMaze-v0 (maze10x10, slip=0.1)": {"layout": "maze10x10", "slip": 0.1},
    "rl_envs/LQControl-v0 (datacenter, dt=0.1)": {"system": "datacenter", "dt": 0.1},
    # the octopus rows above run the compiled SIMD kernel on every core; these on one core, and
    # the numba kernel it replaced (the fallback where no C compiler built it)
    "rl_envs/OctopusArm-v0 (threads=1)": {"threads": 1},
    "rl_envs/OctopusArm-v0 (kernel=numba)": {"kernel": "numba"},
}
CASES = {"CartPole-v1": {}, **{env_id: {} for env_id in rl_envs.ENV_IDS}, **VARIANTS}
SIZES = (1, 64, 256)


# The clock of the rates: wall time by default; --clock cpu counts the process's CPU time, which
# other jobs on a shared machine disturb far less (a multi-threaded row then counts every thread).
CLOCK = time.perf_counter


def _timed(step, calls_per_round: int, steps_per_call: int, seconds: float) -> float:
    n, t0 = 0, CLOCK()
    while True:
        for _ in range(calls_per_round):
            step()
        n += calls_per_round * steps_per_call
        if CLOCK() - t0 >= seconds:
            return n / (CLOCK() - t0)


def single_rate(env_id: str, kwargs: dict, seconds: float) -> float:
    env = gym.make(env_id.split(" ")[0], **kwargs)
    env.action_space.seed(0)
    actions = itertools.cycle([env.action_space.sample() for _ in range(1024)])
    env.reset(seed=0)

    def step():
        if any(env.step(next(actions))[2:4]):
            env.reset()

    step()  # compile / warm up
    return _timed(step, 256, 1, seconds)


def vector_rate(env_id: str, kwargs: dict, num_envs: int, seconds: float) -> float:
    venv = gym.make_vec(env_id.split(" ")[0], num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    actions = itertools.cycle([venv.action_space.sample() for _ in range(64)])

    def step():
        return venv.step(next(actions))

    step()
    return _timed(step, max(1, 256 // num_envs), num_envs, seconds)


def has_vector_env(env_id: str) -> bool:
    return gym.spec(env_id.split(" ")[0]).vector_entry_point is not None


def measure(cases: dict, seconds: float, repeats: int) -> dict:
    """``(name, n) -> (median env steps/s, mean load)``; ``n = 0`` is the single env."""
    rows = [(name, 0) for name in cases] + [(name, n) for n in SIZES for name in cases if has_vector_env(name)]
    rates = {row: [] for row in rows}
    loads = {row: [] for row in rows}
    for _ in range(repeats):
        for name, n in rows:
            rate = single_rate(name, cases[name], seconds) if n == 0 else vector_rate(name, cases[name], n, seconds)
            rates[name, n].append(rate)
            loads[name, n].append(os.getloadavg()[0])
    return {row: (float(np.median(rates[row])), float(np.mean(loads[row]))) for row in rows}


def table(results: dict) -> str:
    lines = [
        "| environment | n | env steps/s | × CartPole-v1 | × CartPoleVectorEnv (same n) | load |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    single_ref = results["CartPole-v1", 0][0]
    for (name, n), (rate, load) in results.items():
        vector_ref = f"{rate / results['CartPole-v1', n][0]:.2f}" if n else ""
        lines.append(
            f"| {name} | {n or 'single'} | {rate:,.0f} | {rate / single_ref:.2f} | {vector_ref} | {load:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="per row and round (default 1)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; each figure is their median (default 3)")
    parser.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="NAME",
        help="measure only the rows whose name contains one of these (CartPole always)",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="time rates by the wall clock (default) or by the process's CPU time",
    )
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.perf_counter if args.clock == "wall" else time.process_time
    cases = {
        name: kw
        for name, kw in CASES.items()
        if args.only is None or name == "CartPole-v1" or any(part in name for part in args.only)
    }
    print(
        f"{os.cpu_count()} CPUs, {args.repeats} rounds of {args.seconds:g} s ({args.clock} clock) per row, "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    print(table(measure(cases, args.seconds, args.repeats)))


if __name__ == "__main__":
    main()
