"""The reference records (``reference()``, issue 26) of GridMaze, QuadraticBandit, LQControl and the
octopus arm: each against a case worked by hand and against Monte Carlo of the real environment,
with a tolerance of four standard errors of the Monte Carlo mean (a chance of about 6e-5 that a
correct value fails; the seeds are fixed, so a run repeats)."""

import math

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from rl_envs.core import NoReference, Reference
from rl_envs.core.reference import UNIFORM_RANDOM
from rl_envs.lq import ZERO_CONTROL
from rl_envs.maze.solve import finite_horizon_values, policy_evaluation, value_iteration

MC_SIGMAS = 4.0


def first_episode_returns(venv, steps: int, act) -> tuple[np.ndarray, np.ndarray]:
    """Each sub-env's first episode return under ``act(rng_step)``, and whether it ended by termination."""
    n = venv.num_envs
    total, running, terminated_any = np.zeros(n), np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
    for t in range(steps):
        _, reward, terminated, truncated, _ = venv.step(act(t))
        total += np.where(running, reward, 0.0)
        terminated_any |= running & terminated
        running &= ~(terminated | truncated)
        if not running.any():
            break
    assert not running.any(), "an episode ran past the step budget"
    return total, terminated_any


def assert_mc_agrees(returns: np.ndarray, value: float) -> None:
    se = returns.std(ddof=1) / math.sqrt(len(returns))
    assert abs(returns.mean() - value) <= MC_SIGMAS * se, (returns.mean(), value, se)


# -- GridMaze ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("slip", [0.0, 0.3])
@pytest.mark.parametrize("max_steps", [1, 2, 7, 40])
def test_grid_maze_corridor_by_hand(slip, max_steps):
    """``SG``: from S, "right" reaches G with probability 1 - slip, "up" and "down" slip onto it
    with slip / 2 each, "left" never: a uniform action succeeds with p = 1/4 whatever the slip,
    the best one with p* = max(1 - slip, slip / 2).  A step costs c until G, which pays g, so an
    episode of at most N steps that succeeds with p per step returns (g - c/p)(1 - (1 - p)^N)."""
    g, c = 1.0, 0.01
    env = gym.make("rl_envs/GridMaze-v0", layout="SG", slip=slip, max_steps=max_steps, goal_reward=g, move_cost=c)
    ref = env.unwrapped.reference()

    def by_hand(p):
        return (g - c / p) * (1 - (1 - p) ** max_steps)

    assert ref.kind == "exact" and ref.lower == ref.value == ref.upper
    assert ref.value == pytest.approx(by_hand(max(1 - slip, slip / 2)), rel=1e-12)
    assert ref.random == pytest.approx(by_hand(0.25), rel=1e-12)
    assert ref.random_lower == ref.random == ref.random_upper and ref.gamma == 1.0


def test_grid_maze_optimum_is_the_shortest_path_and_matches_the_stationary_solutions():
    maze = gym.make("rl_envs/GridMaze-v0", layout="dyna_maze").unwrapped
    ref = maze.reference()
    assert ref.value == pytest.approx(maze.optimal_return()) == pytest.approx(1 - 0.01 * maze.shortest_path_length())
    # Long horizons: backward induction tends to the untruncated values of value iteration and
    # of the linear solve; dyna_maze's 1350 steps cut a random walk off in a fifth of its episodes.
    model = maze.model
    uniform = np.full((model.n_states, 4), 0.25)
    untruncated = float(model.start @ policy_evaluation(model, uniform))
    assert float(model.start @ finite_horizon_values(model, 100_000, uniform)) == pytest.approx(untruncated, rel=1e-9)
    assert ref.random > untruncated + 1.0
    assert np.allclose(finite_horizon_values(model, 10_000), value_iteration(model)[0], atol=1e-12)


def test_grid_maze_reference_against_monte_carlo_of_the_vector_env():
    venv = gym.make_vec(
        "rl_envs/GridMaze-v0", num_envs=4000, layout="dyna_maze", vectorization_mode="vector_entry_point"
    )
    ref = venv.unwrapped.reference()
    venv.reset(seed=1)
    rng = np.random.default_rng(2)
    returns, _ = first_episode_returns(venv, venv.unwrapped.max_steps, lambda t: rng.integers(4, size=4000))
    assert_mc_agrees(returns, ref.random)
    assert returns.max() <= ref.value + 1e-12


