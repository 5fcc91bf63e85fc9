"""RLlib's PPO on rl_envs/GridMaze-v0 and rl_envs/PendulumSwingUp-v0, the recipe of docs/guides/other-libraries.md.

Run by ``rllib_recipe.sh`` in a venv of its own (``ray[rllib]`` pins ``gymnasium==1.2.2``, the
project's lock has 1.4).  Two things matter: RLlib makes the environments in Ray worker processes
that never imported ``rl_envs``, so the id is given as ``"rl_envs:rl_envs/..."`` (``gym.make``
imports the module before the id); and the maze's Discrete observations go through RLlib's
``FlattenObservations`` connector (one-hot) before its default network.  The pendulum's float64
Box observations need nothing more (no cast, unlike TorchRL's ``DoubleToFloat``).
"""

import importlib.metadata
import platform
import time

import ray
from ray.rllib.algorithms.ppo import PPOConfig
from ray.rllib.connectors.env_to_module import FlattenObservations

ITERATIONS = 2


def ppo(env_id, discrete_observations):
    config = (
        PPOConfig()
        .environment(env_id)
        .env_runners(
            num_env_runners=1,
            num_envs_per_env_runner=2,
            env_to_module_connector=(lambda env, spaces, device: FlattenObservations())
            if discrete_observations
            else None,
        )
        .training(train_batch_size_per_learner=1000, minibatch_size=100, num_epochs=2)
        .debugging(seed=0)
    )
    return config.build_algo()


def main():
    print(
        "versions:",
        ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("ray", "torch", "gymnasium", "numpy", "rl_envs")),
        f"(Python {platform.python_version()})",
    )
    ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR")
    for env_id, discrete in [("rl_envs:rl_envs/GridMaze-v0", True), ("rl_envs:rl_envs/PendulumSwingUp-v0", False)]:
        algo = ppo(env_id, discrete)
        for i in range(ITERATIONS):
            start = time.perf_counter()
            runners = algo.train()["env_runners"]
            # RLlib's episode_return_mean is NaN until an episode has ended.
            ended = "no episode ended yet"
            if runners.get("num_episodes_lifetime"):
                ended = (
                    f"{runners['num_episodes_lifetime']:.0f} episodes ended, "
                    f"mean return {runners['episode_return_mean']:.2f}"
                )
            print(
                f"{env_id} iteration {i + 1}: {runners['num_env_steps_sampled_lifetime']:.0f} env steps, "
                f"{ended} ({time.perf_counter() - start:.1f} s)"
            )
        assert runners["num_env_steps_sampled_lifetime"] >= ITERATIONS * 1000
        algo.stop()
    ray.shutdown()


if __name__ == "__main__":
    main()
