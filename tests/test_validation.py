"""The shared checks of rl_envs.validation, through the places that use them."""

import re

import numpy as np
import gymnasium as gym
import pytest
from gymnasium.vector.utils import batch_space

import rl_envs  # noqa: F401
from baselines.linear import COPDACQ
from rl_envs.maze import get_layout, maze_model, value_iteration
from rl_envs.maze.pomdp import POMDPModel
from rl_envs.validation import as_box_action, clipped_box_action, symmetric_matrix


@pytest.mark.parametrize(
    "gamma, message",
    [(1.5, r"in \[0, 1\], got 1.5"), (True, "discount factor"), (float("nan"), "finite"), ("0.9", "discount factor")],
)
def test_every_gamma_is_one_check(gamma, message):
    model = maze_model(get_layout("book3x3"), 1.0, 0.0, 0.0)
    with pytest.raises(ValueError, match=f"gamma must be .*{message}"):
        value_iteration(model, gamma)
    with pytest.raises(ValueError, match=f"gamma must be .*{message}"):
        POMDPModel(np.ones((1, 1, 1)), np.ones((1, 1, 1)), np.zeros((1, 1, 1, 1)), np.ones(1), gamma)
    with pytest.raises(ValueError, match=f"gamma must be .*{message}"):
        COPDACQ(gym.make("rl_envs/QuadraticBandit-v0"), actor="mlp", critic="mlp", gamma=gamma)


def test_symmetric_matrix_separates_definite_from_semidefinite():
    singular = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert symmetric_matrix(singular, "Q", definite=False) is singular
    with pytest.raises(ValueError, match="R must be positive definite, got smallest eigenvalue"):
        symmetric_matrix(singular, "R", definite=True)
    with pytest.raises(ValueError, match=r"C must be symmetric, got an array of dtype float64 and shape \(5, 5\)"):
        symmetric_matrix(np.triu(np.ones((5, 5))), "C", definite=True)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_box_action_with_one_non_finite_value_among_finite_ones_is_refused(bad):
    space = gym.spaces.Box(0.0, 1.0, (2, 3))
    action = np.full((2, 3), 1e300)  # finite, far out of range: clipped by the env, not refused
    assert np.array_equal(as_box_action(action, space), action)
    action[1, 2] = bad
    with pytest.raises(ValueError, match="must be finite"):
        as_box_action(action, space)


# -- baselines: agent hyperparameters and configurations use the same checks ------------------------

# (agent, environment id and keyword arguments, argument): one of each kind of numeric argument the agents check.
AGENT_ARGUMENTS = [
    ("QLearning", "rl_envs/GridMaze-v0", "alpha"),  # a step size in (0, 1]
    ("QLearning", "rl_envs/GridMaze-v0", "epsilon"),  # the constant of a schedule
    ("QLearning", "rl_envs/GridMaze-v0", "gamma"),
    ("SoftQLearning", "rl_envs/GridMaze-v0", "temperature"),  # positive
    ("MonteCarlo", "rl_envs/GridMaze-v0", "alpha"),  # None or a step size
    ("ActorCritic", "rl_envs/GridMaze-v0", "alpha_theta"),
    ("Reinforce", "rl_envs/GridMaze-v0", "rms_decay"),  # in (0, 1)
    ("COPDACB", "rl_envs/QuadraticBandit-v0", "alpha_theta"),
    ("COPDACQ", "rl_envs/QuadraticBandit-v0", "sigma"),  # non-negative
    ("LinearReinforce", "rl_envs/LQControl-v0", "eta"),
    ("ContinuousTimeActorCritic", ("rl_envs/LQControl-v0", {"dt": 0.1}), "actor_delay"),  # a non-negative int
    ("TileOffPAC", "rl_envs/SwingPendulum-v0", "alpha_v"),
    ("Perseus", "rl_envs/PartiallyObservableMaze-v0", "n_beliefs"),  # a positive int
    ("ValueGradientPolicy", "rl_envs/PendulumSwingUp-v0", "n_per_dim"),  # an int >= 2
]


