"""The continuous-action tasks of Silver et al. 2014, §5.2: puddle world (OffPAC and Boyan &
Moore geometry), RLPark's mountain car and swing pendulum, against hand-worked values.
(The conformance suite covers their API with default arguments.)"""

import math

import numpy as np
import gymnasium as gym
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import data_equivalence

import rl_envs  # noqa: F401
from rl_envs.puddle_world import capsule_puddle_reward, gaussian_puddle_reward


def stepped_from(env_id, state, action, **kwargs):
    """One step of ``env_id`` from ``state``: (next exact state, reward, terminated)."""
    env = gym.make(env_id, **kwargs).unwrapped
    env.reset(seed=0)
    env.state = state
    if isinstance(env.action_space, gym.spaces.Box):
        action = np.array(action, dtype=np.float32)
    _, reward, terminated, _, _ = env.step(action)
    return env.state, reward, terminated


# -- puddle world ------------------------------------------------------------------------------


def test_offpac_reward_at_hand_computed_points():
    # at (0.3, 0.6), the first puddle's centre: 1 / (2 pi 0.1 0.03) = 53.0516; the second adds
    # N(-10/3) N(1) = (e^{-50/9} / (0.03 sqrt(2 pi))) (e^{-1/2} / (0.1 sqrt(2 pi))) = 0.051418 * 2.419707
    first = 1 / (2 * math.pi * 0.1 * 0.03)
    second = (math.exp(-50 / 9) / (0.03 * math.sqrt(2 * math.pi))) * (math.exp(-0.5) / (0.1 * math.sqrt(2 * math.pi)))
    r = gaussian_puddle_reward(np.array([[0.3, 0.6], [0.0, 0.0], [0.8, 0.9]]))
    assert r[0] == pytest.approx(-1 - 2 * (first + second), abs=1e-9)  # the third is e^-40 away
    assert r[0] == pytest.approx(-107.35, abs=0.01)
    assert r[1] == pytest.approx(-1.0, abs=1e-12)  # far from every puddle
    assert r[2] == pytest.approx(-1 - 2 / (2 * math.pi * 0.03 * 0.1), abs=1e-6)


@pytest.mark.parametrize(
    "point, reward",
    [
        ((0.30, 0.75), -41.0),  # on the first segment: depth 0.1
        ((0.30, 0.70), -21.0),  # 0.05 below it
        ((0.45, 0.75), -41.0),  # on both segments: the nearest counts, not the sum
        ((0.45, 0.32), -9.0),  # 0.08 from the end (0.45, 0.40) of the second
        ((0.50, 0.30), -1.0),  # sqrt(0.05^2 + 0.1^2) = 0.112 from that end: dry
        ((0.10, 0.80), -21.0),  # 0.05 above the end (0.10, 0.75) of the first
        ((0.04, 0.75), -17.0),  # 0.06 left of that end
    ],
)
def test_boyan_moore_capsules_at_hand_computed_points(point, reward):
    assert capsule_puddle_reward(np.array([point]))[0] == pytest.approx(reward, abs=1e-9)


def test_offpac_step_is_the_clipped_move_plus_small_uniform_noise():
    s, reward, terminated = stepped_from("rl_envs/PuddleWorld-v0", [0.2, 0.4], [0.5, -0.03])
    assert np.all(np.abs(s - [0.25, 0.37]) <= 0.0025)  # 0.5 is clipped to 0.05
    assert reward == pytest.approx(gaussian_puddle_reward(s[None])[0]) and not terminated
    s, _, _ = stepped_from("rl_envs/PuddleWorld-v0", [0.2, 0.4], [0.03, 0.01], noise=0.0)
    assert np.allclose(s, [0.23, 0.41], atol=1e-15)
    s, _, _ = stepped_from("rl_envs/PuddleWorld-v0", [0.01, 0.99], [-0.05, 0.05], noise=0.0)
    assert np.array_equal(s, [0.0, 1.0])  # held in the square


def test_goal_corner_ends_the_episode():
    _, reward, terminated = stepped_from("rl_envs/PuddleWorld-v0", [0.93, 0.93], [0.05, 0.05], noise=0.0)
    # at (0.98, 0.98) the third puddle is 6 sigma away in x: 2 e^{-18.32} / (2 pi 0.003) = 1.17e-6
    assert terminated and reward == pytest.approx(-1.0 - 1.17e-6, abs=1e-8)
    _, _, terminated = stepped_from("rl_envs/PuddleWorld-v0", [0.90, 0.90], [0.05, 0.0], noise=0.0)
    assert not terminated  # x + y = 1.85
    _, reward, terminated = stepped_from(
        "rl_envs/PuddleWorld-v0", [0.90, 0.95], [0.05, 0.0], variant="boyan-moore", noise=0.0
    )
    assert terminated and reward == -1.0  # x + y = 1.9 exactly counts for Boyan & Moore


