"""SAC, OffPAC and COPDAC-Q on tile features (Silver et al. 2014, §5.2): one update of each
against a hand computation, the compatible features' shape, and the agents' arguments."""

import math

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines.evaluation import evaluate
from baselines.linear import TileCOPDACQ, TileOffPAC, TileSAC, compatible_features, copdac_q_update
from baselines.linear.tile_actor_critic import (
    SeedBatch,
    copdac_q_tile_update,
    gaussian_scores,
    importance_ratio,
    offpac_update,
    policy_sigma,
    sac_update,
)

# One learner (the leading axis of every argument), two tilings: the active rows of s and of s'
IDX, IDX2 = np.array([[0, 2]]), np.array([[1, 3]])
A, R, GO_ON, END = np.array([[0.8]]), np.array([-1.0]), np.array([False]), np.array([True])
WIDE = (1e-6, 1e6)  # bounds on σ that these examples do not reach


def tables():
    """θ and y with μ(s) = 0.1 + 0.2 = 0.3 and log σ(s) = -0.5 + 0.2 = -0.3; V(s) = 1.5, V(s') = 1."""
    theta = np.array([[[0.1], [0.0], [0.2], [0.0]]])
    y = np.array([[[-0.5], [0.0], [0.2], [0.0]]])
    v = np.array([[1.0, 2.0, 0.5, -1.0]])
    return theta, y, v


def test_sac_update_by_hand():
    theta, y, v = tables()
    # δ = -1 + 0.9 * 1 - 1.5 = -1.6; a - μ = 0.5; (a - μ)²/σ² - 1 = 0.25 e^{0.6} - 1 = -0.5444670
    delta = sac_update(theta, y, v, IDX, IDX2, A, R, 0.9, GO_ON, WIDE, 0.1, 0.01)
    assert delta.shape == (1,) and delta[0] == pytest.approx(-1.6, abs=1e-15)
    assert np.allclose(v[0], [1 - 0.16, 2.0, 0.5 - 0.16, -1.0], atol=1e-15)
    assert np.allclose(theta[0, :, 0], [0.1 - 0.008, 0.0, 0.2 - 0.008, 0.0], atol=1e-15)
    g_y = 0.25 * math.exp(0.6) - 1
    assert np.allclose(y[0, :, 0], [-0.5 - 0.016 * g_y, 0.0, 0.2 - 0.016 * g_y, 0.0], atol=1e-15)
    # a terminal transition drops V(s'): δ = -1 - 0.84 - 0.34
    assert sac_update(theta, y, v, IDX, IDX2, A, R, 0.9, END, WIDE, 0.1, 0.01)[0] == pytest.approx(-2.18)


def normal_pdf(a, mu, sigma):
    return math.exp(-0.5 * ((a - mu) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))


def test_offpac_update_by_hand():
    theta, y, v = tables()
    sigma = math.exp(-0.3)
    rho = normal_pdf(0.8, 0.3, sigma) / normal_pdf(0.8, 0.3, 1.0)  # target N(0.3, σ²), behaviour N(0.3, 1)
    assert importance_ratio(np.array([0.8]), np.array([0.3]), np.array([sigma]), 1.0) == pytest.approx(rho, rel=1e-12)
    delta = offpac_update(theta, y, v, IDX, IDX2, A, R, 0.9, GO_ON, WIDE, 1.0, 0.1, 0.01)
    assert delta[0] == pytest.approx(-1.6, abs=1e-15)
    assert np.allclose(v[0], [1 - 0.16 * rho, 2.0, 0.5 - 0.16 * rho, -1.0], atol=1e-14)
    assert np.allclose(theta[0, [0, 2], 0], [0.1 - 0.008 * rho, 0.2 - 0.008 * rho], atol=1e-14)
    g_y = 0.25 * math.exp(0.6) - 1
    assert np.allclose(y[0, [0, 2], 0], [-0.5 - 0.016 * rho * g_y, 0.2 - 0.016 * rho * g_y], atol=1e-14)


