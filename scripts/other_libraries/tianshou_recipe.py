"""Tianshou's DQN on rl_envs/GridMaze-v0, the recipe of docs/guides/other-libraries.md.

Run by ``tianshou_recipe.sh`` in a venv of its own (Tianshou 2.0 pins ``pandas<3``, which the
project's lock does not allow).  It shows the one thing to avoid, Tianshou's
``RandomActionPolicy`` (it hands float actions to a Discrete space, which the environments
refuse), and what to do instead, then trains a DQN for a few hundred steps and prints the greedy
policy's returns beside the maze's exact optimum.
"""

import importlib.metadata
import platform

import numpy as np
import gymnasium as gym
import torch
from tianshou.algorithm import DQN
from tianshou.algorithm.algorithm_base import RandomActionPolicy
from tianshou.algorithm.modelfree.dqn import DiscreteQLearningPolicy
from tianshou.algorithm.optim import AdamOptimizerFactory
from tianshou.data import Collector, VectorReplayBuffer
from tianshou.env import DummyVectorEnv
from tianshou.trainer import OffPolicyTrainerParams
from tianshou.utils.net.common import Net

import rl_envs  # noqa: F401  (registers the ids)

ENV_ID = "rl_envs/GridMaze-v0"


def make_env():
    # The observation is a cell index (Discrete(9)); FlattenObservation one-hots it for the network.
    return gym.wrappers.FlattenObservation(gym.make(ENV_ID))


def main():
    print(
        "versions:",
        ", ".join(
            f"{p} {importlib.metadata.version(p)}"
            for p in ("tianshou", "torch", "gymnasium", "numpy", "pandas", "rl_envs")
        ),
        f"(Python {platform.python_version()})",
    )
    torch.manual_seed(0)
    np.random.seed(0)  # Tianshou's random actions and epsilon-greedy draw from NumPy's global generator
    env = make_env()
    optimum = env.unwrapped.optimal_return()

    # RandomActionPolicy draws Discrete actions as a float tensor: the maze refuses 2.0 for 2.
    try:
        Collector(RandomActionPolicy(env.action_space), DummyVectorEnv([make_env])).collect(
            n_step=1, reset_before_collect=True
        )
    except ValueError as error:
        print("RandomActionPolicy:", error)
    else:
        raise AssertionError("the maze took a float action")

    train_envs = DummyVectorEnv([make_env for _ in range(4)])
    test_envs = DummyVectorEnv([make_env for _ in range(4)])
    train_envs.seed(0)
    test_envs.seed(100)
    net = Net(state_shape=env.observation_space.shape, action_shape=env.action_space.n, hidden_sizes=[64, 64])
    policy = DiscreteQLearningPolicy(model=net, action_space=env.action_space, eps_training=0.1)
    algorithm = DQN(policy=policy, optim=AdamOptimizerFactory(lr=1e-3), gamma=0.99, target_update_freq=50)
    training = Collector(algorithm, train_envs, VectorReplayBuffer(10_000, len(train_envs)), exploration_noise=True)
    # Instead of RandomActionPolicy: random=True samples the action space itself (integers).
    training.reset()
    warm_up = training.collect(n_step=200, random=True)
    print(f"random warm-up: {warm_up.n_collected_steps} steps, {warm_up.n_collected_episodes} episodes")

    result = algorithm.run_training(
        OffPolicyTrainerParams(
            training_collector=training,
            test_collector=Collector(algorithm, test_envs),
            max_epochs=10,
            epoch_num_steps=200,
            collection_step_num_env_steps=8,
            test_step_num_episodes=4,
            batch_size=64,
            update_step_num_gradient_steps_per_sample=1.0,
            verbose=False,
            show_progress=False,
            stop_fn=lambda mean_return: mean_return >= optimum - 1e-9,
        )
    )
    print(
        f"trained: {result.update_step} update steps on {result.train_step} env steps "
        f"({result.train_episode} episodes) in {result.timing.total_time:.1f} s; "
        f"best test return {result.best_reward:.2f}"
    )

    policy.eval()
    stats = Collector(algorithm, test_envs).collect(n_episode=8, reset_before_collect=True)
    returns = stats.returns
    print("greedy returns:", np.round(returns, 2).tolist(), f"(the exact optimum: {optimum:.2f})")
    # No return can beat the exact optimum.
    assert len(returns) == 8 and np.isfinite(returns).all() and (returns <= optimum + 1e-9).all()


if __name__ == "__main__":
    main()