def test_discrete_moves_up_right_down_left():
    for action, expected in [(0, [0.5, 0.55]), (1, [0.55, 0.5]), (2, [0.5, 0.45]), (3, [0.45, 0.5])]:
        s, _, _ = stepped_from("rl_envs/PuddleWorld-v0", [0.5, 0.5], action, actions="discrete", noise=0.0)
        assert np.allclose(s, expected, atol=1e-15)


def test_boyan_moore_starts_uniformly_outside_the_goal():
    env = gym.make("rl_envs/PuddleWorld-v0", variant="boyan-moore")
    starts = np.array([env.reset(seed=i)[0] for i in range(400)])
    assert np.all(starts.sum(axis=1) < 1.9)
    assert abs(starts.mean() - 0.5) < 0.03 and starts.std() > 0.25


def test_boyan_moore_noise_is_gaussian_with_the_given_sigma():
    env = gym.make("rl_envs/PuddleWorld-v0", variant="boyan-moore", noise=0.01).unwrapped
    env.reset(seed=1)
    moves = []
    for _ in range(2000):
        env.state = [0.5, 0.5]
        moves.append(env.step(np.zeros(2, dtype=np.float32))[0] - 0.5)
    moves = np.array(moves, dtype=np.float64)
    assert np.all(np.abs(moves.std(axis=0) - 0.01) < 0.0008)
    assert abs(np.corrcoef(moves.T)[0, 1]) < 0.1  # one draw per axis


# -- mountain car ------------------------------------------------------------------------------


def test_mountain_car_hand_worked_transition():
    # v = 0 + 0.001 * 1 - 0.0025 cos(-1.5) = 0.001 - 0.0025 * 0.0707372 = 0.000823157
    s, reward, terminated = stepped_from("rl_envs/MountainCarRLPark-v0", [-0.5, 0.0], [1.0])
    v = 0.001 - 0.0025 * 0.0707372016677029
    assert s[1] == pytest.approx(v, abs=1e-15) and s[0] == pytest.approx(-0.5 + v, abs=1e-15)
    assert reward == -1.0 and not terminated
    s, _, _ = stepped_from("rl_envs/MountainCarRLPark-v0", [-0.5, 0.0], [-7.0])  # clipped to -1
    assert s[1] == pytest.approx(-0.001 - 0.0025 * 0.0707372016677029, abs=1e-15)


def test_mountain_car_wall_speed_limit_and_goal():
    s, _, _ = stepped_from("rl_envs/MountainCarRLPark-v0", [-1.19, -0.05], [-1.0])
    assert s[0] == -1.2 and s[1] == 0.0  # the left wall stops the car
    s, _, _ = stepped_from("rl_envs/MountainCarRLPark-v0", [-0.5, 0.0699], [1.0])
    assert s[1] == 0.07  # 0.0699 + 0.001 - 0.000177 is capped
    s, reward, terminated = stepped_from("rl_envs/MountainCarRLPark-v0", [0.58, 0.03], [0.0])
    assert s[0] == 0.6 and terminated and reward == -1.0  # RLPark's -1 on every step, the goal step too


def test_mountain_car_goal_step_pays_the_goal_reward():
    # goal_reward=0 (the option of paying nothing there); the dynamics are the same
    s, reward, terminated = stepped_from("rl_envs/MountainCarRLPark-v0", [0.58, 0.03], [0.0], goal_reward=0.0)
    assert s[0] == 0.6 and terminated and reward == 0.0
    s, reward, terminated = stepped_from("rl_envs/MountainCarRLPark-v0", [0.5, 0.03], [0.0], goal_reward=0.0)
    assert not terminated and reward == -1.0


def test_mountain_car_starts():
    fixed = gym.make("rl_envs/MountainCarRLPark-v0", start="fixed")
    assert np.array_equal(fixed.reset(seed=0)[0], np.float32([-0.5, 0.0]))
    env = gym.make("rl_envs/MountainCarRLPark-v0")
    starts = np.array([env.reset(seed=i)[0] for i in range(300)])
    assert starts[:, 0].min() < -1.0 and starts[:, 0].max() > 0.4
    assert starts[:, 1].min() < -0.05 and starts[:, 1].max() > 0.05


