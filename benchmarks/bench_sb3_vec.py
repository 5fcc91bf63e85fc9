"""PPO training wall time through the native vector env (``GymnasiumVecEnv``) and through
``DummyVecEnv``, at ``n_envs = 16``, with the load average beside every figure.

    python benchmarks/bench_sb3_vec.py [--updates 4] [--repeats 3]

Each run trains PPO (``n_steps=64``, ``batch_size=256``, ``n_epochs=4``) for ``--updates``
rollouts of ``16 * 64`` steps; the figure is the median over ``--repeats`` runs, the two ways
alternating so that they share the load.  ``rollout s`` is the time spent collecting (env steps
plus the policy's forward passes), ``total s`` includes the gradient updates.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback

import rl_envs  # noqa: F401
from baselines.sb3 import make_vec_env

CASES = {"CartPole-v1": {}, "rl_envs/GridMaze-v0": {"layout": "maze10x10"}, "rl_envs/OctopusArm-v0": {}}
N_ENVS, N_STEPS = 16, 64


class RolloutTimer(BaseCallback):
    def __init__(self):
        super().__init__()
        self.seconds = 0.0

    def _on_rollout_start(self) -> None:
        self._t0 = time.perf_counter()

    def _on_rollout_end(self) -> None:
        self.seconds += time.perf_counter() - self._t0

    def _on_step(self) -> bool:
        return True


def train_time(env_id: str, kwargs: dict, vec_env: str, updates: int) -> tuple[float, float]:
    env = make_vec_env(env_id, N_ENVS, seed=0, env_kwargs=kwargs, vec_env=vec_env)
    model = PPO("MlpPolicy", env, n_steps=N_STEPS, batch_size=256, n_epochs=4, seed=0, device="cpu")
    timer = RolloutTimer()
    t0 = time.perf_counter()
    model.learn(updates * N_ENVS * N_STEPS, callback=timer)
    return time.perf_counter() - t0, timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)  # the same for both ways; the machine is shared
    print(
        f"PPO, n_envs={N_ENVS}, {args.updates} x {N_ENVS * N_STEPS} steps, torch threads 1, "
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}\n"
    )
    print("| environment | vec env | total s | rollout s | env steps/s in rollouts | load |")
    print("|---|---|---:|---:|---:|---:|")
    for env_id, kwargs in CASES.items():
        runs = {"native": [], "dummy": []}
        loads = {"native": [], "dummy": []}
        for _ in range(args.repeats):
            for way in runs:
                runs[way].append(train_time(env_id, kwargs, way, args.updates))
                loads[way].append(os.getloadavg()[0])
        for way, times in runs.items():
            total, rollout = np.median(np.array(times), axis=0)
            rate = args.updates * N_ENVS * N_STEPS / rollout
            print(f"| {env_id} | {way} | {total:.2f} | {rollout:.2f} | {rate:,.0f} | {np.mean(loads[way]):.2f} |")


if __name__ == "__main__":
    main()
