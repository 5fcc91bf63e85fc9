"""Environment steps per second through ``gymnasium.make``, against CartPole-v1 in the same run.

    python benchmarks/bench_envs.py [--seconds 3]

Each environment runs the same loop: pre-drawn random actions, reset when an episode ends.
The ratio to CartPole-v1 measured in this run is the figure to compare across machines.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401

CASES = {
    "CartPole-v1": {},
    "rl_envs/GridMaze-v0": {},
    "rl_envs/GridMaze-v0 (maze10x10, slip=0.1)": {"layout": "maze10x10", "slip": 0.1},
    "rl_envs/LQControl-v0": {},
    "rl_envs/LQControl-v0 (datacenter, dt=0.1)": {"system": "datacenter", "dt": 0.1},
}


def steps_per_second(env_id: str, kwargs: dict, seconds: float) -> float:
    env = gym.make(env_id.split(" ")[0], **kwargs)
    rng = np.random.default_rng(0)
    actions = [env.action_space.sample() for _ in range(4096)] if not hasattr(env.action_space, "n") \
        else rng.integers(env.action_space.n, size=4096).tolist()
    env.reset(seed=0)
    n, t0 = 0, time.perf_counter()
    deadline = t0 + seconds
    while True:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        n += len(actions)
        if time.perf_counter() >= deadline:
            break
    return n / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    rates = {name: steps_per_second(name, kw, args.seconds) for name, kw in CASES.items()}
    ref = rates["CartPole-v1"]
    print(f"{'environment':45s} {'steps/s':>12s} {'x CartPole':>11s}")
    for name, rate in rates.items():
        print(f"{name:45s} {rate:12,.0f} {rate / ref:11.2f}")


if __name__ == "__main__":
    main()
