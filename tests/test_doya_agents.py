"""The pieces of Doya's (2000) agents: the NGnet, the continuous TD critic (one step by hand,
and policy evaluation against the exact value of a linear policy on the LQ double integrator),
the value-gradient drive and the learned model."""

import math
from dataclasses import replace

import numpy as np
import pytest

from baselines.continuous_time import ContinuousTDCritic, NGnet, ValueGradientPolicy, squash
from baselines.continuous_time.settings import PENDULUM_VALUE_GRADIENT
from baselines.linear import quadratic_features, quadratic_form
from rl_envs.lq import LQControlEnv, expected_episode_cost
from rl_envs.pendulum_swingup import PendulumSwingUpEnv


def pendulum_grid():
    return NGnet([-np.pi, -2 * np.pi], [np.pi, 2 * np.pi], 15, periodic=(True, False))


def test_ngnet_sums_to_one_and_is_a_periodic_ring_in_theta():
    net = pendulum_grid()
    x = np.random.default_rng(0).uniform([-4, -8], [4, 8], size=(50, 2))
    b = net.features(x)
    assert b.shape == (50, 225) and np.all(b > 0)
    np.testing.assert_allclose(b.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(net.features(x + [2 * np.pi, 0.0]), b, rtol=1e-12, atol=1e-300)
    # across the seam at θ = ±π the features are continuous: the ring has no edge
    seam = net.features([[np.pi - 1e-9, 1.0], [-np.pi + 1e-9, 1.0]])
    np.testing.assert_allclose(seam[0], seam[1], atol=1e-8)
    # but not in ω: a grid whose edge is not joined to the other edge
    edge = net.features([[0.0, 2 * np.pi], [0.0, -2 * np.pi]])
    assert np.abs(edge[0] - edge[1]).max() > 0.1
    np.testing.assert_array_equal(net.features(x[0]), b[0])


def test_ngnet_gradient_is_the_derivative_of_the_features():
    net = pendulum_grid()
    x, eps = np.array([3.1, -1.2]), 1e-6
    numeric = np.stack([(net.features(x + d) - net.features(x - d)) / (2 * eps) for d in np.eye(2) * eps], axis=-1)
    np.testing.assert_allclose(net.gradient(x), numeric, atol=1e-7)
    np.testing.assert_allclose(net.gradient(x).sum(axis=0), 0.0, atol=1e-12)  # Σ b = 1 everywhere


def test_ngnet_rejects_bad_grids():
    with pytest.raises(ValueError, match="high > low"):
        NGnet([0.0], [0.0], 5, periodic=False)
    with pytest.raises(ValueError, match="n_per_dim"):
        NGnet([0.0], [1.0], 1, periodic=False)


# one interval by hand: dt = 0.1, tau = 1, eta = 2, v = (0.5, -1), b = (0.3, 0.7),
# b_next = (0.6, 0.4), reward integral R = 0.05 (rate 0.5): V = -0.55, V_next = -0.1 and
# delta = 0.5 + ((1 - 0.1)(-0.1) - (-0.55)) / 0.1 = 5.1.
B, B_NEXT, R = np.array([0.3, 0.7]), np.array([0.6, 0.4]), 0.05


def critic(kappa):
    c = ContinuousTDCritic(2, dt=0.1, tau=1.0, eta=2.0, kappa=kappa)
    c.v[:] = [0.5, -1.0]
    return c


def test_backward_euler_step_by_hand():
    c = critic(None)
    assert c.step(B, R, B_NEXT, terminated=False) == pytest.approx(5.1)
    np.testing.assert_allclose(c.v, [0.5 + 1.02 * 0.3, -1.0 + 1.02 * 0.7])  # v += eta delta b dt
    assert critic(None).td_error(B, R, B_NEXT, terminated=True) == pytest.approx(0.5 + 0.55 / 0.1)  # V(end) = 0


def test_eligibility_trace_step_by_hand():
    c = critic(0.5)
    c.e[:] = [1.0, 0.0]
    assert c.step(B, R, B_NEXT, terminated=False) == pytest.approx(5.1)
    e = np.array([0.8 * 1.0 + 0.1 * 0.3, 0.1 * 0.7])  # e <- (1 - dt/kappa) e + dt b
    np.testing.assert_allclose(c.e, e)
    np.testing.assert_allclose(c.v, [0.5, -1.0] + 2.0 * 5.1 * 0.1 * e)
    c.new_episode()
    assert not c.e.any()


@pytest.mark.parametrize("kappa", [None, 0.2], ids=["euler", "traces"])
def test_policy_evaluation_finds_the_exact_value_of_a_linear_policy(kappa):
    """The fixed policy u = -Kx on the continuous-time double integrator (x'' = u, cost rate
    x1² + u²), dt = 0.05, tau = 2: V(x) = -Σ_k γ^k c_k with γ = 1 - dt/tau, which is
    ``expected_episode_cost`` of the step scaled by sqrt(γ) over a long horizon.  Quadratic
    features hold it exactly, so both TD fixed points are it."""
    dt, tau, K = 0.05, 2.0, np.array([[1.0, 1.5]])
    env = LQControlEnv(dt=dt, x0=[0.0, 0.0], x0_cov=1.0, noise_cov=0.0, max_steps=60)
    gamma = 1 - dt / tau
    scaled = replace(env.model, A=math.sqrt(gamma) * env.model.A, B=math.sqrt(gamma) * env.model.B)
    c = ContinuousTDCritic(
        len(quadratic_features(np.zeros(2))), dt=dt, tau=tau, eta=0.3 if kappa is None else 1.5, kappa=kappa
    )
    obs, _ = env.reset(seed=0)
    for _ in range(10_000):
        obs2, r, terminated, truncated, _ = env.step(-K @ obs)
        c.step(quadratic_features(obs), r, quadratic_features(obs2), terminated)
        obs = obs2
        if terminated or truncated:
            c.new_episode()
            obs, _ = env.reset()
    P, const = quadratic_form(c.v, 2)
    for x in ([1.0, 0.0], [0.0, 1.0], [1.0, -1.0]):
        exact = -expected_episode_cost(scaled, K, np.array(x), np.zeros((2, 2)), 2000)
        assert x @ P @ x + const == pytest.approx(exact, rel=1e-3)  # measured: < 1e-4 after 10 000 steps


def test_value_gradient_drive_is_the_value_slope_along_the_input_gain_over_c():
    env = PendulumSwingUpEnv()
    agent = ValueGradientPolicy(env, c=0.1, seed=0)
    agent.v[:] = np.random.default_rng(1).normal(size=agent.v.shape)
    x, eps = np.array([2.0, 0.5]), 1e-6
    slope = (agent.value(x + [0, eps]) - agent.value(x - [0, eps])) / (2 * eps)  # ∂f/∂u = (0, 1)
    assert agent._drive(x, agent.features.features(x)) == pytest.approx(slope / 0.1, rel=1e-6)
    u, _ = agent.predict(x)
    assert u.shape == (1,) and u[0] == pytest.approx(5.0 * squash(slope / 0.1))


def test_learned_model_finds_the_input_gain():
    """From exploration alone the learned dω/dt = w_f·b + (w_g·b) u finds the true gain 1 where
    the pendulum has been most (hanging near the bottom; elsewhere the low-pass noise, which
    correlates u with the state, leaves it rougher)."""
    env = PendulumSwingUpEnv()
    agent = ValueGradientPolicy(env, model="learned", seed=0, sigma0=2.0)
    agent.learn(5000)
    x = np.array([[np.pi, 0.0], [np.pi, 0.5], [np.pi, -0.5]])
    gain = agent.input_gain(x, agent.features.features(x))
    np.testing.assert_allclose(gain[:, 0], 0.0)
    np.testing.assert_allclose(gain[:, 1], 1.0, atol=0.15)


def test_bad_critic_arguments_are_named():
    with pytest.raises(ValueError, match="kappa must exceed dt"):
        ContinuousTDCritic(3, dt=0.1, kappa=0.05)
    with pytest.raises(ValueError, match="model must be"):
        ValueGradientPolicy(PendulumSwingUpEnv(), model="perfect")


def test_value_gradient_policy_with_a_pretrained_critic_swings_up_from_the_bottom():
    """Doya's (2000) value-gradient policy with the known model: after a critic trained for
    20 trials (the experiment's settings), the greedy policy (no noise) swings the pendulum up
    from hanging at rest and holds it up for more than 10 of the 20 s."""
    env = PendulumSwingUpEnv()
    agent = ValueGradientPolicy(env, seed=0, **PENDULUM_VALUE_GRADIENT)
    agent.learn(10**6, callback=lambda a: len(a.episodes.returns) < 20)
    obs, _ = env.reset(options={"state": (np.pi, 0.0)})
    for _ in range(env.max_steps):
        obs, _, terminated, truncated, info = env.step(agent.predict(obs)[0])
        if terminated or truncated:
            break
    assert truncated and info["success"], info