def test_mountain_car_that_never_gets_up_scores_minus_the_cap():
    env = gym.make("rl_envs/MountainCarRLPark-v0", start="fixed", max_steps=300)
    env.reset(seed=0)
    total, steps, done = 0.0, 0, False
    while not done:
        _, r, terminated, truncated, _ = env.step(np.zeros(1, dtype=np.float32))
        total, steps, done = total + r, steps + 1, terminated or truncated
    assert (total, steps, truncated) == (-300.0, 300, True)


# -- swing pendulum ----------------------------------------------------------------------------


def test_pendulum_hand_worked_transition():
    # from horizontal at rest with u = 1: v = 0 - 0.01 * 0 + 9.8 sin(pi/2) + 1 = 10.8; theta = pi/2 + 0.108
    s, reward, terminated = stepped_from("rl_envs/SwingPendulum-v0", [math.pi / 2, 0.0], [1.0])
    assert s[1] == pytest.approx(10.8, abs=1e-12) and s[0] == pytest.approx(math.pi / 2 + 0.108, abs=1e-12)
    assert reward == pytest.approx(math.cos(math.pi / 2 + 0.108), abs=1e-12) and not terminated
    # upright moving at 10: v = 10 - 0.1 + 0 + 2 (the torque 5 is clipped to 2) = 11.9
    s, reward, _ = stepped_from("rl_envs/SwingPendulum-v0", [0.0, 10.0], [5.0])
    assert s[1] == pytest.approx(11.9, abs=1e-12) and reward == pytest.approx(math.cos(0.119), abs=1e-12)


def test_pendulum_wraps_the_angle_and_caps_the_speed():
    s, _, _ = stepped_from("rl_envs/SwingPendulum-v0", [3.1, 78.0], [2.0])
    assert s[1] == pytest.approx(math.pi / 4 / 0.01, abs=1e-12)  # capped at 78.54
    assert s[0] == pytest.approx(3.1 + math.pi / 4 - 2 * math.pi, abs=1e-12)


def test_pendulum_starts_and_never_terminates():
    fixed = gym.make("rl_envs/SwingPendulum-v0", start="fixed", max_steps=50)
    assert np.array_equal(fixed.reset(seed=0)[0], np.float32([math.pi / 2, 0.0]))
    for t in range(50):
        _, _, terminated, truncated, _ = fixed.step(np.zeros(1, dtype=np.float32))
        assert not terminated and truncated == (t == 49)
    env = gym.make("rl_envs/SwingPendulum-v0")
    thetas = np.array([env.reset(seed=i)[0][0] for i in range(300)])
    assert thetas.min() < -2.8 and thetas.max() > 2.8


# -- shared ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        ("rl_envs/PuddleWorld-v0", {"variant": "boyan-moore"}),
        ("rl_envs/PuddleWorld-v0", {"variant": "boyan-moore", "actions": "discrete", "max_steps": 20}),
        ("rl_envs/MountainCarRLPark-v0", {"max_steps": 30}),
        ("rl_envs/SwingPendulum-v0", {"max_steps": 30}),
    ],
)
def test_vector_env_of_one_is_the_single_env_bit_for_bit(env_id, kwargs):
    env = gym.make(env_id, **kwargs)
    venv = gym.make_vec(env_id, num_envs=1, vectorization_mode="vector_entry_point", **kwargs)
    obs, _ = env.reset(seed=11)
    vobs, _ = venv.reset(seed=11)
    assert data_equivalence(vobs[0], obs, exact=True)
    env.action_space.seed(11)
    restart = False
    for _ in range(100):
        action = env.action_space.sample()
        v = venv.step(np.asarray(action)[None])
        if restart:
            obs, _ = env.reset()
            restart = False
        else:
            obs, r, term, trunc, _ = env.step(action)
            assert (v[1][0], v[2][0], v[3][0]) == (r, term, trunc)
            restart = term or trunc
        assert data_equivalence(v[0][0], obs, exact=True)


