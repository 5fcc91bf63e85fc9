"""PendulumSwingUp-v0: the transition by hand, the integration error, the
over-rotation rule, the success rule and the model access.  Conformance is tests/test_conformance.py."""

import math

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from rl_envs.pendulum_swingup import PendulumSwingUpEnv, PendulumSwingUpVectorEnv, wrap_angle

G, MU = 9.8, 0.01


def energy_pumping(obs):
    """Swing-up by hand: pump the energy E = ω²/2 + g cos θ (dE/dt = ω u) up to g, then hold
    the top with a PD law (the wrapped θ is what the agent sees)."""
    theta, omega = obs
    if math.cos(theta) > 0.9:
        return [-20.0 * theta - 5.0 * omega]
    return [5.0 * np.sign(omega) * (1.0 if 0.5 * omega**2 + G * math.cos(theta) < G else -1.0)]


def rollout(policy, start, **kwargs):
    env = PendulumSwingUpEnv(**kwargs)
    obs, _ = env.reset(seed=0, options={"state": start})
    states, rewards = [], []
    while True:
        obs, r, terminated, truncated, info = env.step(policy(obs))
        states.append(env.state)
        rewards.append(r)
        if terminated or truncated:
            return np.array(states), np.array(rewards), terminated, info


def test_one_step_by_hand():
    """From rest at θ = π/2 with u = 0: θ'' = g sin θ - μ θ', so to third order in t
    ω(t) = g t - μ g t²/2, θ(t) = π/2 + g t²/2 - μ g t³/6, and ∫ cos θ = -g t³/6."""
    env = PendulumSwingUpEnv(dt=0.02)
    env.reset(options={"state": (math.pi / 2, 0.0)})
    obs, r, terminated, truncated, info = env.step([0.0])
    t = 0.02
    assert env.state[0] == pytest.approx(math.pi / 2 + G * t**2 / 2 - MU * G * t**3 / 6, abs=1e-9)
    assert env.state[1] == pytest.approx(G * t - MU * G * t**2 / 2, abs=1e-7)
    assert r == pytest.approx(-G * t**3 / 6, rel=1e-3)
    assert info == {"time_up": 0.0} and not terminated and not truncated
    np.testing.assert_array_equal(obs, env.state)  # θ < π: wrapping leaves it


def test_equilibria_are_exact_and_the_torque_is_clipped():
    env = PendulumSwingUpEnv()
    env.reset(options={"state": (0.0, 0.0)})
    obs, r, *_, info = env.step([0.0])
    assert obs.tolist() == [0.0, 0.0] and r == pytest.approx(0.02, abs=1e-15) and info["time_up"] == pytest.approx(0.02)
    env.reset(options={"state": (math.pi, 0.0)})
    twin = PendulumSwingUpEnv()
    twin.reset(options={"state": (math.pi, 0.0)})
    assert env.step([7.0])[:2][0].tolist() == twin.step([5.0])[0].tolist()


def test_integration_error_against_a_fine_reference():
    """A 20 s swing-up at the default 4 RK4 substeps per 0.02 s against 256 substeps: the
    error is 4th order (a halving of h divides it by about 16) and below 1e-8."""
    ref_states, ref_rewards, _, ref_info = rollout(energy_pumping, (math.pi, 0.1), substeps=256)
    assert len(ref_states) == 1000 and ref_info["success"]  # the policy swings up and holds
    errors = {}
    for substeps in (1, 2, 4):
        states, rewards, _, _ = rollout(energy_pumping, (math.pi, 0.1), substeps=substeps)
        errors[substeps] = (np.abs(states - ref_states).max(), abs(rewards.sum() - ref_rewards.sum()))
    assert errors[4][0] < 1e-8 and errors[4][1] < 1e-8  # measured: 3.2e-9 in the state, 1.5e-9 in the return
    assert errors[1][0] / errors[2][0] > 12 and errors[2][0] / errors[4][0] > 12


def test_over_rotation_pays_minus_one_for_a_second_then_ends():
    """Spun fast from the bottom, the pendulum passes |θ| = 5π; from then on each step pays
    -dt, and the trial ends 1 s after the crossing."""
    env = PendulumSwingUpEnv()
    env.reset(options={"state": (math.pi, 12.0)})
    crossed, rewards = None, []
    for k in range(1000):
        before = env.state[0]
        _, r, terminated, truncated, info = env.step([5.0])
        rewards.append(r)
        if crossed is None and env.state[0] > 5 * math.pi:
            crossed = k
            assert before <= 5 * math.pi
        if terminated or truncated:
            break
    assert terminated and not truncated and info["success"] is False
    assert crossed is not None and 49 <= k - crossed <= 50  # the crossing is at a substep inside step `crossed`
    assert all(r == pytest.approx(-0.02, abs=1e-12) for r in rewards[crossed + 1 :])
    assert -0.02 <= rewards[crossed] <= 0.02
    assert max(abs(r) for r in rewards[:crossed]) <= 0.02


