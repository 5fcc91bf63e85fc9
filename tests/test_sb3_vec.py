"""SB3 on the native vector envs (baselines.sb3_vec): SB3's VecEnv semantics, checked against
the DummyVecEnv of single envs that SB3 itself builds."""

import numpy as np
import gymnasium as gym
import pytest
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor, VecNormalize

import rl_envs  # noqa: F401
from baselines.sb3 import build_model, make_vec_env
from baselines.sb3_vec import GymnasiumVecEnv, OneHotObservations

MAZE = "rl_envs/GridMaze-v0"
SHORT = dict(max_steps=5)  # book3x3's shortest path is 4 moves: goals and truncations both occur


def both(env_id, n, **kwargs):
    return (
        make_vec_env(env_id, n, seed=3, vec_env="native", **kwargs),
        make_vec_env(env_id, n, seed=3, vec_env="dummy", **kwargs),
    )


def test_auto_takes_the_native_env_unless_a_wrapper_wraps_single_envs():
    assert isinstance(make_vec_env(MAZE, 2).venv, GymnasiumVecEnv)
    assert isinstance(make_vec_env("CartPole-v1", 2).venv, GymnasiumVecEnv)  # Gymnasium's CartPoleVectorEnv
    assert isinstance(make_vec_env("Acrobot-v1", 2), DummyVecEnv)
    belief = dict(env_wrapper="rl_envs.wrappers.BeliefState")  # a filter per single env: no vector counterpart
    assert isinstance(make_vec_env("rl_envs/PartiallyObservableMaze-v0", 2, **belief), DummyVecEnv)
    with pytest.raises(ValueError, match="wraps single envs"):
        make_vec_env("rl_envs/PartiallyObservableMaze-v0", 2, vec_env="native", **belief)
    with pytest.raises(ValueError, match="vec_env must be one of"):
        make_vec_env(MAZE, 2, vec_env="subproc")


def test_same_step_autoreset_terminal_observations_and_episode_statistics_match_dummy_vec_env():
    native, dummy = both(MAZE, 3, env_kwargs=SHORT)
    assert np.array_equal(native.reset(), dummy.reset())
    actions = np.random.default_rng(0).integers(4, size=(60, 3))
    actions[:, 0] = [1, 1, 2, 2] * 15  # copy 0 walks to the goal and restarts, over and over
    ends = {"episode": 0, "truncated": 0}
    for a in actions:
        (o1, r1, d1, i1), (o2, r2, d2, i2) = native.step(a), dummy.step(a)
        assert np.array_equal(o1, o2) and np.array_equal(r1, r2) and r1.dtype == r2.dtype == np.float32
        assert np.array_equal(d1, d2)
        for x, y in zip(i1, i2):
            assert x.keys() == y.keys() and x["TimeLimit.truncated"] == y["TimeLimit.truncated"]
            if "terminal_observation" in y:
                assert x["terminal_observation"] == y["terminal_observation"]
                # VecMonitor sums float32 rewards, Monitor Python floats rounded to 6 digits
                assert x["episode"]["l"] == y["episode"]["l"]
                assert x["episode"]["r"] == pytest.approx(y["episode"]["r"], abs=1e-5)
                ends["episode"] += 1
                ends["truncated"] += x["TimeLimit.truncated"]
    assert ends["episode"] > 20 and 0 < ends["truncated"] < ends["episode"]


def test_reset_infos_seeding_and_attributes():
    native = GymnasiumVecEnv(
        gym.make_vec(
            "rl_envs/PartiallyObservableMaze-v0", num_envs=2, vectorization_mode="vector_entry_point", layout="cheese"
        )
    )
    native.seed(5)
    first = native.reset()
    assert [set(info) for info in native.reset_infos] == [{"state"}, {"state"}]
    native.seed(5)
    assert np.array_equal(native.reset(), first) and native._seeds == [None, None]
    states = [info["state"] for info in native.reset_infos]
    native.seed(5)
    native.reset()
    assert [info["state"] for info in native.reset_infos] == states  # the seed is used once, then forgotten
    assert native.get_attr("goal_mode") == ["terminate", "terminate"]
    assert native.env_method("mdp_upper_bound", indices=[1]) == [native.venv.unwrapped.mdp_upper_bound()]
    assert native.env_is_wrapped(gym.Wrapper) == [False, False]
    with pytest.raises(ValueError, match="set_attr sets them for all"):
        native.set_attr("goal_mode", "reset", indices=[0])


