"""Octopus-arm speed against CartPole-v1 measured in the same run, and against plain NumPy.

    python benchmarks/bench_octopus.py [--seconds 3] [--arms 64]

Goals (issue 6): one env through ``gymnasium.make`` >= 0.2x CartPole-v1's steps/s; the native
vector env at 64 arms (numba prange over the arms, all cores) >= 0.5x CartPole's, counting
arm-steps.  The NumPy rows run the same RK4 step as array expressions (``rk4_step_numpy``).
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
    actions = [env.action_space.sample() for _ in range(1024)]
    env.reset(seed=0)

    def run():
        for a in actions:
            _, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                env.reset()

    return rate(run, len(actions), seconds)


def vector_env(n_arms: int, seconds: float) -> float:
    venv = gym.make_vec("rl_envs/OctopusArm-v0", num_envs=n_arms, vectorization_mode="vector_entry_point")
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


def kernel_cost(n_arms: int, seconds: float) -> tuple[float, float]:
    """Microseconds per arm-step of the serial numba kernel alone: wall time, and this process's
    CPU time, which leaves out the time other processes hold the core (not their effect on
    the core's caches and shared execution units)."""
    model = physics.build_model()
    states = np.repeat(model.initial_state[None], n_arms, axis=0)
    targets = np.repeat(np.array([[3.5, 3.5]]), n_arms, axis=0)
    actions = np.random.default_rng(0).random((n_arms, model.action_size))
    out = np.empty(n_arms), np.empty(n_arms, dtype=np.bool_), np.empty(n_arms, dtype=np.int64)
    args = (states, actions, targets, *model.kernel_args(), *out)
    physics.advance(*args)
    calls, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall0 < seconds:
        physics.advance(*args)
        calls += 1
    per = 1e6 / (calls * n_arms)
    return (time.perf_counter() - wall0) * per, (time.process_time() - cpu0) * per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--arms", type=int, default=64)
    args = parser.parse_args()
    s, n = args.seconds, args.arms
    load_before = os.getloadavg()
    cartpole = single_env("CartPole-v1", s)
    rows = [
        ("CartPole-v1 (gymnasium.make)", cartpole, None),
        ("OctopusArm-v0 (gymnasium.make), 1 arm", single_env("rl_envs/OctopusArm-v0", s), "np1"),
        ("  plain NumPy step, 1 arm", numpy_reference(1, s), None),
        (f"OctopusArm-v0 vector env, {n} arms (arm-steps/s)", vector_env(n, s), "npn"),
        (f"  plain NumPy step, {n} arms batched (arm-steps/s)", numpy_reference(n, s), None),
    ]
    numpy_rates = {"np1": rows[2][1], "npn": rows[4][1]}
    # other processes on the cores change every row (the vector env's threads most): say how busy it was
    print("load average (1, 5, 15 min) before / after: %.2f %.2f %.2f / %.2f %.2f %.2f"
          % (*load_before, *os.getloadavg()))
    print(f"{'case':52s} {'steps/s':>11s} {'x CartPole':>11s} {'x NumPy':>9s}")
    for name, r, ref in rows:
        speedup = f"{r / numpy_rates[ref]:9.0f}" if ref else ""
        print(f"{name:52s} {r:11,.0f} {r / cartpole:11.3f} {speedup}")
    print("goals: 1 arm >= 0.2x CartPole, vector env >= 0.5x CartPole")
    for arms in (1, n):
        wall, cpu = kernel_cost(arms, s)
        print(f"serial kernel alone, {arms} arm(s): {wall:.1f} us/arm-step wall, {cpu:.1f} us CPU, "
              f"load {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