def test_success_means_more_than_ten_seconds_up():
    _, _, terminated, info = rollout(lambda obs: [0.0], (0.0, 0.0))  # balanced exactly upright
    assert not terminated and info["time_up"] == pytest.approx(20.0) and info["success"] is True
    _, _, _, info = rollout(lambda obs: [0.0], (math.pi, 0.0))  # hanging still
    assert info["time_up"] == 0.0 and info["success"] is False
    # released near the top it falls and swings: a little time up, under 10 s
    _, _, _, info = rollout(lambda obs: [0.0], (0.3, 0.0))
    assert 0.1 < info["time_up"] < 10.0 and info["success"] is False


def test_model_is_the_dynamics_the_environment_integrates():
    env = gym.make("rl_envs/PendulumSwingUp-v0", dt=1e-3, substeps=1)
    model = env.unwrapped.model
    x, u = np.array([0.7, -1.3]), 2.5
    env.reset(options={"state": x})
    env.step([u])
    x1 = env.unwrapped.state
    np.testing.assert_allclose((x1 - x) / 1e-3, model.f((x + x1) / 2, u), rtol=1e-5)  # the midpoint rule, O(dt^2)
    eps = 1e-6
    np.testing.assert_allclose((model.f(x, u + eps) - model.f(x, u - eps)) / (2 * eps), model.input_gain(x)[:, 0])
    assert model.input_gain(np.zeros((5, 2))).shape == (5, 2, 1)


def test_observation_wraps_theta_and_stays_in_the_box():
    states, _, _, _ = rollout(lambda obs: [5.0 * np.sign(obs[1]) or 5.0], (math.pi, 0.0))
    env = PendulumSwingUpEnv()
    assert np.abs(states[:, 1]).max() < env.observation_space.high[1]
    np.testing.assert_allclose(wrap_angle([math.pi, -math.pi, 3 * math.pi + 0.1]), [-math.pi, -math.pi, -math.pi + 0.1])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"dt": 0.0}, "dt must be"),
        ({"dt": 1.0}, "dt must be"),
        ({"substeps": 0}, "substeps must be"),
        ({"max_steps": 0}, "max_steps must be"),
        ({"max_time": -1.0}, "max_time must be"),
        ({"u_max": 20.0}, "u_max must be"),
        ({"render_mode": "ansi"}, "render_mode"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PendulumSwingUpEnv(**kwargs)


def test_bad_start_state_is_named():
    env = PendulumSwingUpEnv()
    with pytest.raises(ValueError, match=r'options\["state"\]'):
        env.reset(options={"state": (4.0, 0.0)})
    with pytest.raises(ValueError, match=r'options\["state"\]'):
        env.reset(options={"state": "up"})
    with pytest.raises(ValueError, match=r"unknown option.*'bogus'.*'state'"):
        env.reset(options={"bogus": 1})


def test_trial_length_is_max_steps_of_dt_by_default_twenty_seconds():
    assert PendulumSwingUpEnv().max_steps == 1000 and PendulumSwingUpEnv(dt=0.05).max_steps == 400
    env = PendulumSwingUpEnv(max_steps=7)
    env.reset(seed=0)
    ends = [env.step([0.0])[3] for _ in range(7)]
    assert ends == [False] * 6 + [True]


@pytest.mark.parametrize(
    "make", [PendulumSwingUpEnv, lambda **kw: PendulumSwingUpVectorEnv(2, **kw)], ids=["single", "vector"]
)
def test_max_time_in_seconds_is_deprecated_for_max_steps(make):
    with pytest.warns(DeprecationWarning, match="'max_time'.*deprecated.*max_steps=20") as record:
        env = make(dt=0.05, max_time=1.0)
    assert env.max_steps == 20 and record[0].filename == __file__  # the warning points at the caller
    with pytest.warns(DeprecationWarning):
        assert make(max_time=1e-6).max_steps == 1  # a trial has at least one step, as before
    with pytest.raises(TypeError, match="'max_steps' or the deprecated 'max_time'"):
        make(max_steps=50, max_time=1.0)


def test_vector_env_reports_time_up_every_step_and_success_at_the_end():
    """Pendulums held exactly upright (an equilibrium) gather 501 dt = 10.02 s up, more than the
    10 s a success needs; one hanging still gathers none.  The step after the end restarts them
    with 0 s up and no success entry."""
    venv = PendulumSwingUpVectorEnv(3, max_steps=501)
    _, info = venv.reset(seed=0, options={"state": (0.0, 0.0)})
    _, info = venv.reset(options={"reset_mask": np.array([False, True, False]), "state": (math.pi, 0.0)})
    assert info["time_up"][1] == 0.0 and info["_time_up"].tolist() == [False, True, False]
    for _ in range(501):
        _, _, terminated, truncated, info = venv.step(np.zeros((3, 1), dtype=np.float32))
    assert truncated.all() and not terminated.any() and info["_time_up"].all()
    np.testing.assert_allclose(info["time_up"], [10.02, 0.0, 10.02])
    assert info["success"].tolist() == [True, False, True] and info["_success"].all()
    info = venv.step(np.zeros((3, 1), dtype=np.float32))[4]
    assert info["time_up"].tolist() == [0.0] * 3 and info["_time_up"].all() and "success" not in info
