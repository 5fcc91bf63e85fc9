"""QuadraticBandit-v0 and the bandit agents of Silver et al. 2014, Sec. 5.1 (SAC-B, COPDAC-B)."""

import math

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines.linear import COPDACB, SACB, copdac_b_update, fit_batch_critic, sac_b_features
from rl_envs.bandit import QuadraticBanditEnv, QuadraticBanditVectorEnv, quadratic_cost, random_cost_matrix

C2 = np.array([[2.0, 0.5], [0.5, 1.0]])
A2 = np.array([1.0, -1.0])


# -- environment ------------------------------------------------------------------------------


def test_cost_of_a_hand_worked_case():
    # d = a - a* = (1, 2):  2*1 + 2*0.5*1*2 + 1*4 = 8
    env = gym.make("rl_envs/QuadraticBandit-v0", dim=2, C=C2, a_star=A2)
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step(np.array([2.0, 1.0]))
    assert reward == -8.0 and info["cost"] == 8.0 and terminated and not truncated
    assert env.unwrapped.cost([2.0, 1.0]) == 8.0
    assert env.unwrapped.cost(A2) == 0.0 == env.unwrapped.optimal_cost()
    batch = env.unwrapped.cost(np.array([[2.0, 1.0], [1.0, -1.0], [0.0, -1.0]]))
    assert batch.tolist() == [8.0, 0.0, 2.0]


def test_out_of_box_actions_are_clipped():
    env = QuadraticBanditEnv(dim=2, C=C2, a_star=A2, action_bound=5.0)
    env.reset()
    _, reward, *_ = env.step(np.array([100.0, -7.0]))
    assert reward == -quadratic_cost([5.0, -5.0], C2, A2)


@pytest.mark.parametrize("dim", [1, 10, 50])
def test_cost_matrix_has_eigenvalues_in_0_1_and_1_and_follows_the_seed(dim):
    env = gym.make("rl_envs/QuadraticBandit-v0", dim=dim)
    env.reset(seed=3)
    C = env.unwrapped.C.copy()
    assert np.array_equal(C, C.T)
    lam = np.linalg.eigvalsh(C)
    assert np.all(np.isclose(lam, 0.1, atol=1e-12) | np.isclose(lam, 1.0, atol=1e-12))
    np.testing.assert_array_equal(env.unwrapped.a_star, np.full(dim, 4.0))
    env.reset()
    assert np.array_equal(env.unwrapped.C, C)  # no seed: the same problem
    env.reset(seed=3)
    assert np.array_equal(env.unwrapped.C, C)
    if dim > 1:  # a 1x1 C is one of only two matrices
        env.reset(seed=4)
        assert not np.array_equal(env.unwrapped.C, C)


def test_both_eigenvalues_occur_and_directions_are_random():
    lam = np.concatenate([np.linalg.eigvalsh(random_cost_matrix(50, np.random.default_rng(s))) for s in range(4)])
    assert 0.35 < np.mean(lam < 0.5) < 0.65  # 200 fair draws from {0.1, 1}
    C = random_cost_matrix(50, np.random.default_rng(0))
    assert np.abs(C - np.diag(np.diag(C))).max() > 0.05  # not axis-aligned


def test_given_cost_matrix_is_kept_at_every_seed():
    env = QuadraticBanditEnv(dim=2, C=C2)
    env.reset(seed=1)
    env.reset(seed=2)
    np.testing.assert_array_equal(env.C, C2)


def test_a_pull_ends_the_episode_and_an_unseeded_reset_draws_nothing():
    env = QuadraticBanditEnv(dim=3)
    env.reset(seed=4)
    C = env.C.copy()
    env.step(np.zeros(3))
    with pytest.raises(gym.error.ResetNeeded):
        env.step(np.zeros(3))
    stream = env.np_random.bit_generator.state
    env.reset()
    assert env.np_random.bit_generator.state == stream and np.array_equal(env.C, C)
    assert env.step(np.zeros(3))[1] == -quadratic_cost(np.zeros(3), C, env.a_star)


