"""Environment steps per second through ``gymnasium.make``, against CartPole-v1 in the same run.

    python benchmarks/bench_envs.py [--seconds 3]

Each environment runs the same loop: pre-drawn random actions, reset when an episode ends.
The ratio to CartPole-v1 measured in this run is the figure to compare across machines.
Native vector environments (``gymnasium.make_vec``, 64 envs, next-step autoreset) count
environment steps (64 per call) against CartPole's own vector env in the same run.
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
    "rl_envs/PartiallyObservableMaze-v0": {},
    "rl_envs/PuddleWorld-v0": {},
    "rl_envs/MountainCarRLPark-v0": {},
    "rl_envs/SwingPendulum-v0": {},
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


VECTOR_CASES = {
    "CartPole-v1": {},
    "rl_envs/GridMaze-v0": {},
    "rl_envs/GridMaze-v0 (maze10x10, slip=0.1)": {"layout": "maze10x10", "slip": 0.1},
    "rl_envs/PartiallyObservableMaze-v0": {},
    "rl_envs/PuddleWorld-v0": {},
    "rl_envs/MountainCarRLPark-v0": {},
    "rl_envs/SwingPendulum-v0": {},
}


def vector_steps_per_second(env_id: str, kwargs: dict, seconds: float, num_envs: int = 64) -> float:
    venv = gym.make_vec(env_id.split(" ")[0], num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    actions = [venv.action_space.sample() for _ in range(256)]
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for a in actions:
            venv.step(a)
        n += len(actions) * num_envs
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
    rates = {name: vector_steps_per_second(name, kw, args.seconds) for name, kw in VECTOR_CASES.items()}
    ref = rates["CartPole-v1"]
    print(f"\n{'native vector env, 64 envs':45s} {'env steps/s':>12s} {'x CartPole':>11s}")
    for name, rate in rates.items():
        print(f"{name:45s} {rate:12,.0f} {rate / ref:11.2f}")


if __name__ == "__main__":
    main()