def test_grid_maze_vector_env_reference_follows_its_episode_limit():
    venv = gym.make_vec(
        "rl_envs/GridMaze-v0",
        num_envs=2,
        max_episode_steps=30,
        layout="dyna_maze",
        vectorization_mode="vector_entry_point",
    )
    assert (
        venv.unwrapped.reference()
        == gym.make("rl_envs/GridMaze-v0", layout="dyna_maze", max_steps=30).unwrapped.reference()
    )


# -- QuadraticBandit --------------------------------------------------------------------------------


def test_bandit_random_cost_by_hand():
    """m = 1, C = 2, a* = 3, b = 5: E[2 (a - 3)^2] for a uniform on [-5, 5] is
    (2 / 10) [(a - 3)^3 / 3] from -5 to 5 = 0.2 (2^3 + 8^3) / 3."""
    env = gym.make("rl_envs/QuadraticBandit-v0", dim=1, C=[[2.0]], a_star=[3.0], action_bound=5.0)
    ref = env.unwrapped.reference()
    assert ref.random == pytest.approx(-0.2 * (2**3 + 8**3) / 3, rel=1e-14)
    assert ref.kind == "exact" and ref.value == 0.0


def test_bandit_reference_against_monte_carlo_of_the_vector_env():
    n = 100_000
    venv = gym.make_vec(
        "rl_envs/QuadraticBandit-v0",
        num_envs=n,
        vectorization_mode="vector_entry_point",
        autoreset_mode=gym.vector.AutoresetMode.SAME_STEP,
    )
    venv.reset(seed=3)  # draws C
    ref = venv.unwrapped.reference()
    _, reward, terminated, _, _ = venv.step(np.random.default_rng(4).uniform(-20.0, 20.0, size=(n, 10)))
    assert terminated.all()
    assert_mc_agrees(reward, ref.random)
    # per problem: another seed's C gives another random value, the optimum stays 0
    venv.reset(seed=5)
    assert venv.unwrapped.reference().random != ref.random and venv.unwrapped.reference().value == 0.0


# -- LQControl --------------------------------------------------------------------------------------


def lq_by_hand(u_max: float = 3.0) -> gym.Env:
    """x' = 0.9 x + u, cost 2 x^2 + 0.5 u^2, x_0 = 1, no noise, two steps."""
    return gym.make(
        "rl_envs/LQControl-v0",
        A=[[0.9]],
        B=[[1.0]],
        Q=[[2.0]],
        R=[[0.5]],
        x0=[1.0],
        x0_cov=0.0,
        noise_cov=0.0,
        max_steps=2,
        u_max=u_max,
    )


def test_lq_random_cost_by_hand():
    """u uniform on [-3, 3] (variance 3): 2 + 0.5·3 + 2 (0.81 + 3) + 0.5·3 = 12.62."""
    assert lq_by_hand().unwrapped.random_cost() == pytest.approx(12.62, rel=1e-14)


@pytest.mark.parametrize("u_max", [3.0, 100.0])
def test_lq_reference_baseline_is_the_zero_control_by_hand(u_max):
    """u = 0: x_1 = 0.9, so the cost is 2·1 + 2·0.81 = 3.62 whatever the box (the uniform-random
    policy's, 12.62 in [-3, 3], is not the baseline)."""
    env = lq_by_hand(u_max)
    ref = env.unwrapped.reference()
    assert ref.random == ref.random_lower == ref.random_upper == pytest.approx(-3.62, rel=1e-14)
    assert ref.baseline == ZERO_CONTROL
    assert ref.value == -env.unwrapped.optimal_cost() and ref.kind == "exact"


@pytest.mark.parametrize("max_steps", [100, 200])
def test_lq_uniform_random_policy_would_leave_no_room_for_scores(max_steps):
    """Why LQ control's baseline is not the uniform-random policy (its reference() docstring): on
    the double integrator that policy costs 10^8 to 10^9 times the optimum, the zero control between."""
    lq = gym.make("rl_envs/LQControl-v0", max_steps=max_steps).unwrapped
    ref = lq.reference()
    assert 1e8 < lq.random_cost() / lq.optimal_cost() < 1e10
    assert lq.optimal_cost() < -ref.random < 1e-4 * lq.random_cost()