def test_a_seeded_reset_draws_c_and_nothing_else_from_the_seeded_stream():
    """What the docstring says: reset(seed=s) draws random_cost_matrix(dim, stream seeded s),
    and no other number; the vector env draws its one C so, from s_0's stream given a list."""
    for dim, seed in ((1, 0), (5, 3), (10, 12)):
        rng = np.random.default_rng(seed)
        expected = random_cost_matrix(dim, rng)
        env = QuadraticBanditEnv(dim=dim)
        env.reset(seed=seed)
        assert np.array_equal(env.C, expected)
        env.step(np.zeros(dim))
        env.reset()
        assert env.np_random.bit_generator.state == rng.bit_generator.state
    venv = QuadraticBanditVectorEnv(3, dim=5)
    venv.reset(seed=[3, 8, 9])
    assert np.array_equal(venv.C, random_cost_matrix(5, np.random.default_rng(3)))


@pytest.mark.parametrize("C", [None, C2])
def test_the_drawing_keeps_the_pulls_of_earlier_episodes_on_one_problem(C):
    env = QuadraticBanditEnv(dim=2, C=C, render_mode="rgb_array")
    env.reset(seed=0)
    empty = env.render()
    for a in np.linspace(-10, 10, 5):
        env.step(np.full(2, a))
        env.reset()
    pulls = env.render()
    assert not np.array_equal(pulls, empty)
    env.reset(seed=0)  # draws C anew (the same one) unless C was given: a new problem, a clean drawing
    assert np.array_equal(env.render(), empty if C is None else pulls)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(dim=0), "dim"),
        (dict(dim=2.5), "dim"),
        (dict(dim=2, C=np.eye(3)), "shape"),
        (dict(dim=2, C=[[1.0, 0.2], [0.0, 1.0]]), "symmetric"),
        (dict(dim=2, C=[[1.0, 2.0], [2.0, 1.0]]), "positive definite"),
        (dict(dim=2, C=[[1.0, np.nan], [np.nan, 1.0]]), "finite"),
        (dict(dim=2, a_star=[4.0, 25.0]), "inside the action box"),
        (dict(dim=2, a_star=[4.0]), "shape"),
        (dict(dim=2, action_bound=-1), "action_bound"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        QuadraticBanditEnv(**kwargs)


def test_bad_actions_are_rejected():
    env = QuadraticBanditEnv(dim=3)
    env.reset(seed=0)
    for bad in ([1.0, 2.0], [1.0, np.inf, 0.0], "abc", [[1.0, 2.0, 3.0]]):
        with pytest.raises(ValueError):
            env.step(bad)


# -- critic and update rules ----------------------------------------------------------------------


def test_batch_critic_recovers_the_exact_gradient_of_a_quadratic():
    # 2m antithetic samples theta +- h e_i: for a quadratic the central difference is exact and
    # the feature columns are orthogonal to each other and to the bias, so w is grad r(theta).
    rng = np.random.default_rng(0)
    m, h = 6, 0.3
    C = random_cost_matrix(m, rng)
    a_star = rng.normal(size=m)
    theta = rng.normal(size=m)
    d = np.concatenate([h * np.eye(m), -h * np.eye(m)])
    r = -quadratic_cost(theta + d, C, a_star)
    w, _ = fit_batch_critic(d, r)
    np.testing.assert_allclose(w, -2 * C @ (theta - a_star), rtol=0, atol=1e-12)
    new_theta = copdac_b_update(theta, d, r, alpha_theta=0.25)
    np.testing.assert_allclose(new_theta, theta - 0.5 * C @ (theta - a_star), atol=1e-12)


def test_batch_critic_is_exact_on_a_linear_reward():
    rng = np.random.default_rng(1)
    phi = rng.normal(size=(20, 5))
    w_true, b_true = rng.normal(size=5), 0.7
    w, b = fit_batch_critic(phi, phi @ w_true + b_true)
    np.testing.assert_allclose(w, w_true, atol=1e-12)
    assert b == pytest.approx(b_true, abs=1e-12)
    with pytest.raises(ValueError, match="cannot determine"):
        fit_batch_critic(phi[:5], np.zeros(5))


def test_sac_b_features_are_the_score_of_the_gaussian():
    rng = np.random.default_rng(2)
    m, y = 4, math.log(0.3)
    theta, a = rng.normal(size=m), rng.normal(size=m)

    def log_pi(theta, y):
        var = math.exp(y)
        return -0.5 * m * math.log(2 * math.pi * var) - 0.5 * np.sum((a - theta) ** 2) / var

    eps = 1e-6
    num = [(log_pi(theta + eps * e, y) - log_pi(theta - eps * e, y)) / (2 * eps) for e in np.eye(m)]
    num.append((log_pi(theta, y + eps) - log_pi(theta, y - eps)) / (2 * eps))
    phi = sac_b_features((a - theta)[None], y, adapt_variance=True)[0]
    np.testing.assert_allclose(phi, num, rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(sac_b_features((a - theta)[None], y, adapt_variance=False)[0], phi[:m])


def _trajectory(agent, steps):
    thetas = []
    agent.learn(
        steps, callback=lambda a: thetas.append(a.theta.copy()) if a.num_timesteps % a.batch_size == 0 else None
    )
    return np.array(thetas)


def test_fixed_variance_sac_b_follows_copdac_b_exactly():
    sigma, alpha, m = 0.2, 0.4, 10
    copdac = COPDACB(gym.make("rl_envs/QuadraticBandit-v0", dim=m), alpha_theta=alpha, sigma_beta=sigma, seed=7)
    sac = SACB(
        gym.make("rl_envs/QuadraticBandit-v0", dim=m),
        alpha_theta=alpha / sigma**2,
        y_init=2 * math.log(sigma),
        adapt_variance=False,
        seed=7,
    )
    a, b = _trajectory(copdac, 2_000), _trajectory(sac, 2_000)
    assert len(a) == 100 and np.abs(a[-1] - a[0]).max() > 1.0  # it did move
    np.testing.assert_allclose(b, a, rtol=0, atol=1e-8)
    assert sac.y == 2 * math.log(sigma)


# -- learning -----------------------------------------------------------------------------------


def _mean_action_cost(agent_cls, dim, seed, steps, **hyper):
    env = gym.make("rl_envs/QuadraticBandit-v0", dim=dim)
    agent = agent_cls(env, seed=seed, **hyper)
    agent.learn(steps)
    return env.unwrapped.cost(np.zeros(dim)), env.unwrapped.cost(agent.predict(np.zeros(1))[0])


@pytest.mark.parametrize("agent_cls", [COPDACB, SACB])
def test_defaults_cut_the_cost_by_two_orders_on_m10(agent_cls):
    for seed in range(3):
        start, end = _mean_action_cost(agent_cls, 10, seed, 10_000)
        assert end < start / 100, (seed, start, end)


def test_copdac_b_defaults_reach_the_papers_plateau_on_m10():
    # Fig. 1 of the paper: ~3e-3 at 1e4 steps for m = 10; the bar is a factor 3.
    costs = [_mean_action_cost(COPDACB, 10, seed, 10_000)[1] for seed in range(5)]
    assert np.mean(costs) <= 1e-2


@pytest.mark.slow
@pytest.mark.parametrize("dim, bar_1e3, bar_1e4", [(25, None, 6e-2), (50, 3.0, 1e-1)])
def test_copdac_b_defaults_reach_the_papers_plateau(dim, bar_1e3, bar_1e4):
    if bar_1e3 is not None:
        assert np.mean([_mean_action_cost(COPDACB, dim, s, 1_000)[1] for s in range(5)]) < bar_1e3
    assert np.mean([_mean_action_cost(COPDACB, dim, s, 10_000)[1] for s in range(5)]) <= bar_1e4


# -- interface ----------------------------------------------------------------------------------


@pytest.mark.parametrize("agent_cls", [COPDACB, SACB])
def test_interface_predict_evaluate_save_load(agent_cls, tmp_path):
    from stable_baselines3.common.evaluation import evaluate_policy

    env = gym.make("rl_envs/QuadraticBandit-v0", dim=5)
    agent = agent_cls(env, seed=0).learn(500)
    action, state = agent.predict(np.zeros(1, dtype=np.float32))
    assert action.shape == (5,) and state is None
    np.testing.assert_array_equal(action, agent.theta)
    batch, _ = agent.predict(np.zeros((3, 1), dtype=np.float32))
    assert batch.shape == (3, 5) and np.all(batch == agent.theta)
    mean, std = evaluate_policy(agent, env, n_eval_episodes=3, warn=False)
    assert mean == pytest.approx(-env.unwrapped.cost(agent.theta)) and std == pytest.approx(0.0, abs=1e-12)
    agent.save(tmp_path / "agent")
    loaded = agent_cls.load(tmp_path / "agent.npz")
    np.testing.assert_array_equal(loaded.theta, agent.theta)
    assert loaded.num_timesteps == 500 and loaded.hyperparameters == agent.hyperparameters
    with pytest.raises(ValueError, match="observation must have shape"):
        agent.predict(np.zeros((2, 2)))


def test_bad_agent_arguments_are_rejected():
    env = gym.make("rl_envs/QuadraticBandit-v0", dim=4)
    with pytest.raises(ValueError, match="sigma_beta"):
        COPDACB(env, sigma_beta=0.0)
    with pytest.raises(ValueError, match="alpha_theta"):
        SACB(env, alpha_theta=np.nan)
    with pytest.raises(ValueError, match="batch_size"):
        COPDACB(env, batch_size=5)
    with pytest.raises(TypeError, match="Box action space"):
        COPDACB(gym.make("rl_envs/GridMaze-v0"))


def test_vector_bandit_pulls_every_other_step_with_the_single_envs_problem():
    """Every pull ends its episode, so next-step autoreset restarts each copy on the step
    after; the copies share the problem and its exact references."""
    env = gym.make("rl_envs/QuadraticBandit-v0", dim=3)
    venv = gym.make_vec("rl_envs/QuadraticBandit-v0", num_envs=4, vectorization_mode="vector_entry_point", dim=3)
    env.reset(seed=2)
    obs, _ = venv.reset(seed=2)
    ref, vref = env.unwrapped, venv.unwrapped
    assert np.array_equal(vref.C, ref.C) and np.array_equal(vref.a_star, ref.a_star)
    a = np.random.default_rng(0).uniform(-30, 30, (4, 3))
    obs, r, term, trunc, info = venv.step(a)
    assert np.array_equal(r, -ref.cost(np.clip(a, -20, 20))) and term.all() and not trunc.any()
    assert np.array_equal(info["cost"], -r) and info["_cost"].all()
    obs, r, term, trunc, info = venv.step(a)
    # every copy restarts: no cost entry at all, as in Gymnasium's SyncVectorEnv (a reset's info)
    assert not (r.any() or term.any() or trunc.any()) and "cost" not in info and obs.shape == (4, 1)
    assert np.array_equal(venv.step(a)[1], -ref.cost(np.clip(a, -20, 20)))  # and pulls again
    mask = np.array([True, False, True, False])
    venv.reset(options={"reset_mask": mask})  # these pull on the next step, the others restart
    obs, r, term, trunc, info = venv.step(a)
    assert np.array_equal(info["_cost"], mask) and np.array_equal(term, mask) and not trunc.any()
    assert np.array_equal(info["cost"], np.where(mask, ref.cost(np.clip(a, -20, 20)), 0.0)) and not r[~mask].any()
