"""The tabular update rules as plain functions, checked by hand and against the exact model."""

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines.rmsprop import rms_normalized
from baselines.tabular import (
    Reinforce,
    actor_critic_update,
    book_delta_theta,
    monte_carlo_update,
    q_learning_update,
    reinforce_gradient,
    sarsa_update,
    soft_q_learning_update,
    soft_value,
    softmax,
    td0_update,
)
from baselines.tabular.base import discounted_returns, draw, sample_softmax, softmax_row
from baselines.tabular.exact import BOOK_THETA0, objective, policy_gradient, soft_value_iteration, wall_theta0

SLIPPERY = "S.\n.G\n"  # 2x2 open room; used with slip=0.2


def maze_model(layout="book3x3", **kw):
    return gym.make("rl_envs/GridMaze-v0", layout=layout, **kw).unwrapped.model


def test_softmax_forbids_nan_moves_like_the_books_pi0():
    pi0 = softmax(BOOK_THETA0)
    assert np.allclose(pi0[0], [0, 0.5, 0.5, 0]) and np.allclose(pi0[3], [1 / 3, 1 / 3, 1 / 3, 0])
    assert np.allclose(pi0[5], [1, 0, 0, 0]) and np.allclose(pi0[6], [1, 0, 0, 0])
    assert np.allclose(softmax(np.full(4, np.nan)), 0.25)  # no allowed move: uniform, never acted on
    assert np.allclose(softmax(np.array([1000.0, 0.0])), [1, 0])  # no overflow
    assert np.allclose(softmax(np.array([0.0, np.log(3.0)])), [0.25, 0.75])


@pytest.mark.parametrize(
    "prefs, temperature",
    [
        (BOOK_THETA0[3], 1.0),
        (np.array([2.0, np.nan, -1.0, 0.5]), 0.5),
        (np.array([700.0, 0.0, 1.0, -700.0]), 1.0),
        (np.full(4, np.nan), 1.0),
        (np.array([-np.inf, -np.inf, np.nan, -np.inf]), 1.0),
    ],
)
def test_the_per_step_softmax_and_its_sampler_agree_with_softmax(prefs, temperature):
    p = softmax(prefs, temperature)
    assert softmax_row(prefs, temperature) == pytest.approx(p.tolist(), abs=1e-15)
    rng, n = np.random.default_rng(0), 40_000
    freq = np.bincount([sample_softmax(prefs, temperature, rng) for _ in range(n)], minlength=4) / n
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)  # within 5 s.e.; p = 0 never drawn


def test_draw_inverts_the_cumulative_weights():
    assert [draw([1.0, 0.0, 3.0], u) for u in (0.0, 0.2499, 0.25, 0.99)] == [0, 0, 2, 2]
    assert draw([0.0, 2.0, 0.0], 0.999999) == 1  # a zero weight is never drawn, even at the top end
    assert draw([1.0, 1.0, 0.0], 1.0) == 1  # u = 1 (rounding) falls on the last positive weight
    with pytest.raises(ValueError, match="positive sum"):
        draw([0.0, 0.0], 0.5)


def test_rms_normalized_step_by_hand():
    g1, g2 = np.array([2.0, -0.5, 0.0]), np.array([1.0, 0.0, 3.0])
    d1, v1 = rms_normalized(g1, np.zeros(3), rho=0.9)
    assert d1.tolist() == [1.0, -1.0, 0.0] and v1.tolist() == [4.0, 0.25, 0.0]  # v = g**2 at the first call
    d2, v2 = rms_normalized(g2, v1, rho=0.9)
    assert v2 == pytest.approx([0.9 * 4 + 0.1 * 1, 0.9 * 0.25, 9])  # the third entry's first gradient
    assert d2 == pytest.approx([1 / np.sqrt(3.7), 0.0, 1.0])


def test_normalized_reinforce_moves_each_preference_by_the_step_size_after_one_episode():
    env = gym.make("rl_envs/GridMaze-v0", layout="book3x3", move_cost=0.1)
    plain = Reinforce(env, alpha_theta=1e-6, baseline=False, seed=3)
    normalized = Reinforce(env, alpha_theta=0.05, baseline=False, normalize=True, seed=3)
    plain.learn(10_000, callback=lambda agent: False)  # stops after the first episode
    normalized.learn(plain.num_timesteps)  # the same seed: the same first episode
    assert len(normalized.episodes.lengths) == 1
    direction = np.sign(plain.theta)  # the plain step is a small multiple of the gradient
    assert np.any(direction != 0)
    assert np.allclose(normalized.theta, 0.05 * direction)


def test_walls_of_the_book_maze_give_the_books_theta0():
    theta0 = wall_theta0(maze_model())
    assert np.array_equal(theta0[:8], BOOK_THETA0, equal_nan=True)
    assert np.isnan(theta0[8]).all()  # S8 is the goal: no row in the book


def test_discounted_returns_by_hand():
    assert np.allclose(discounted_returns(np.array([1.0, 0.0, 2.0]), 0.5), [1 + 0.5 * 0 + 0.25 * 2, 0 + 0.5 * 2, 2])