@pytest.mark.parametrize("kwargs", [{"max_steps": 100}, {"dt": 0.1, "max_steps": 50}])
def test_lq_reference_against_monte_carlo_of_the_vector_env(kwargs):
    """The reference's baseline against episodes of zero actions, and ``random_cost()`` against
    episodes of uniform ones, each in the real vector env."""
    n = 16_000  # the zero control's standard error: 1 % of its cost at 100 steps
    venv = gym.make_vec("rl_envs/LQControl-v0", num_envs=n, vectorization_mode="vector_entry_point", **kwargs)
    ref = venv.unwrapped.reference()
    steps = venv.unwrapped.max_steps
    venv.reset(seed=6)
    rng = np.random.default_rng(7)
    returns, diverged = first_episode_returns(venv, steps, lambda t: rng.uniform(-10, 10, (n, 1)))
    assert not diverged.any()  # the reference ignores the divergence bound: no episode reaches it here
    assert_mc_agrees(returns, -venv.unwrapped.random_cost())
    venv.reset(seed=8)
    returns, diverged = first_episode_returns(venv, steps, lambda t: np.zeros((n, 1)))
    assert not diverged.any()
    assert_mc_agrees(returns, ref.random)
    assert ref.baseline == ZERO_CONTROL and ref.random > -venv.unwrapped.random_cost()


# -- the octopus arm --------------------------------------------------------------------------------


def test_octopus_reference_is_best_known_under_its_certified_bound():
    from rl_envs.octopus.env import BEST_KNOWN_RETURN, HIT_REWARD

    env = gym.make("rl_envs/OctopusArm-v0")
    env.reset(seed=0)
    ref = env.unwrapped.reference()
    assert ref.kind == "best-known" and ref.value == ref.lower == BEST_KNOWN_RETURN
    assert ref.upper == HIT_REWARD + env.unwrapped.distance  # 50 + g d_0, g = 1
    assert ref.random_lower < ref.random < ref.random_upper < ref.value
    for kwargs in ({"target": "random"}, {"max_steps": 100}, {"n_compartments": 5}, {"distance_gain": 2.0}):
        with pytest.raises(NoReference, match="default task"):
            gym.make("rl_envs/OctopusArm-v0", **kwargs).unwrapped.reference()


def test_octopus_random_return_agrees_with_a_fresh_estimate():
    """An independent estimate (another seed, 640 episodes) agrees with the stored one within
    four standard errors of their difference."""
    from rl_envs.octopus.env import RANDOM_RETURN, OctopusArmTask, uniform_random_returns

    returns = uniform_random_returns(OctopusArmTask(), 640, seed=1)
    se = returns.std(ddof=1) / math.sqrt(len(returns))
    mean, stored_se = RANDOM_RETURN
    assert abs(returns.mean() - mean) <= MC_SIGMAS * math.hypot(se, stored_se)


@pytest.mark.slow
def test_octopus_random_return_is_what_its_measurement_gives():
    """The stored estimate is recomputed bit for bit (about 40 s)."""
    from rl_envs.octopus.env import RANDOM_EPISODES, RANDOM_RETURN, RANDOM_SEED, OctopusArmTask, uniform_random_returns

    returns = uniform_random_returns(OctopusArmTask(), RANDOM_EPISODES, RANDOM_SEED)
    assert (returns.mean(), returns.std(ddof=1) / math.sqrt(len(returns))) == RANDOM_RETURN


# -- the record -------------------------------------------------------------------------------------


def test_normalize_maps_random_to_0_and_the_reference_to_1_with_the_bounds_interval():
    exact = Reference("exact", 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, "q", 1.0, "m")
    assert exact.normalize(1.0) == (1.0, 1.0, 1.0) and exact.normalize(-1.0) == (0.0, 0.0, 0.0)
    bounds = Reference("bounds", 2.0, 1.0, 3.0, -1.0, -1.0, -1.0, "q", 1.0, "m")
    assert bounds.normalize(2.0) == pytest.approx((1.0, 0.75, 1.5))
    one_action = Reference("exact", 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, "q", 1.0, "m")  # every policy is optimal
    assert all(math.isnan(x) for x in one_action.normalize(5.0))


def test_a_record_names_its_baseline_policy():
    """The uniform-random policy unless given, by keyword (a record given by position keeps its
    fields' places), and a name is required."""
    plain = Reference("exact", 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, "q", 1.0, "m", "cited")
    assert plain.baseline == UNIFORM_RANDOM == "uniform random" and plain.citation == "cited"
    assert Reference("exact", 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, "q", 1.0, "m", baseline="u = 0").baseline == "u = 0"
    for bad in ("", "  ", None, 0.0):
        with pytest.raises(ValueError, match="baseline must name the baseline policy"):
            Reference("exact", 1.0, 1.0, 1.0, -1.0, -1.0, -1.0, "q", 1.0, "m", baseline=bad)
    with pytest.raises(ValueError, match=r"baseline policy's \(u = 0\) value 2.0 exceeds the optimum's upper bound"):
        Reference("exact", 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, "q", 1.0, "m", baseline="u = 0")