def test_sigma_is_held_in_its_range():
    y = np.array([[[300.0], [0.0], [-400.0], [400.0]]])  # exp(700) nearly overflows, exp(-800) underflows
    assert policy_sigma(y, np.array([[0, 3]]), (0.01, 4.0))[0, 0] == pytest.approx(4.0)
    assert policy_sigma(y, np.array([[2, 2]]), (0.01, 4.0))[0, 0] == pytest.approx(0.01)
    assert policy_sigma(y, np.array([[1, 1]]), (0.01, 4.0))[0, 0] == 1.0


def test_importance_ratio_is_one_on_policy_and_multiplies_over_dimensions():
    a, mu = np.array([0.3, -1.0]), np.array([0.1, 0.5])
    assert importance_ratio(a, mu, np.array([0.7, 0.7]), 0.7) == pytest.approx(1.0, abs=1e-15)
    both = importance_ratio(a, mu, np.array([0.4, 2.0]), 1.0)
    each = [importance_ratio(a[i : i + 1], mu[i : i + 1], np.array([s]), 1.0) for i, s in enumerate((0.4, 2.0))]
    assert both == pytest.approx(each[0] * each[1], rel=1e-12)


def test_scores_are_the_log_density_gradient_the_mean_s_times_sigma_squared():
    a, mu, sigma, h = 0.8, 0.3, 0.6, 1e-6

    def log_pdf(m, log_s):
        return math.log(normal_pdf(a, m, math.exp(log_s)))

    d_mu = (log_pdf(mu + h, math.log(sigma)) - log_pdf(mu - h, math.log(sigma))) / (2 * h)
    d_log_sigma = (log_pdf(mu, math.log(sigma) + h) - log_pdf(mu, math.log(sigma) - h)) / (2 * h)
    g_mu, g_y = gaussian_scores(np.array([a]), np.array([mu]), np.array([sigma]))
    assert g_mu[0] == pytest.approx(sigma**2 * d_mu, rel=1e-7)
    assert g_y[0] == pytest.approx(d_log_sigma, rel=1e-7)


def test_copdac_q_on_tiles_is_eqs_19_to_22_with_the_dense_jacobian():
    """∇θμθ(s) = φ(s) ⊗ I_m, n x m with n = size * m: the compatible features are n-dimensional,
    (a - μ) at the state's active rows, and the sparse update equals copdac_q_update."""
    rng = np.random.default_rng(0)
    size, m = 8, 2
    idx, idx2 = np.array([1, 4, 6]), np.array([0, 4, 7])
    theta, w, v = rng.normal(size=(size, m)), rng.normal(size=(size, m)), rng.normal(size=size)
    a = np.array([0.3, -0.2])
    phi_s, phi_s2 = np.zeros(size), np.zeros(size)
    phi_s[idx], phi_s2[idx2] = 1.0, 1.0
    J = np.kron(phi_s[:, None], np.eye(m))  # rows (i, j) in θ.ravel()'s order
    mu = J.T @ theta.ravel()
    assert np.allclose(mu, theta[idx].sum(axis=0))
    features = compatible_features(J, a, mu)
    assert J.shape == (size * m, m) and features.shape == (size * m,)
    assert np.allclose(features.reshape(size, m)[idx], a - mu) and not features.reshape(size, m)[[0, 2, 3, 5, 7]].any()
    dense = copdac_q_update(
        theta.ravel(), w.ravel(), v, J, mu, phi_s, phi_s @ v, phi_s2 @ v, a, -1.0, 0.99, 0.01, 0.1, 0.2
    )
    tables = [x[None] for x in (theta, w, v)]  # one learner: views onto theta, w, v
    delta = copdac_q_tile_update(*tables, idx[None], idx2[None], a[None], R, 0.99, GO_ON, 0.01, 0.1, 0.2)
    assert delta[0] == pytest.approx(dense[3], abs=1e-12)
    assert np.allclose(theta.ravel(), dense[0], atol=1e-12) and np.allclose(w.ravel(), dense[1], atol=1e-12)
    assert np.allclose(v, dense[2], atol=1e-12)


