"""The shared checks of rl_envs.validation, through the places that use them."""

import numpy as np
import pytest
import gymnasium as gym
from gymnasium.vector.utils import batch_space

import rl_envs  # noqa: F401
from baselines.linear import COPDACQ
from rl_envs.maze import get_layout, maze_model, value_iteration
from rl_envs.maze.pomdp import POMDPModel
from rl_envs.validation import as_box_action, clipped_box_action, symmetric_matrix


@pytest.mark.parametrize("gamma, message", [(1.5, r"in \[0, 1\], got 1.5"), (True, "discount factor"),
                                            (float("nan"), "finite"), ("0.9", "discount factor")])
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
