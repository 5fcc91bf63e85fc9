"""``backend="sbx"`` of baselines.sb3: SBX (sbx-rl, SB3's JAX port) trained from the same yml
entries, on the same VecEnvs, as SB3.

SBX is not in the project's lock: sbx-rl requires tfp-nightly (a nightly build of TensorFlow
Probability), which the lock does not take.  The tests that train SBX therefore skip where it is
not installed (``pip install sbx-rl`` beside the lock runs them; docs/guides/train-sb3.md); the
argument checks, which need no SBX, run everywhere.
"""

import importlib.util
import sys

import numpy as np
import pytest
from gymnasium.spaces import flatdim

import rl_envs  # noqa: F401
from baselines.sb3 import SBX_ALGOS, build_model, evaluate, train
from baselines.sb3_vec import GymnasiumVecEnv

needs_sbx = pytest.mark.skipif(
    importlib.util.find_spec("sbx") is None,
    reason="sbx-rl is not installed: it is not in the project's lock (it requires tfp-nightly); "
    "pip install sbx-rl beside the lock to run this test",
)
BANDIT = "rl_envs/QuadraticBandit-v0"
MAZE = "rl_envs/GridMaze-v0"
# Each SBX algorithm on an environment of its action space from the leaderboard.
ENVS = {"dqn": (MAZE, {"layout": "dyna_maze"}), "ppo": (MAZE, {"layout": "dyna_maze"}), "sac": (BANDIT, {"dim": 4})}
ENVS["td3"] = ENVS["sac"]


def test_a_bad_backend_is_refused_before_any_env_is_built(monkeypatch):
    with pytest.raises(ValueError, match="backend must be one of 'sb3', 'sbx', got 'jax'"):
        train("ppo", MAZE, 64, backend="jax")
    with pytest.raises(ValueError, match="backend='sbx' has no A2C; SBX implements dqn, ppo, sac, td3"):
        build_model("a2c", MAZE, backend="sbx")
    monkeypatch.setitem(sys.modules, "sbx", None)  # what `import sbx` meets where sbx-rl is not installed
    with pytest.raises(ImportError, match="pip install sbx-rl"):
        build_model("sac", BANDIT, backend="sbx")


@needs_sbx
@pytest.mark.parametrize("algo", SBX_ALGOS)
def test_sbx_trains_from_the_yml_entry_on_the_native_vector_env_with_sb3s_schedule(algo):
    """A few hundred steps of each SBX algorithm: SBX's class, on the VecEnv SB3 gets, with the
    entry's settings, making as many updates as SB3 does with them."""
    import sbx

    env_id, env_kwargs = ENVS[algo]
    steps = 512 if algo == "ppo" else 400  # PPO: one rollout of the entry's 4 x 128 steps
    models = {b: train(algo, env_id, steps, env_kwargs=env_kwargs, backend=b) for b in ("sb3", "sbx")}
    model = models["sbx"]
    assert isinstance(model, getattr(sbx, algo.upper()))
    assert isinstance(model.get_env().unwrapped, GymnasiumVecEnv)
    assert model.gamma == models["sb3"].gamma and model.batch_size == models["sb3"].batch_size
    assert model.num_timesteps == models["sb3"].num_timesteps == steps
    assert model._n_updates == models["sb3"]._n_updates > 0
    # a maze's Discrete observation reaches SBX's network one-hot, as SB3's; evaluate encodes it too
    assert model.observation_space.shape == (flatdim(models["sb3"].observation_space),)
    assert np.isfinite(evaluate(model, env_id, 2, env_kwargs=env_kwargs, algo=algo)[0])


@needs_sbx
def test_sbx_sac_moves_its_greedy_pull():
    """The bandit's observation is constant, so the greedy policy is one action: 0 (the middle of
    the box) before training, another after 200 gradient steps."""
    model = build_model("sac", BANDIT, env_kwargs={"dim": 4}, backend="sbx")
    obs = np.zeros(1, dtype=np.float32)
    before = model.predict(obs, deterministic=True)[0]
    model.learn(400)
    after = model.predict(obs, deterministic=True)[0]
    assert np.array_equal(before, np.zeros(4)) and np.abs(after - before).max() > 0.01


@needs_sbx
def test_sbx_refuses_what_its_classes_cannot_take():
    with pytest.raises(ValueError, match="SBX's DQN does not take max_grad_norm"):
        build_model("dqn", MAZE, hyperparams={"max_grad_norm": 10}, backend="sbx")
    with pytest.raises(ValueError, match=r"names 'nn': with backend='sbx'"):
        build_model("ppo", MAZE, hyperparams={"policy_kwargs": "dict(activation_fn=nn.ReLU)"}, backend="sbx")
    with pytest.raises(ValueError, match=r"net_arch \[64, 32\] is not \[n, n\]"):
        build_model("dqn", MAZE, hyperparams={"policy_kwargs": "dict(net_arch=[64, 32])"}, backend="sbx")