@pytest.mark.parametrize("cls", [TileSAC, TileOffPAC, TileCOPDACQ])
def test_agents_start_at_half_the_action_range_and_divide_steps_by_the_tilings(cls):
    agent = cls(gym.make("rl_envs/SwingPendulum-v0"), n_tilings=8, table_size=1024, seed=0)
    assert agent.theta.shape == (1024, 1) and agent.v.shape == (1024,)
    idx = agent.coder.tiles(np.array([0.3, 1.0]))
    sigma = np.exp(agent.y[idx].sum(axis=0)) if cls is TileSAC else agent.sigma
    assert sigma == pytest.approx([2.0])  # torque in [-2, 2]
    step = agent.alpha_u if cls is not TileCOPDACQ else agent.alpha_theta
    assert step == pytest.approx(agent.hyperparameters["alpha_u" if cls is not TileCOPDACQ else "alpha_theta"] / 8)
    action, _ = agent.predict(np.array([0.3, 1.0]))
    assert action.shape == (1,) and action[0] == 0.0  # the mean of untrained tables


def test_puddle_world_agents_have_one_gaussian_per_action_dimension():
    agent = TileOffPAC(gym.make("rl_envs/PuddleWorld-v0"), table_size=2048, sigma=0.02, seed=1)
    assert agent.theta.shape == agent.y.shape == (2048, 2)
    agent.learn(200)
    assert agent.num_timesteps == 200 and np.abs(agent.theta).sum() > 0


@pytest.mark.parametrize(
    "env_id, kwargs, error, message",
    [
        ("rl_envs/SwingPendulum-v0", {"sigma": -1.0}, ValueError, "sigma must be"),
        ("rl_envs/SwingPendulum-v0", {"n_tilings": 0}, ValueError, "n_tilings must be a positive int"),
        ("rl_envs/SwingPendulum-v0", {"alpha_v": "big"}, ValueError, "alpha_v must be a real number >= 0, got 'big'"),
        ("rl_envs/SwingPendulum-v0", {"gamma": 1.5}, ValueError, "gamma must be a discount factor"),
        ("rl_envs/PuddleWorld-v0", {"actions": "discrete"}, TypeError, "needs a 1-D Box action space"),
        ("rl_envs/SwingPendulum-v0", {"alpha_theta": 0.1}, TypeError, "unexpected argument 'alpha_theta'"),
    ],
)
def test_bad_arguments_name_the_argument(env_id, kwargs, error, message):
    env_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k == "actions"}
    with pytest.raises(error, match=message):
        TileOffPAC(gym.make(env_id, **env_kwargs), **kwargs)


class UnboundedEnv(gym.Env):
    observation_space = gym.spaces.Box(-np.inf, np.inf, shape=(2,))
    action_space = gym.spaces.Box(-1.0, 1.0, shape=(1,))


def test_unbounded_observations_are_refused():
    with pytest.raises(ValueError, match="tile codes bounded observations"):
        TileSAC(UnboundedEnv())


