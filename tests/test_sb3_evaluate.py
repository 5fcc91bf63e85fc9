"""baselines.sb3.evaluate against a hand-run episode on a raw environment."""

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from stable_baselines3.common.vec_env import VecNormalize

from baselines.sb3 import evaluate, load_hyperparams, make_env, train


def _hand_return(model, env_id, algo, seed):
    """One deterministic episode on a fresh env with the yml's wrappers, rewards summed raw;
    observations normalised with the training statistics when the model was trained so."""
    env = make_env(env_id, env_wrapper=load_hyperparams(algo, env_id).get("env_wrapper"))
    train_env = model.get_env()
    norm = isinstance(train_env, VecNormalize) and train_env.norm_obs
    obs, _ = env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        action, _ = model.predict(train_env.normalize_obs(obs) if norm else obs, deterministic=True)
        obs, reward, terminated, truncated, _ = env.step(action)
        total += reward
        done = terminated or truncated
    return total


# ppo/LQControl: VecNormalize of rewards only (the README example that used to raise
# AttributeError: 'DummyVecEnv' object has no attribute 'obs_rms').
# sac/OctopusArm: VecNormalize of observations, whose statistics the evaluation must reuse.
@pytest.mark.parametrize(
    "algo, env_id, steps", [("ppo", "rl_envs/LQControl-v0", 512), ("sac", "rl_envs/OctopusArm-v0", 300)]
)
def test_evaluate_matches_a_hand_run_episode(algo, env_id, steps):
    model = train(algo, env_id, total_timesteps=steps, seed=0)
    assert isinstance(model.get_env(), VecNormalize)
    mean, std = evaluate(model, env_id, n_eval_episodes=1, seed=3, algo=algo)
    assert std == 0.0
    assert mean == pytest.approx(_hand_return(model, env_id, algo, seed=3), rel=1e-6)
    assert np.isfinite(mean)


def test_sb3_is_evaluated_on_the_bandit_problem_it_learned():
    """A seeded reset of the bandit draws a new C: the evaluation env of an SB3 agent, and
    ``evaluate``'s, keep the C it trained on whatever the test seeds (the comparison's bandit row
    once scored SB3 on other problems than COPDAC-B's), which is the C a reference agent of the
    same seed learns."""
    import gymnasium as gym

    from baselines.sb3 import SB3Agent

    agent = SB3Agent("rl_envs/QuadraticBandit-v0", "ppo", seed=4, env_kwargs={"dim": 3}, n_steps=16, batch_size=16)
    agent.learn(64)
    single = gym.make("rl_envs/QuadraticBandit-v0", dim=3)
    single.reset(seed=4)
    learned = single.unwrapped.C
    eval_env = agent.make_eval_env()
    for seed in (10_000, 10_001):
        eval_env.reset(seed=seed)
        np.testing.assert_array_equal(eval_env.unwrapped.C, learned)
    other = gym.make("rl_envs/QuadraticBandit-v0", dim=3)
    other.reset(seed=10_000)
    assert not np.array_equal(other.unwrapped.C, learned)  # what the evaluation drew before
    # evaluate() on a fresh env: the mean reward is minus the cost on the learned C
    action, _ = agent.model.predict(np.zeros((1, 1), dtype=np.float32), deterministic=True)
    mean, _ = evaluate(
        agent.model, "rl_envs/QuadraticBandit-v0", n_eval_episodes=2, seed=10_000, algo="ppo", env_kwargs={"dim": 3}
    )
    raw = eval_env.unwrapped  # the NormalizeAction wrapper maps [-1, 1] to the action box
    bound = raw.action_bound
    assert mean == pytest.approx(-single.unwrapped.cost(np.clip(action[0] * bound, -bound, bound)), rel=1e-6)
