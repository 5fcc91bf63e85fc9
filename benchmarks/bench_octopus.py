"""Octopus-arm speed against CartPole-v1 measured in the same rounds: the env, the vector env on
one and on two cores, each kernel alone.

    python benchmarks/bench_octopus.py [--seconds 2] [--repeats 3] [--arms 64]

Bars (issue 16), in steps/s against CartPole-v1's single env through ``gymnasium.make``, arm-steps
counted for the vector env: 64 arms >= 1.5x on 2 cores and >= 0.8x on one (moonshot 2x), one
env >= 0.35x.  Every figure is the median of ``--repeats`` rounds; a round measures every row
once, so CartPole and the rows compared with it share the load of the round, and the load
column is the 1-minute load average at the row.  The kernel rows time ``physics.Kernel.advance``
alone (no env, no Python per arm) in wall and in this process's CPU time, which leaves out the
time other processes hold the core (not their effect on a shared core's execution units).
Pre-drawn uniform random actions; episodes reset as they end.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401
from rl_envs.octopus import physics


def rate(step, n_per_call: int, seconds: float) -> float:
    step()  # compile / warm up
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += n_per_call
    return n / (time.perf_counter() - t0)


def single_env(env_id: str, seconds: float, **kwargs) -> float:
    env = gym.make(env_id, **kwargs)
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(256)]
    env.reset(seed=0)

    def run():
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()

    return rate(run, len(actions), seconds)


def vector_env(n_arms: int, seconds: float, **kwargs) -> float:
    venv = gym.make_vec("rl_envs/OctopusArm-v0", num_envs=n_arms, vectorization_mode="vector_entry_point", **kwargs)
    venv.reset(seed=0)
    actions = np.random.default_rng(0).random((16, n_arms, venv.single_action_space.shape[0])).astype(np.float32)

    def run():
        for a in actions:
            venv.step(a)

    return rate(run, len(actions) * n_arms, seconds)


def numpy_reference(n_arms: int, seconds: float) -> float:
    model = physics.build_model()
    states = np.repeat(model.initial_state[None], n_arms, axis=0)
    rng = np.random.default_rng(0)

    def run():
        nonlocal states
        states = physics.rk4_step_numpy(states, rng.random((n_arms, model.action_size)), model)

    return rate(run, n_arms, seconds)


def kernel_cost(kind: str, n_arms: int, threads: int, seconds: float) -> tuple[float, float]:
    """Microseconds per arm-step of ``physics.Kernel.advance`` alone: wall and CPU time."""
    model = physics.build_model()
    kernel = physics.Kernel(model, kind, threads)
    states = np.repeat(model.initial_state[None], n_arms, axis=0)
    targets = np.repeat(np.array([[3.5, 3.5]]), n_arms, axis=0)
    actions = np.random.default_rng(0).random((n_arms, model.action_size))
    out = np.empty(n_arms), np.empty(n_arms, dtype=np.bool_), np.empty(n_arms, dtype=np.int64)
    kernel.advance(states, actions, targets, *out)
    calls, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        kernel.advance(states, actions, targets, *out)
        calls += 1
    per = 1e6 / (calls * n_arms)
    return (time.perf_counter() - wall0) * per, (time.process_time() - cpu0) * per


def rows(n: int, s: float) -> list:
    """(name, function returning steps/s or (wall, cpu) us per arm-step, bar against CartPole)."""
    kinds = ["simd", "numba"] if physics._simd is not None else ["numba"]
    out = [("CartPole-v1 (gymnasium.make)", lambda: single_env("CartPole-v1", s), None)]
    for kind in kinds:
        out.append(
            (
                f"OctopusArm-v0 (gymnasium.make), 1 arm, {kind}",
                lambda kind=kind: single_env("rl_envs/OctopusArm-v0", s, kernel=kind),
                0.35 if kind == "simd" else None,
            )
        )
    for kind in kinds:
        for threads in (1, 2):
            bar = {1: 0.8, 2: 1.5}[threads] if kind == "simd" else None
            out.append(
                (
                    f"OctopusArm-v0 vector env, {n} arms, {kind}, {threads} thread(s) (arm-steps/s)",
                    lambda kind=kind, threads=threads: vector_env(n, s, kernel=kind, threads=threads),
                    bar,
                )
            )
    out += [
        ("  plain NumPy step, 1 arm", lambda: numpy_reference(1, s), None),
        (f"  plain NumPy step, {n} arms batched (arm-steps/s)", lambda: numpy_reference(n, s), None),
    ]
    for kind in kinds:
        for arms, threads in ((1, 1), (n, 1), (n, 2)):
            out.append(
                (
                    f"kernel alone: {kind}, {arms} arm(s), {threads} thread(s)",
                    lambda kind=kind, arms=arms, threads=threads: kernel_cost(kind, arms, threads, s),
                    "us",
                )
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="per row and round (default 2)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; each figure is their median (default 3)")
    parser.add_argument("--arms", type=int, default=64)
    args = parser.parse_args()
    table = rows(args.arms, args.seconds)
    results = {name: [] for name, _, _ in table}
    loads = {name: [] for name, _, _ in table}
    print(f"{os.cpu_count()} CPUs, load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for _ in range(args.repeats):
        for name, measure, _ in table:
            results[name].append(measure())
            loads[name].append(os.getloadavg()[0])
    cartpole = float(np.median(results[table[0][0]]))
    print("| case | steps/s | × CartPole-v1 | bar | load |\n|---|---:|---:|---|---:|")
    for name, _, bar in table:
        load = np.mean(loads[name])
        if bar == "us":
            wall, cpu = np.median(np.array(results[name]), axis=0)
            print(
                f"| {name} | {1e6 / wall:,.0f} ({wall:.1f} µs wall, {cpu:.1f} µs CPU per arm-step) | "
                f"{1e6 / wall / cartpole:.2f} | | {load:.2f} |"
            )
            continue
        r = float(np.median(results[name]))
        verdict = "" if bar is None else f">= {bar}: {'met' if r / cartpole >= bar else 'NOT met'}"
        print(f"| {name} | {r:,.0f} | {r / cartpole:.2f} | {verdict} | {load:.2f} |")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