def test_sarsa_and_td0_updates_by_hand():
    Q = np.array([[0.0, 1.0], [2.0, 4.0]])
    delta = sarsa_update(Q, 0, 1, r=0.5, s2=1, a2=0, terminated=False, alpha=0.5, gamma=0.9)
    assert delta == pytest.approx(0.5 + 0.9 * 2.0 - 1.0) and Q[0, 1] == pytest.approx(1.0 + 0.5 * delta)
    assert sarsa_update(Q, 1, 0, r=-1.0, s2=0, a2=1, terminated=True, alpha=1.0, gamma=0.9) == pytest.approx(-3.0)
    V = np.array([1.0, 3.0])
    assert td0_update(V, 0, r=0.5, s2=1, terminated=False, alpha=0.5, gamma=0.5) == pytest.approx(0.5 + 1.5 - 1.0)
    assert V[0] == pytest.approx(1.5)
    assert td0_update(V, 1, r=1.0, s2=0, terminated=True, alpha=0.5, gamma=0.5) == pytest.approx(1.0 - 3.0)


def test_monte_carlo_first_and_every_visit_by_hand():
    states, G = np.array([0, 1, 0]), np.array([3.0, 2.0, 1.0])
    V, N = np.zeros(2), np.zeros(2, dtype=int)
    monte_carlo_update(V, N, states, G, first_visit=True, alpha=None)
    assert V.tolist() == [3.0, 2.0] and N.tolist() == [1, 1]
    V, N = np.zeros(2), np.zeros(2, dtype=int)
    monte_carlo_update(V, N, states, G, first_visit=False, alpha=None)
    assert V.tolist() == [2.0, 2.0] and N.tolist() == [2, 1]  # the mean of 3 and 1


def test_soft_value_is_a_smooth_max():
    q = np.array([1.0, 0.5, 1.0])
    assert soft_value(q, 1.0) == pytest.approx(np.log(np.exp(q).sum()))
    assert soft_value(q, 1e-6) == pytest.approx(1.0 + 1e-6 * np.log(2), abs=1e-9)
    Q1, Q2 = np.array([[0.0, 0.0], [2.0, 4.0]]), np.array([[0.0, 0.0], [2.0, 4.0]])
    d_soft = soft_q_learning_update(Q1, 0, 0, 0.5, 1, False, alpha=0.5, gamma=0.9, temperature=1e-4)
    d_q = q_learning_update(Q2, 0, 0, 0.5, 1, False, alpha=0.5, gamma=0.9)
    assert d_soft == pytest.approx(d_q, abs=1e-6)


def test_actor_critic_update_by_hand():
    theta, w = np.zeros((2, 2)), np.array([0.5, 1.0])
    delta = actor_critic_update(
        theta, w, 0, 1, r=1.0, s2=1, terminated=False, alpha_theta=0.2, alpha_w=0.5, gamma=0.5, I=1.0, temperature=1.0
    )
    assert delta == pytest.approx(1.0 + 0.5 * 1.0 - 0.5)
    assert w[0] == pytest.approx(0.5 + 0.5 * delta)
    assert theta[0].tolist() == pytest.approx([0.2 * delta * -0.5, 0.2 * delta * 0.5])


def test_books_rule_is_reinforce_with_return_one_over_T():
    rng = np.random.default_rng(0)
    pi = softmax(BOOK_THETA0 + rng.normal(size=BOOK_THETA0.shape))
    states = np.array([0, 3, 3, 4, 7, 4, 7])
    actions = np.array([2, 0, 2, 2, 0, 2, 1])
    T = len(states)
    book = book_delta_theta(pi, states, actions)
    assert np.allclose(book, reinforce_gradient(pi, states, actions, np.ones(T)) / T)
    # and by hand for S3: N(S3) = 2, N(S3, up) = N(S3, down) = 1
    assert np.allclose(book[3], (np.array([1, 0, 1, 0]) - pi[3] * 2) / T)
    assert np.allclose(book[np.isnan(BOOK_THETA0)], 0.0)  # walls stay NaN under theta + eta * delta


@pytest.mark.parametrize("layout, kw, gamma", [("book3x3", {}, 1.0), (SLIPPERY, {"slip": 0.2}, 0.9)])
def test_exact_policy_gradient_matches_finite_differences(layout, kw, gamma):
    model = maze_model(layout, **kw)
    theta = np.random.default_rng(1).normal(size=(model.n_states, model.n_actions))
    grad = policy_gradient(model, theta, gamma)
    h = 1e-6
    for s in np.flatnonzero(~model.terminal):
        for a in range(model.n_actions):
            e = np.zeros_like(theta)
            e[s, a] = h
            fd = (objective(model, theta + e, gamma) - objective(model, theta - e, gamma)) / (2 * h)
            assert grad[s, a] == pytest.approx(fd, abs=1e-6)


def test_soft_value_iteration_tends_to_value_iteration():
    from rl_envs.maze import value_iteration

    model = maze_model(SLIPPERY, slip=0.2)
    V_star, _ = value_iteration(model, 0.9)
    V_soft, _ = soft_value_iteration(model, temperature=1e-4, gamma=0.9)
    assert np.allclose(V_soft, V_star, atol=1e-3)
    V_hot, _ = soft_value_iteration(model, temperature=0.5, gamma=0.9)
    assert np.all(V_hot[~model.terminal] > V_star[~model.terminal])  # the entropy bonus
