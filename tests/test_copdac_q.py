"""COPDAC-Q (Silver et al. 2014, eqs 19-22): compatible features, Jacobians, one update by hand."""

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines.features import RBFFeatures
from baselines.linear.approximators import LinearMap, SigmoidMLP
from baselines.linear.copdac_q import COPDACQ, compatible_features, copdac_q_update


def _finite_difference_jacobian(f, params, s, eps=1e-6):
    cols = []
    for i in range(params.size):
        up, down = params.copy(), params.copy()
        up[i] += eps
        down[i] -= eps
        cols.append((f(up, s) - f(down, s)) / (2 * eps))
    return np.array(cols)  # (n_params, n_out)


@pytest.mark.parametrize("squash", [True, False])
def test_mlp_jacobian_matches_finite_differences(squash):
    rng = np.random.default_rng(0)
    net = SigmoidMLP(5, 4, 3, squash=squash, rng=rng, input_scale=0.5)
    net.params = rng.normal(size=net.params.size)  # away from the zero biases of the initialisation
    s = rng.normal(size=5)

    def f(p, x):
        net.params, old = p, net.params
        out = net(x)
        net.params = old
        return out

    J = net.jacobian(s)
    assert J.shape == (5 * 4 + 4 + 4 * 3 + 3, 3)
    np.testing.assert_allclose(J, _finite_difference_jacobian(f, net.params.copy(), s), atol=1e-8)


def test_linear_jacobian_matches_finite_differences():
    rng = np.random.default_rng(1)
    net = LinearMap(RBFFeatures([-1, -1], [1, 1], n_per_dim=3), 2, params=rng.normal(size=20))
    s = np.array([0.3, -0.7])

    def f(p, x):
        return LinearMap(net.features, 2, p)(x)

    np.testing.assert_allclose(net.jacobian(s), _finite_difference_jacobian(f, net.params.copy(), s), atol=1e-8)


def test_octopus_actor_has_the_papers_shapes():
    agent = COPDACQ("rl_envs/OctopusArm-v0", actor="mlp", critic="mlp", seed=0)
    n = 50 * 8 + 8 + 8 * 20 + 20  # 8 sigmoid hidden units, 20 sigmoid outputs
    assert agent.theta.shape == (n,) and agent.w.shape == (n,)
    assert agent.v.shape == (50 * 40 + 40 + 40 + 1,)
    obs, _ = agent.env.reset(seed=0)
    J = agent.mu.jacobian(obs)
    assert J.shape == (n, 20)  # ∇θμθ(s): n x m
    a = agent._draw(obs)
    phi = compatible_features(J, a, agent.mu(obs))
    assert phi.shape == (n,)  # n x 1
    assert np.all((agent.mu(obs) > 0) & (agent.mu(obs) < 1))


def test_one_update_by_hand():
    # μθ(s) = θ0 + θ1 s with φ(s) = (1, s); V_v(s) = vᵀφ(s).  s = 0.5, a = 0.7, r = 1, s' = 1, γ = 0.9.
    theta, w, v = np.array([0.2, 0.4]), np.array([1.0, 2.0]), np.array([0.1, 0.2])
    phi_s, phi_s2 = np.array([1.0, 0.5]), np.array([1.0, 1.0])
    J = phi_s[:, None]  # ∇θμθ(s), 2 x 1
    mu = theta @ phi_s  # 0.4
    # φ(s,a) = J (a - μ) = (0.3, 0.15); Q = φ(s,a)·w + V(s) = 0.6 + 0.2; δ = 1 + 0.9 * 0.3 - 0.8 = 0.47
    theta2, w2, v2, delta = copdac_q_update(
        theta, w, v, J, np.array([mu]), phi_s, v @ phi_s, v @ phi_s2, np.array([0.7]), 1.0, 0.9, 0.1, 0.5, 0.2
    )
    assert delta == pytest.approx(0.47, abs=1e-12)
    np.testing.assert_allclose(theta2, [0.2 + 0.1 * 2 * 1.0, 0.4 + 0.1 * 2 * 0.5], atol=1e-12)  # Jᵀw = 2
    np.testing.assert_allclose(w2, [1 + 0.5 * 0.47 * 0.3, 2 + 0.5 * 0.47 * 0.15], atol=1e-12)
    np.testing.assert_allclose(v2, [0.1 + 0.2 * 0.47, 0.2 + 0.2 * 0.47 * 0.5], atol=1e-12)


