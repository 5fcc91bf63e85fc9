"""Training steps per second of every tabular agent, against the bare environment loop in the same run.

    python benchmarks/bench_agents.py [--seconds 3] [--layout maze10x10]

The reference is the loop every agent runs, with random actions and no learning, through
``gymnasium.make`` on the same maze; the ratio says how much of an agent's time is its own.
The agents take the arguments and training time limit of
``baselines.tabular.settings.training_setup``, as the experiments do.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401
from baselines.tabular import CONTROL_AGENTS
from baselines.tabular.settings import training_setup


def make_maze(layout: str, max_steps: int | None = None):
    return gym.make("rl_envs/GridMaze-v0", layout=layout, move_cost=0.01, max_steps=max_steps)


def env_loop_rate(layout: str, seconds: float) -> float:
    env = make_maze(layout)
    actions = np.random.default_rng(0).integers(4, size=4096).tolist()
    env.reset(seed=0)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()
        n += len(actions)
    return n / (time.perf_counter() - t0)


def agent_rate(cls, layout: str, seconds: float) -> float:
    hyper, max_steps = training_setup(cls.__name__, layout)
    agent = cls(make_maze(layout, max_steps), seed=0, **hyper)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        agent.learn(5_000)
    return agent.num_timesteps / (time.perf_counter() - t0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--layout", default="maze10x10")
    args = parser.parse_args()
    ref = env_loop_rate(args.layout, args.seconds)
    print(f"{'loop on ' + args.layout:28s} {'steps/s':>10s} {'x env loop':>11s}")
    print(f"{'env loop, random actions':28s} {ref:10,.0f} {1.0:11.2f}")
    for cls in CONTROL_AGENTS:
        rate = agent_rate(cls, args.layout, args.seconds)
        print(f"{cls.__name__:28s} {rate:10,.0f} {rate / ref:11.2f}")


if __name__ == "__main__":
    main()