def test_vec_normalize_sees_the_same_statistics():
    native, dummy = both(
        "rl_envs/LQControl-v0", 4, env_kwargs=dict(max_steps=7, x0_cov=0.0, noise_cov=0.0), normalize=True
    )
    assert isinstance(native, VecNormalize) and isinstance(native.venv, VecMonitor)
    np.testing.assert_allclose(native.reset(), dummy.reset(), rtol=1e-6, atol=1e-6)
    actions = np.random.default_rng(1).uniform(-1, 1, (30, 4, 1))
    for a in actions:
        (o1, r1, d1, _), (o2, r2, d2, _) = native.step(a), dummy.step(a)
        np.testing.assert_allclose(o1, o2, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(r1, r2, rtol=1e-5, atol=1e-6)
        assert np.array_equal(d1, d2)
    np.testing.assert_allclose(native.obs_rms.mean, dummy.obs_rms.mean, rtol=1e-9)
    np.testing.assert_allclose(native.ret_rms.var, dummy.ret_rms.var, rtol=1e-6)


def test_normalize_action_wraps_the_vector_env_with_its_vector_counterpart():
    """The yml's NormalizeAction on the LQ env: the same rescaled controls reach the system."""
    kwargs = dict(
        env_kwargs=dict(max_steps=4, x0_cov=0.0, noise_cov=0.0), env_wrapper="rl_envs.wrappers.NormalizeAction"
    )
    native, dummy = both("rl_envs/LQControl-v0", 2, **kwargs)
    assert isinstance(native.venv, GymnasiumVecEnv) and native.action_space == dummy.action_space
    native.reset(), dummy.reset()
    for a in np.random.default_rng(2).uniform(-1, 1, (10, 2, 1)).astype(np.float32):
        (o1, r1, d1, _), (o2, r2, d2, _) = native.step(a), dummy.step(a)
        np.testing.assert_allclose(o1, o2, rtol=1e-12)
        np.testing.assert_allclose(r1, r2, rtol=1e-6)
        assert np.array_equal(d1, d2)


def _ppo_curve(vec_env: str):
    env = make_vec_env(MAZE, 4, seed=0, env_kwargs=dict(layout="dyna_maze", max_steps=60), vec_env=vec_env)
    model = PPO("MlpPolicy", env, n_steps=32, batch_size=64, n_epochs=2, seed=0, device="cpu")
    model.learn(3 * 4 * 32)
    params = torch.cat([p.detach().flatten() for p in model.policy.parameters()])
    return params, [(e["r"], e["l"]) for e in model.ep_info_buffer]


def test_ppo_learns_bit_for_bit_the_same_through_the_adapter():
    """The maze is deterministic (slip 0), so the same seeded policy sees the same transitions:
    every network weight after three updates is equal, and so are the episodes."""
    (p1, eps1), (p2, eps2) = _ppo_curve("native"), _ppo_curve("dummy")
    assert torch.equal(p1, p2)
    assert len(eps1) == len(eps2) > 0
    assert [l for _, l in eps1] == [l for _, l in eps2]
    np.testing.assert_allclose([r for r, _ in eps1], [r for r, _ in eps2], atol=1e-5)


def test_adapter_refuses_a_same_step_vector_env():
    with pytest.raises(ValueError, match="next-step autoreset"):
        GymnasiumVecEnv(
            gym.make_vec(
                "CartPole-v1",
                num_envs=2,
                vectorization_mode="sync",
                vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP},
            )
        )


# (algorithm, overrides of its yml entry, gradient steps in 400 steps after 200 without learning)
UPDATE_COUNTS = [
    ("sac", {}, 200),
    ("sac", {"n_envs": 2}, 100),
    ("sac", {"n_envs": 2, "gradient_steps": -1}, 200),
    ("dqn", {}, 50),  # the yml's train_freq 4: one gradient step per 4 steps
    ("dqn", {"n_envs": 4}, 13),
    ("dqn", {"n_envs": 4, "train_freq": 1}, 50),
]


@pytest.mark.parametrize("algo, overrides, updates", UPDATE_COUNTS)
def test_off_policy_algorithms_count_train_freq_and_gradient_steps_in_vec_env_calls(algo, overrides, updates):
    """Why sac.yml, dqn.yml and td3.yml keep one copy (docs/guides/train-sb3.md): SB3 trains
    every ``train_freq`` calls of the VecEnv, each of ``n_envs`` transitions, so n copies at the
    yml's settings make n times fewer gradient steps per transition; ``gradient_steps=-1`` (as many
    as transitions collected) or ``train_freq`` divided by n keep the yml's ratio."""
    env_id, env_kwargs = (
        ("rl_envs/QuadraticBandit-v0", {"dim": 2}) if algo == "sac" else ("rl_envs/GridMaze-v0", {"layout": "book3x3"})
    )
    small = {"learning_starts": 200, "batch_size": 8, "policy_kwargs": "dict(net_arch=[8])"}
    model = build_model(algo, env_id, hyperparams={**small, **overrides}, env_kwargs=env_kwargs)
    model.learn(400)
    assert model.num_timesteps == 400 and model._n_updates == updates


def test_one_hot_observations_are_what_sb3s_policy_feeds_its_network():
    """SBX's view of a Discrete observation (baselines.sb3 wraps its VecEnv so): the vector SB3's
    own preprocessing makes of it, in the batch and in every terminal observation."""
    from stable_baselines3.common.preprocessing import preprocess_obs

    inner = make_vec_env(MAZE, 3, seed=3, env_kwargs=SHORT)
    venv = OneHotObservations(make_vec_env(MAZE, 3, seed=3, env_kwargs=SHORT))
    space = inner.observation_space
    assert venv.observation_space == gym.spaces.Box(0.0, 1.0, (space.n,), np.float32)

    def sb3_view(obs):
        return preprocess_obs(torch.as_tensor(np.asarray(obs)), space).numpy()

    assert np.array_equal(venv.reset(), sb3_view(inner.reset()))
    ends = 0
    for a in np.random.default_rng(0).integers(4, size=(30, 3)):
        (o1, r1, d1, i1), (o2, r2, d2, i2) = venv.step(a), inner.step(a)
        assert np.array_equal(o1, sb3_view(o2)) and np.array_equal(r1, r2) and np.array_equal(d1, d2)
        for x, y in zip(i1, i2):
            if "terminal_observation" in y:
                assert np.array_equal(x["terminal_observation"], sb3_view(y["terminal_observation"]))
                ends += 1
    assert ends > 0
    with pytest.raises(ValueError, match="needs Discrete observations"):
        OneHotObservations(make_vec_env("rl_envs/LQControl-v0", 2))
