"""Every native vector env, in each of Gymnasium's autoreset modes, step by step against Gymnasium's
own ``SyncVectorEnv`` of the single env in that mode (sub-env ``i`` seeded ``s_i`` in both)."""

import inspect

import numpy as np
import pytest
import gymnasium as gym
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AutoresetMode

import rl_envs
from rl_envs.core import VectorEnv

NATIVE = [env_id for env_id in rl_envs.ENV_IDS
          if issubclass(gym.envs.registration.load_env_creator(gym.spec(env_id).vector_entry_point), VectorEnv)]
SEEDS = [11, 12, 13]
STEPS = 40
SHORT = 6  # episodes end every few steps, so every mode restarts sub-envs many times


def _pair(env_id, mode):
    # short episodes where the env has a step limit (a bandit's episodes are one pull long)
    vector_env = gym.envs.registration.load_env_creator(gym.spec(env_id).vector_entry_point)
    kwargs = {"max_steps": SHORT} if "max_steps" in inspect.signature(vector_env).parameters else {}
    # A problem that a seeded reset draws (the bandit's C) is one the native sub-envs share and
    # SyncVectorEnv's draw one each: the comparison fixes it, as evaluations do (problem_kwargs).
    kwargs.update(getattr(gym.make(env_id, **kwargs).unwrapped, "problem_kwargs", dict)())
    native = gym.make_vec(env_id, num_envs=len(SEEDS), vectorization_mode="vector_entry_point",
                          autoreset_mode=mode, **kwargs)
    sync = gym.make_vec(env_id, num_envs=len(SEEDS), vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": mode}, **kwargs)
    return native, sync


def _same(a, b, what):
    assert data_equivalence(a, b, exact=True), f"{what}: native {a!r} != sync {b!r}"


@pytest.mark.parametrize("mode", list(AutoresetMode), ids=lambda m: m.name)
@pytest.mark.parametrize("env_id", NATIVE)
def test_native_vector_env_steps_as_gymnasiums_sync_vector_env(env_id, mode):
    native, sync = _pair(env_id, mode)
    assert native.metadata["autoreset_mode"] is mode
    for name, x, y in zip(("obs", "info"), native.reset(seed=SEEDS), sync.reset(seed=SEEDS)):
        _same(x, y, f"reset {name}")
    native.action_space.seed(0)
    ends = 0
    for t in range(STEPS):
        actions = native.action_space.sample()
        out_native, out_sync = native.step(actions), sync.step(actions)
        for name, x, y in zip(("obs", "reward", "terminated", "truncated", "info"), out_native, out_sync):
            _same(x, y, f"step {t} {name}")
        ended = out_native[2] | out_native[3]
        ends += int(ended.sum())
        if mode is AutoresetMode.DISABLED and ended.any():
            with pytest.raises(ResetNeeded, match="reset_mask"):
                native.step(actions)
            for name, x, y in zip(("obs", "info"), native.reset(options={"reset_mask": ended}),
                                  sync.reset(options={"reset_mask": ended})):
                _same(x, y, f"reset_mask after step {t} {name}")
    assert ends >= len(SEEDS) * (STEPS // SHORT - 1)  # the comparison covered many episode ends


@pytest.mark.parametrize("env_id", NATIVE)
def test_autoreset_mode_is_checked(env_id):
    with pytest.raises(ValueError, match="autoreset_mode must be one of"):
        gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", autoreset_mode="sometimes")
    venv = gym.make_vec(env_id, num_envs=2, vectorization_mode="vector_entry_point", autoreset_mode="same-step")
    assert venv.metadata["autoreset_mode"] is AutoresetMode.SAME_STEP


@pytest.mark.parametrize("env_id", NATIVE)
def test_make_vec_max_episode_steps_truncates_the_native_vector_env(env_id):
    """``gymnasium.make_vec(id, max_episode_steps=N)`` hands N to the native vector env, which truncates there."""
    venv = gym.make_vec(env_id, num_envs=4, vectorization_mode="vector_entry_point", max_episode_steps=3)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    steps = [venv.step(venv.action_space.sample()) for _ in range(3)]
    terminated = np.array([s[2] for s in steps])
    truncated = np.array([s[3] for s in steps])
    assert not truncated[:2].any()
    np.testing.assert_array_equal(truncated[2], ~terminated.any(axis=0))