@pytest.mark.parametrize(
    "env_id, kwargs",
    [
        ("rl_envs/PuddleWorld-v0", {"max_steps": 15}),
        ("rl_envs/PuddleWorld-v0", {"variant": "boyan-moore", "max_steps": 15}),
        ("rl_envs/MountainCarRLPark-v0", {"max_steps": 15}),
        ("rl_envs/SwingPendulum-v0", {"max_steps": 15}),
    ],
)
def test_a_seed_per_sub_env_makes_each_one_the_single_env_of_that_seed(env_id, kwargs):
    """reset(seed=[...]): sub-env i is, bit for bit and across autoresets, gym.make(...)
    reset with seeds[i] and given the same actions (many seeds' runs in one array program)."""
    seeds = [5, 17, 3]
    venv = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", **kwargs)
    envs = [gym.make(env_id, **kwargs) for _ in seeds]
    vobs, _ = venv.reset(seed=seeds)
    obs = [env.reset(seed=s)[0] for env, s in zip(envs, seeds)]
    assert data_equivalence(vobs, np.stack(obs), exact=True)
    venv.action_space.seed(0)
    restart = [False] * 3
    for _ in range(50):
        actions = venv.action_space.sample()
        v = venv.step(actions)
        for i, env in enumerate(envs):
            if restart[i]:
                obs[i], _ = env.reset()
                restart[i] = False
            else:
                obs[i], r, term, trunc, _ = env.step(actions[i])
                assert (v[1][i], v[2][i], v[3][i]) == (r, term, trunc)
                restart[i] = term or trunc
        assert data_equivalence(v[0], np.stack(obs), exact=True)
    twin = gym.make_vec(env_id, num_envs=3, vectorization_mode="vector_entry_point", **kwargs)
    assert data_equivalence(venv.reset(seed=11), twin.reset(seed=11), exact=True)  # an int: one stream for all
    actions = venv.action_space.sample()
    assert data_equivalence(venv.step(actions)[:4], twin.step(actions)[:4], exact=True)


@pytest.mark.parametrize("seed", [[1, 2], [1, 2, -3], [1, 2, 2.0], np.array([[1, 2, 3]])])
def test_bad_seed_lists_are_refused(seed):
    venv = gym.make_vec("rl_envs/SwingPendulum-v0", num_envs=3, vectorization_mode="vector_entry_point")
    with pytest.raises(ValueError, match="seed must be None, an int or a list of 3 non-negative ints"):
        venv.reset(seed=seed)


def test_state_is_set_only_to_a_state():
    env = gym.make("rl_envs/SwingPendulum-v0").unwrapped
    with pytest.raises(ResetNeeded):
        env.state = [0.0, 0.0]
    env.reset(seed=0)
    for bad, message in [([0.0], "state must have shape"), ([0.0, np.nan], "state must be finite")]:
        with pytest.raises(ValueError, match=message):
            env.state = bad


def test_vector_env_sub_envs_move_independently():
    venv = gym.make_vec(
        "rl_envs/MountainCarRLPark-v0", num_envs=3, vectorization_mode="vector_entry_point", start="fixed"
    )
    venv.reset(seed=0)
    obs, reward, *_ = venv.step(np.array([[1.0], [0.0], [-1.0]], dtype=np.float32))
    assert obs[0, 1] > obs[1, 1] > obs[2, 1] and np.array_equal(reward, [-1.0, -1.0, -1.0])


@pytest.mark.parametrize(
    "env_id, kwargs, message",
    [
        ("rl_envs/PuddleWorld-v0", {"variant": "sutton"}, "variant must be one of"),
        ("rl_envs/PuddleWorld-v0", {"actions": "box"}, "actions must be one of"),
        ("rl_envs/PuddleWorld-v0", {"noise": -0.1}, "noise must be"),
        ("rl_envs/PuddleWorld-v0", {"max_steps": 0}, "max_steps must be a positive int"),
        ("rl_envs/MountainCarRLPark-v0", {"start": "left"}, "start must be one of"),
        ("rl_envs/MountainCarRLPark-v0", {"goal_reward": 1.0}, "goal_reward must be a real number <= 0"),
        ("rl_envs/MountainCarRLPark-v0", {"goal_reward": "RLPark"}, "goal_reward must be a real number"),
        ("rl_envs/SwingPendulum-v0", {"start": None}, "start must be one of"),
        ("rl_envs/SwingPendulum-v0", {"max_steps": 2.5}, "max_steps must be a positive int"),
    ],
)
def test_bad_arguments_name_the_argument(env_id, kwargs, message):
    with pytest.raises(ValueError, match=message):
        gym.make(env_id, **kwargs)