@pytest.mark.parametrize(
    "cls, env_id, env_kwargs",
    [
        (TileSAC, "rl_envs/MountainCarRLPark-v0", {"max_steps": 40}),
        (TileOffPAC, "rl_envs/PuddleWorld-v0", {"max_steps": 30}),
        (TileCOPDACQ, "rl_envs/SwingPendulum-v0", {"max_steps": 25}),
        (TileCOPDACQ, "rl_envs/PuddleWorld-v0", {"variant": "boyan-moore", "max_steps": 30}),
    ],
)
def test_seed_k_of_a_batch_is_that_seed_run_alone(cls, env_id, env_kwargs):
    seeds, kwargs = [4, 0, 9], {"table_size": 2048, "gamma": 0.9}
    batch = SeedBatch(cls, env_id, seeds, env_kwargs, **kwargs).learn(100).learn(50)  # continues the episodes
    test_seeds = [123, 7, 123]  # each member its own episode; two may share one
    tested = batch.test_returns(test_seeds)
    for seed, agent, test_return, test_seed in zip(seeds, batch.agents(), tested, test_seeds):
        assert 150 <= agent.num_timesteps <= 150 + 6  # a seed with fewer episode ends runs on a little
        alone = cls(gym.make(env_id, **env_kwargs), seed=seed, **kwargs).learn(agent.num_timesteps)
        for name in alone._array_specs():
            assert np.array_equal(getattr(agent, name), getattr(alone, name)), name
        assert agent.episodes.returns == alone.episodes.returns and len(alone.episodes.returns) >= 3
        assert agent.episodes.end_steps == alone.episodes.end_steps
        assert np.abs(agent.theta).sum() > 0
        assert test_return == evaluate(alone, gym.make(env_id, **env_kwargs), seed=test_seed)[0]


def test_members_with_their_own_step_sizes_are_those_settings_run_alone():
    settings = [
        {"alpha_theta": 0.1, "alpha_w": 0.01},
        {"alpha_theta": 0.01, "alpha_w": 0.1},
        {"alpha_theta": 0.1, "alpha_w": 0.01},
    ]
    kwargs = {"table_size": 1024, "gamma": 0.9, "alpha_v": 0.5}
    batch = SeedBatch(TileCOPDACQ, "rl_envs/MountainCarRLPark-v0", [5, 5, 6], {"max_steps": 30}, settings, **kwargs)
    batch.learn(90)
    agents = batch.agents()
    assert not np.array_equal(agents[0].theta, agents[1].theta)  # same seed, other steps
    for seed, setting, agent in zip([5, 5, 6], settings, agents):
        alone = TileCOPDACQ(gym.make("rl_envs/MountainCarRLPark-v0", max_steps=30), seed=seed, **kwargs, **setting)
        alone.learn(agent.num_timesteps)
        assert np.array_equal(agent.theta, alone.theta) and np.array_equal(agent.w, alone.w)
        # the noise drawn in blocks leaves each stream where the per-step draws leave it
        assert agent.rng.bit_generator.state == alone.rng.bit_generator.state


def test_settings_may_only_vary_step_sizes():
    with pytest.raises(ValueError, match="may only vary the step sizes"):
        SeedBatch(TileSAC, "rl_envs/SwingPendulum-v0", [0, 1], settings=[{"gamma": 0.9}, {}], table_size=512)
    with pytest.raises(ValueError, match="one dict per seed"):
        SeedBatch(TileSAC, "rl_envs/SwingPendulum-v0", [0, 1], settings=[{}], table_size=512)


def test_a_diverging_member_is_frozen_and_the_others_run_on_unchanged():
    settings = [{"alpha_v": 0.5}, {"alpha_v": 1e4}]  # the second's critic overflows within the run
    kwargs = {"table_size": 1024}
    batch = SeedBatch(TileOffPAC, "rl_envs/MountainCarRLPark-v0", [1, 2], {"max_steps": 50}, settings, **kwargs)
    with np.errstate(over="ignore", invalid="ignore"):
        batch.learn(400)
        tested = batch.test_returns([3, 3])
    assert batch.diverged.tolist() == [False, True]
    assert np.isnan(tested[1]) and np.isfinite(tested[0])
    alone = TileOffPAC(gym.make("rl_envs/MountainCarRLPark-v0", max_steps=50), seed=1, **kwargs, **settings[0])
    alone.learn(int(batch.steps[0]))
    assert np.array_equal(batch.agents()[0].theta, alone.theta)