@pytest.mark.parametrize("bad", [True, "0.5"])
@pytest.mark.parametrize("agent, env, argument", AGENT_ARGUMENTS)
def test_an_agent_refuses_a_bool_or_a_string_for_a_number(agent, env, argument, bad):
    from baselines.registry import AGENTS

    env_id, env_kwargs = env if isinstance(env, tuple) else (env, {})
    rejected = rf"{re.escape(repr(bad))} \({type(bad).__name__}\)"  # the value and its type, as rl_envs.validation says
    with pytest.raises(ValueError, match=rf"^{argument} must be .*, got {rejected}"):
        AGENTS[agent](gym.make(env_id, **env_kwargs), **{argument: bad})


def test_the_rmsprop_decay_rate_is_open_at_both_ends():
    from baselines.rmsprop import decay_rate

    assert decay_rate(0.999, "rms_decay") == 0.999
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match=r"rms_decay must be a decay rate in \(0, 1"):
            decay_rate(bad, "rms_decay")


@pytest.mark.parametrize("bad", [True, "0.5"])
@pytest.mark.parametrize("key", ["steps", "eval_episodes", "seeds", "eval_at"])
def test_a_comparison_refuses_a_bool_or_a_string_for_a_number(key, bad):
    from baselines import compare as cmp

    run = {"env": "rl_envs/GridMaze-v0", "steps": 100, "seeds": [0], "eval_episodes": 1, "agents": ["QLearning"]}
    assert len(cmp.cells_from_config({"runs": [run]})) == 1
    value = [bad] if key in ("seeds", "eval_at") else bad
    with pytest.raises(cmp.ConfigError, match=rf"^runs\[0\]: {key} must be .*, got .*{re.escape(repr(bad))}"):
        cmp.cells_from_config({"runs": [{**run, key: value}]})


@pytest.mark.parametrize("bad", [True, "0.5"])
@pytest.mark.parametrize(
    "key, name",
    [
        ("budget", "budget"),
        ("search_seed", "search_seed"),
        ("cpus_per_trial", "cpus_per_trial"),
        ("tolerance", "metric.tolerance"),
        ("from", "metric.from"),
        ("loguniform", "space.alpha.loguniform's low"),
    ],
)
def test_a_sweep_refuses_a_bool_or_a_string_for_a_number(key, name, bad):
    from baselines import compare as cmp
    from baselines.sweep import sweep_from_config

    sweep = {
        "env": "rl_envs/GridMaze-v0",
        "env_kwargs": {"layout": "book3x3"},
        "agent": "QLearning",
        "steps": 100,
        "eval_at": [50],
        "tuning_seeds": [1000],
        "evaluation_seeds": [2],
        "search": "optuna",
        "metric": {"name": "final_return"},
        "space": {"alpha": {"loguniform": [0.1, 0.5]}},
    }
    assert sweep_from_config(sweep).space == {"alpha": ("loguniform", [0.1, 0.5])}
    if key in ("tolerance", "from"):
        sweep["metric"] = {**sweep["metric"], key: bad}
    elif key == "loguniform":
        sweep["space"] = {"alpha": {"loguniform": [bad, 0.5]}}
    else:
        sweep[key] = bad
    with pytest.raises(cmp.ConfigError, match=rf"^{re.escape(name)} must be .*, got {re.escape(repr(bad))}"):
        sweep_from_config(sweep)


@pytest.mark.parametrize("bad", [np.zeros((3, 1)), np.zeros((2, 2)), "1", np.array([[0.0, np.nan]] * 3)])
def test_actions_of_num_envs_are_checked_as_against_the_batch_space(bad):
    """``as_box_action(a, space, num_envs)`` accepts and refuses what ``as_box_action(a, batch)``
    does, with the same message, without the batch's Box unless it raises."""
    space = gym.spaces.Box(np.float32([-1.0, 0.0]), np.float32([1.0, 2.0]))
    good = np.array([[0.5, 3.0], [-2.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(as_box_action(good, space, 3), as_box_action(good, batch_space(space, 3)))
    np.testing.assert_array_equal(clipped_box_action(good, space, 3), [[0.5, 2.0], [-1.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(clipped_box_action(good[0], space), [[0.5, 2.0]])  # one env: a batch of one
    with pytest.raises(ValueError) as expected:
        as_box_action(bad, batch_space(space, 3))
    with pytest.raises(ValueError, match=r"(?s)an action of Box\(.*\(3, 2\), float32\)") as got:
        as_box_action(bad, space, 3)
    assert str(got.value) == str(expected.value)
