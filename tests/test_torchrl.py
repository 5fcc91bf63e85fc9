"""TorchRL on the registered ids, as docs/guides/other-libraries.md shows it: every id passes
``check_env_specs`` through ``GymEnv`` (with ``DoubleToFloat`` where the observations are
float64), and what a ``Collector`` gathers is what Gymnasium itself returns for the same seed
and actions."""

import numpy as np
import gymnasium as gym
import pytest
import torch
from tensordict.nn import TensorDictModule
from torchrl.collectors import Collector
from torchrl.envs import DoubleToFloat, GymEnv, TransformedEnv
from torchrl.envs.utils import check_env_specs

import rl_envs

FLOAT64 = "rl_envs/LQControl-v0"  # the page's example of float64 observations
FRAMES = 300  # LQControl truncates at 200 steps, and the 3x3 maze ends within 300 random moves


def torchrl_env(env_id):
    """``GymEnv(env_id)``, with ``DoubleToFloat`` if its observations are float64 (a float32
    network refuses them)."""
    env = GymEnv(env_id)
    if gym.make(env_id).observation_space.dtype == np.float64:
        env = TransformedEnv(env, DoubleToFloat())
    return env


@pytest.mark.parametrize("env_id", rl_envs.ENV_IDS)
def test_every_id_passes_check_env_specs_with_no_float64_left(env_id):
    env = torchrl_env(env_id)
    check_env_specs(env, seed=0)
    dtypes = {spec.dtype for spec in env.observation_spec.values(True, True)}
    assert torch.float64 not in dtypes, dtypes
    env.close()


def test_a_float32_policy_refuses_float64_observations_until_double_to_float():
    assert gym.make(FLOAT64).observation_space.dtype == np.float64
    torch.manual_seed(0)
    policy = TensorDictModule(torch.nn.Linear(2, 1), in_keys=["observation"], out_keys=["action"])
    with pytest.raises(RuntimeError, match="dtype"):
        GymEnv(FLOAT64).rollout(3, policy)
    rollout = TransformedEnv(GymEnv(FLOAT64), DoubleToFloat()).rollout(3, policy)
    assert rollout["observation"].dtype == torch.float32 and rollout.batch_size == (3,)


def replay(env_id, batch, seed):
    """Step ``gym.make(env_id)`` through the collected actions, resetting where the collector did:
    the observations, rewards and episode ends Gymnasium returns."""
    env = gym.make(env_id)
    discrete = isinstance(env.action_space, gym.spaces.Discrete)
    obs, _ = env.reset(seed=seed)
    firsts, nexts, rewards, terminated, truncated = [], [], [], [], []
    for action in batch["action"].numpy():
        firsts.append(obs)
        obs, reward, term, trunc, _ = env.step(int(action.argmax()) if discrete else action)
        nexts.append(obs)
        rewards.append(reward)
        terminated.append(term)
        truncated.append(trunc)
        if term or trunc:
            obs, _ = env.reset()
    return [np.array(x) for x in (firsts, nexts, rewards, terminated, truncated)]


def observations(env_id, tensor):
    """The collected observations as Gymnasium gives them (Discrete ones arrive one-hot)."""
    if isinstance(gym.make(env_id).observation_space, gym.spaces.Discrete):
        assert (tensor.sum(-1) == 1).all()
        return tensor.argmax(-1).numpy()
    return tensor.numpy()


@pytest.mark.parametrize("env_id", ["rl_envs/GridMaze-v0", FLOAT64])
def test_collector_frames_are_what_gymnasium_returns_for_the_same_seed_and_actions(env_id):
    env = torchrl_env(env_id)
    if env_id == FLOAT64:
        torch.manual_seed(0)
        policy = TensorDictModule(torch.nn.Linear(2, 1), in_keys=["observation"], out_keys=["action"])
    else:
        policy = None  # the collector draws from the action spec (one-hot for Discrete)
    # auto_register_policy_transforms=False: the policy is not recurrent, so the collector has
    # no InitTracker to add (torchrl 0.14 warns about it for any module unless told).
    collector = Collector(
        env, policy, frames_per_batch=FRAMES, total_frames=FRAMES, auto_register_policy_transforms=False
    )
    collector.set_seed(11)
    batch = next(iter(collector))
    collector.shutdown()

    first, following, reward, terminated, truncated = replay(env_id, batch, seed=11)
    assert batch.batch_size == (FRAMES,)
    assert batch["next", "done"].any(), "no episode ended: the reset path went untested"
    # float32 rounding of float64 observations (DoubleToFloat) and of the rewards
    np.testing.assert_allclose(observations(env_id, batch["observation"]), first, rtol=1e-6)
    np.testing.assert_allclose(observations(env_id, batch["next", "observation"]), following, rtol=1e-6)
    np.testing.assert_allclose(batch["next", "reward"].squeeze(-1).numpy(), reward, rtol=1e-6)
    assert np.array_equal(batch["next", "terminated"].squeeze(-1).numpy(), terminated)
    assert np.array_equal(batch["next", "truncated"].squeeze(-1).numpy(), truncated)


def test_prioritized_replay_is_unavailable_with_the_locked_torch():
    """The page says so: TorchRL's C++ extension (its segment trees) is built for another torch
    than the lock's.  When a TorchRL and torch pair in the lock loads it, this fails: update the
    page's TorchRL section."""
    from torchrl.data import LazyTensorStorage, PrioritizedReplayBuffer

    with pytest.raises(RuntimeError, match="SumSegmentTreeFp32 is not available"):
        PrioritizedReplayBuffer(alpha=0.7, beta=0.5, storage=LazyTensorStorage(10))