def test_agent_update_follows_the_equations_on_a_terminal_step():
    agent = COPDACQ(
        "rl_envs/OctopusArm-v0", actor="mlp", critic="mlp", seed=1, alpha_theta=0.1, alpha_w=0.2, alpha_v=0.3, gamma=0.5
    )
    s, _ = agent.env.reset(seed=0)
    s = s.astype(np.float64)
    a = agent._draw(s)
    agent.w = agent.rng.normal(size=agent.w.size)
    theta, w, v = agent.theta.copy(), agent.w.copy(), agent.v.copy()
    J, mu, gV, Vs = agent.mu.jacobian(s), agent.mu(s), agent.V.jacobian(s)[:, 0], agent.V(s)[0]
    delta = agent._learn_step((s, a), 2.0, s + 1.0, terminated=True, truncated=False)  # no bootstrap after termination
    phi = J @ (a - mu)
    assert delta == pytest.approx(2.0 - (phi @ w + Vs), rel=1e-12)
    np.testing.assert_allclose(agent.theta, theta + 0.1 * J @ (J.T @ w), rtol=1e-12)
    np.testing.assert_allclose(agent.w, w + 0.2 * delta * phi, rtol=1e-12)
    np.testing.assert_allclose(agent.v, v + 0.3 * delta * gV, rtol=1e-12)


def test_learn_predict_save_load(tmp_path):
    from stable_baselines3.common.evaluation import evaluate_policy

    env = gym.make("rl_envs/OctopusArm-v0", max_steps=20)
    agent = COPDACQ(env, actor="mlp", critic="mlp", seed=0, obs_scale=0.2).learn(60)
    assert len(agent.episodes.lengths) == 3 and agent.num_timesteps == 60
    assert not np.array_equal(agent.w, 0.0)
    obs = np.stack([env.reset(seed=i)[0] for i in range(3)])
    actions, _ = agent.predict(obs)
    assert actions.shape == (3, 20) and actions.dtype == np.float32
    agent.save(tmp_path / "copdac")
    loaded = COPDACQ.load(tmp_path / "copdac.npz")
    np.testing.assert_array_equal(loaded.predict(obs)[0], actions)
    mean, _ = evaluate_policy(agent, env, n_eval_episodes=1)
    assert np.isfinite(mean)


def test_linear_features_refuse_the_arms_50_dimensional_observation():
    with pytest.raises(ValueError):
        COPDACQ("rl_envs/OctopusArm-v0", actor="linear")
    with pytest.raises(ValueError):
        COPDACQ("rl_envs/OctopusArm-v0", actor="cnn", critic="mlp")


def test_behaviour_noise_is_unbiased_and_the_env_gets_clipped_actions():
    # Near the bounds a clipped draw would make E[a - μθ(s)] != 0 and bias the compatible features.
    class Recorder(gym.Wrapper):
        actions = []

        def step(self, action):
            self.actions.append(np.array(action))
            return super().step(action)

    env = Recorder(gym.make("rl_envs/OctopusArm-v0", max_steps=5))
    agent = COPDACQ(env, actor="mlp", critic="mlp", seed=0, sigma=2.0)
    s, _ = env.reset(seed=0)
    draws = np.stack([agent._draw(s) for _ in range(4000)])
    assert (draws < 0).any() and (draws > 1).any()
    # mean of 4000 N(0, 2^2) draws: standard error 0.032 per action dimension
    assert np.abs(draws.mean(axis=0) - agent.mu(s)).max() < 5 * 2.0 / np.sqrt(4000)
    agent.learn(10)
    sent = np.stack(Recorder.actions)
    assert sent.shape == (10, 20) and sent.min() >= 0.0 and sent.max() <= 1.0
    assert ((sent == 0.0) | (sent == 1.0)).mean() > 0.5  # sigma = 2 clips most of them


def test_octopus_setting_fits_a_random_target_through_the_observation_layout():
    from baselines.linear.settings import OCTOPUS_COPDAC_Q, OCTOPUS_OBSERVATION_SCALE

    env = gym.make("rl_envs/OctopusArm-v0", target="random", max_steps=5)
    agent = COPDACQ(env, seed=0, **OCTOPUS_COPDAC_Q).learn(10)
    scale = np.array(agent.hyperparameters["obs_scale"])
    layout = env.unwrapped.observation_layout
    assert scale.shape == env.observation_space.shape == (52,)
    assert np.all(scale[layout["target"]] == OCTOPUS_OBSERVATION_SCALE["target"])
    assert np.all(scale[layout["vx"]] == 20.0) and scale[layout["omega"]].tolist() == [10.0]
    assert agent.num_timesteps == 10 and np.all(np.isfinite(agent.theta))
    with pytest.raises(ValueError, match=r"no scale for \['target'\]"):
        COPDACQ(env, actor="mlp", critic="mlp", obs_scale={k: 1.0 for k in ("theta", "omega", "x", "y", "vx", "vy")})
    with pytest.raises(ValueError, match="needs an env with an observation_layout"):
        COPDACQ("rl_envs/QuadraticBandit-v0", actor="mlp", critic="mlp", obs_scale={"x": 1.0})
