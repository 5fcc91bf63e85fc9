"""The maximum occupancy principle (Ramírez-Ruiz, Grytskyy, Mastrogiuseppe, Habib & Moreno-Bote 2024,
Nature Communications 15:6368) by exact value iteration, and the paper's reward-seeking agent,
against exact references: an absorbing state, a regular graph, stay-or-die, path counting, the
four-room grid's values, soft value iteration, the epsilon-greedy policy's own value; then short
versions of the paper's behaviour (the long ones are in benchmarks/bench_mop.py)."""

import math

import numpy as np
import gymnasium as gym
import pytest
from scipy.sparse import identity
from scipy.sparse.linalg import spsolve

from baselines.intrinsic import (
    MOP,
    RewardSeeking,
    epsilon_soft_value_iteration,
    expected_survival,
    mop_backup,
    mop_policy,
    mop_value_iteration,
    paper_fraction,
    run_episodes,
)
from baselines.tabular.exact import soft_value_iteration
from rl_envs.food_grid import ACTION_NAMES, MOVES, N_FREE, SuccessorModel
from rl_envs.maze.solve import MDPModel


def model_of(successors, terminal=None, reward=None):
    """A SuccessorModel from ``successors[s][a]`` (lists of equiprobable states; a state's actions
    are those listed), with reward 0 unless ``reward[s, a]``."""
    S, A = len(successors), max(len(row) for row in successors)
    K = max(len(out) for row in successors for out in row)
    next_state = np.zeros((S, A, K), dtype=np.int64)
    prob = np.zeros((S, A, K))
    for s, row in enumerate(successors):
        for a, out in enumerate(row):
            next_state[s, a, : len(out)] = out
            prob[s, a, : len(out)] = 1 / len(out)
    admissible = np.array([[a < len(row) for a in range(A)] for row in successors])
    terminal = np.zeros(S, dtype=bool) if terminal is None else terminal
    reward = np.zeros((S, A)) if reward is None else np.asarray(reward, dtype=float)
    return SuccessorModel(next_state, prob, reward, admissible, terminal, np.eye(S)[0])


# -- exact references -------------------------------------------------------------------------------


@pytest.mark.parametrize("alpha, beta, gamma", [(1.0, 0.0, 0.9), (0.3, 2.0, 0.99), (5.0, 0.5, 0.0)])
def test_an_absorbing_state_has_value_zero_and_its_one_action(alpha, beta, gamma):
    model = model_of([[[0]]])
    V, sweeps = mop_value_iteration(model, alpha, beta, gamma, tol=1e-12)
    assert V.tolist() == [0.0] and sweeps == 1
    assert mop_policy(model, V, alpha, beta, gamma).tolist() == [[1.0]]


def test_a_regular_graph_has_the_closed_form_value():
    """5 states, n = 3 actions each leading to k = 2 equiprobable successors:
    V = (alpha ln n + beta ln k) / (1 - gamma), the policy uniform."""
    S = 5
    model = model_of([[[(s + a + 1) % S, (s + a + 2) % S] for a in range(3)] for s in range(S)])
    V, _ = mop_value_iteration(model, alpha=1.0, beta=0.5, gamma=0.9, tol=1e-13)
    np.testing.assert_allclose(V, (math.log(3) + 0.5 * math.log(2)) / 0.1, rtol=0, atol=1e-11)
    np.testing.assert_allclose(V, 14.4518587895, atol=1e-10)
    np.testing.assert_allclose(mop_policy(model, V, 1.0, 0.5, 0.9), 1 / 3, atol=1e-15)
    deterministic = model_of([[[(s + a) % S] for a in range(3)] for s in range(S)])
    V, _ = mop_value_iteration(deterministic, alpha=1.0, beta=0.5, gamma=0.9, tol=1e-13)
    np.testing.assert_allclose(V, math.log(3) / 0.1, atol=1e-11)


@pytest.mark.parametrize("gamma, value, stay", [(0.9, 1.8022889667, 0.8350790427), (0.99, 3.3987174915, 0.9665839011)])
def test_stay_or_die(gamma, value, stay):
    """One living state with 'stay' and 'die', beside the absorbing dead state: V = ln(1 + e^(gamma V))."""
    model = model_of([[[0], [1]], [[1]]])
    V, _ = mop_value_iteration(model, gamma=gamma, tol=1e-13)
    assert V[1] == 0.0 and V[0] == pytest.approx(math.log(1 + math.exp(gamma * V[0])), abs=1e-11)
    assert V[0] == pytest.approx(value, abs=1e-9)
    assert mop_policy(model, V, 1.0, 0.0, gamma)[0, 0] == pytest.approx(stay, abs=1e-9)


def test_paths_are_counted_by_the_finite_horizon_values():
    """beta = 0, alpha = 1, gamma = 1, deterministic king moves (and stay) on a 3x3 grid: exp(V_T(s))
    is the number of action sequences of length T from s, counted one by one for T <= 6."""
    cells = [(x, y) for y in range(3) for x in range(3)]
    moves = [[(x + dx, y + dy) for dx, dy in MOVES if 0 <= x + dx < 3 and 0 <= y + dy < 3] for x, y in cells]
    model = model_of([[[cells.index(t)] for t in row] for row in moves])

    def sequences(cell, depth, counts):  # every sequence enumerated: counts[t] += 1 for each of length t
        counts[depth] += 1
        if depth < len(counts) - 1:
            for target in moves[cell]:
                sequences(cells.index(target), depth + 1, counts)

    V = np.zeros(9)
    brute = {}
    for s in range(9):
        brute[s] = np.zeros(7, dtype=np.int64)
        sequences(s, 0, brute[s])
    for T in range(1, 7):
        V = mop_backup(model, V, alpha=1.0, beta=0.0, gamma=1.0)
        np.testing.assert_allclose(np.exp(V), [brute[s][T] for s in range(9)], rtol=1e-12)
    assert brute[4][6] > brute[0][6] > 0  # the centre has more ways than a corner


@pytest.fixture(scope="module")
def grid():
    """The paper's grid (G = 10, cap = 100) and its MOP agent solved to 1e-9 (alpha = 1, beta = 0, gamma = 0.99)."""
    env = gym.make("rl_envs/FoodGrid-v0")
    return env.unwrapped.task, MOP(env, alpha=1.0, beta=0.0, gamma=0.99, tol=1e-9).learn()


@pytest.mark.parametrize(
    "state, value",
    [
        ((3, 3, 100), 197.988382),
        ((1, 1, 100), 196.607227),
        ((1, 1, 2), 188.704022),
        ((6, 3, 50), 193.334925),
        ((3, 3, 10), 187.867229),
    ],
)
def test_the_four_room_grids_values(grid, state, value):
    task, agent = grid
    assert agent.value(task.encode(*state)) == pytest.approx(value, abs=1e-6)


def test_the_four_room_grid_converges_in_the_stated_sweeps_and_dies_fast_from_energy_two(grid):
    task, agent = grid
    assert agent.sweeps == 2133
    # with u = 2 every move dies: each of the 9 branches contributes e^0
    assert (
        agent.value(task.encode(3, 3, 2)) == agent.value(task.encode(2, 2, 2)) == pytest.approx(math.log(9), abs=1e-12)
    )
    dead = task.encode(3, 3, 1)
    assert agent.value(dead) == 0.0 and agent.policy[dead].tolist() == [1.0] + [0.0] * 8


def test_the_policy_is_near_uniform_when_full_and_goal_directed_when_hungry(grid):
    task, agent = grid
    full = agent.policy[task.encode(3, 3, 100)]
    assert full.min() > 0.09 and full.max() < 0.14
    hungry = dict(zip(ACTION_NAMES, agent.policy[task.encode(3, 3, 5)]))
    assert hungry["down-left"] == pytest.approx(0.673, abs=5e-4) and hungry["stay"] == pytest.approx(0.066, abs=5e-4)
    assert hungry["left"] == hungry["down"] == pytest.approx(0.131, abs=5e-4)
    assert hungry["up"] < 1e-70 and hungry["right"] < 1e-70  # away from the food: death before eating


def test_the_authors_truncated_value_files_are_reproduced():
    """The authors' code stops at a loose tolerance; their stored values are these truncations."""
    env = gym.make("rl_envs/FoodGrid-v0")
    agent = MOP(env, tol=0.01).learn()
    assert agent.sweeps == 530 and agent.value(env.unwrapped.encode(3, 3, 100)) == pytest.approx(197.068211, abs=1e-6)
    small = gym.make("rl_envs/FoodGrid-v0", energy_cap=2, food_gain=2)
    corner = small.unwrapped.encode(1, 1, 2)
    truncated = MOP(small, gamma=0.9, tol=0.1).learn()
    assert truncated.sweeps == 6 and truncated.value(corner) == pytest.approx(3.872288407, abs=1e-9)
    # the fixed point: V = ln(e^(gamma V) + 2 * 6^gamma + 9^gamma) (stay on the food, or one step to
    # a border cell with 6 moves, or to (2, 2) with 9, all of which die next)
    V = MOP(small, gamma=0.9, tol=1e-13).learn().value(corner)
    assert V == pytest.approx(math.log(math.exp(0.9 * V) + 2 * 6**0.9 + 9**0.9), abs=1e-11)
    assert V == pytest.approx(3.964964836, abs=1e-9)


@pytest.mark.parametrize("alpha", [1.0, 0.5])
def test_mop_without_state_entropy_is_soft_value_iteration_with_zero_reward(alpha):
    """The project's soft value iteration (the fixed point of soft Q-learning) on the dense model with
    reward 0, and -inf for an inadmissible action (probability 0 under the Boltzmann policy)."""
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=4, food_gain=2)
    model = env.unwrapped.model
    S, A = model.admissible.shape
    P = np.zeros((S, A, S))
    np.add.at(P, (np.arange(S)[:, None, None], np.arange(A)[None, :, None], model.next_state), model.prob)
    dense = MDPModel(P, np.where(model.admissible, 0.0, -np.inf), model.terminal, model.start)
    soft, _ = soft_value_iteration(dense, temperature=alpha, gamma=0.9, tol=1e-12)
    agent = MOP(env, alpha=alpha, gamma=0.9, tol=1e-12).learn()
    np.testing.assert_allclose(agent.V, soft, rtol=0, atol=1e-9)
    assert agent.V.max() > 5  # not a trivial agreement


def test_state_entropy_draws_mop_into_the_noisy_tv_room():
    env = gym.make("rl_envs/FoodGrid-v0", tv_noise=1.0)
    task = env.unwrapped.task
    H = task.model.successor_entropy()
    tv, calm = task.encode(9, 3, 50), task.encode(3, 3, 50)
    assert H[tv].max() == pytest.approx(math.log(9)) and H[calm].max() == 0.0
    plain = MOP(env, gamma=0.9).learn()
    curious = MOP(env, beta=0.5, gamma=0.9).learn()
    door = task.encode(6, 3, 50)  # the doorway between the start room and the TV room
    towards = lambda agent: agent.policy[door, ACTION_NAMES.index("right")]  # noqa: E731
    assert towards(curious) > towards(plain)
    assert curious.value(tv) - curious.value(calm) > plain.value(tv) - plain.value(calm)


# -- the reward-seeking agent ---------------------------------------------------------------------


@pytest.mark.parametrize("epsilon", [0.0, 0.45, 1.0])
def test_the_epsilon_soft_backup_of_stay_or_die(epsilon):
    """+1 per step alive: Q(stay) = 1 + gamma V, Q(die) = 1, so V = 1 / (1 - gamma (1 - epsilon / 2))."""
    model = model_of([[[0], [1]], [[1]]], terminal=np.array([False, True]), reward=[[1.0, 1.0], [0.0, 0.0]])
    V, _ = epsilon_soft_value_iteration(model, epsilon, gamma=0.9, tol=1e-13)
    assert V[1] == 0.0 and V[0] == pytest.approx(1 / (1 - 0.9 * (1 - epsilon / 2)), abs=1e-10)


@pytest.mark.parametrize("epsilon", [0.0, 0.5, 1.0])
def test_the_reward_seeking_value_is_its_own_policys_value(epsilon):
    """V of the epsilon-soft iteration equals the epsilon-greedy policy's value by a linear solve."""
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=8, food_gain=3)
    model = env.unwrapped.model
    agent = RewardSeeking(env, epsilon=epsilon, gamma=0.95, tol=1e-12).learn()
    P = model.policy_matrix(agent.policy)
    r = (agent.policy * model.reward).sum(axis=1)
    exact = spsolve((identity(model.n_states) - 0.95 * P).tocsc(), r)
    np.testing.assert_allclose(agent.V, exact, rtol=0, atol=1e-8)
    assert np.all(agent.policy[model.admissible == 0] == 0)


@pytest.fixture(scope="module")
def seekers(grid):
    """The paper's greedy reward seeker (epsilon = 0) and random walker (epsilon = 1) on the grid."""
    env = grid[1].env
    return RewardSeeking(env, epsilon=0.0).learn(), RewardSeeking(env, epsilon=1.0).learn()


def test_the_greedy_agent_waits_then_eats_and_the_random_walker_is_uniform(grid, seekers):
    task, (greedy, walker) = grid[0], seekers
    assert greedy.value(task.encode(3, 3, 100)) == pytest.approx(100, abs=1e-6)  # 1 / (1 - gamma): it never dies
    assert ACTION_NAMES[greedy.mode[task.encode(3, 3, 100)]] == "stay"  # every action survives: the first
    assert ACTION_NAMES[greedy.mode[task.encode(3, 3, 4)]] == "down-left"  # the last moment to reach the food
    mask = task.action_mask(np.array([task.encode(1, 1, 50)]))[0]
    np.testing.assert_allclose(walker.policy[task.encode(1, 1, 50)], mask / mask.sum())


# -- the agents' interface ------------------------------------------------------------------------


def test_sampled_actions_follow_the_policy_and_are_admissible(grid):
    task, agent = grid
    s = task.encode(3, 3, 5)
    actions = agent.predict(np.full(20_000, s), deterministic=False)[0]
    np.testing.assert_allclose(np.bincount(actions, minlength=9) / 20_000, agent.policy[s], atol=0.015)
    assert ACTION_NAMES[agent.predict(s)[0]] == "down-left"
    corner = task.encode(1, 1, 60)
    drawn = agent.predict(np.full(2000, corner), deterministic=False)[0]
    assert set(drawn.tolist()) == set(np.flatnonzero(task.action_mask(np.array([corner]))[0]).tolist())


def test_bad_arguments_and_observations_are_refused():
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=5)
    for kwargs, name in (
        ({"alpha": 0}, "alpha"),
        ({"beta": -1}, "beta"),
        ({"gamma": 1.0}, "gamma"),
        ({"tol": "1e-9"}, "tol"),
        ({"alpha": True}, "alpha"),
    ):
        with pytest.raises(ValueError, match=rf"^{name} must be"):
            MOP(env, **kwargs)
    with pytest.raises(ValueError, match=r"^epsilon must be"):
        RewardSeeking(env, epsilon=1.5)
    agent = MOP(env)
    for bad in (-1, 121 * 5, 2.0, "3"):
        with pytest.raises(ValueError, match="observation must be state indices"):
            agent.value(bad)
    with pytest.raises(TypeError, match="plans on the env's model"):
        MOP(gym.make("rl_envs/GridMaze-v0"))
    with pytest.raises(TypeError, match="needs Discrete observations and actions"):
        RewardSeeking(gym.make("rl_envs/MountainCarRLPark-v0"))


def test_a_loaded_agent_predicts_but_cannot_plan_without_its_env(tmp_path):
    env = gym.make("rl_envs/FoodGrid-v0", energy_cap=6)
    agent = MOP(env, gamma=0.9).learn()
    agent.save(tmp_path / "mop")
    loaded = MOP.load(tmp_path / "mop")
    obs = np.arange(env.observation_space.n)
    np.testing.assert_array_equal(loaded.value(obs), agent.value(obs))
    with pytest.raises(RuntimeError, match="loaded without an env"):
        loaded.learn()


# -- behaviour (short versions; benchmarks/bench_mop.py runs the paper's 50 episodes of 50 000 steps) --


@pytest.fixture(scope="module")
def behaviour(grid, seekers):
    """G = 10: a few episodes of each agent, from (3, 3) with full energy."""
    (_, mop), (greedy, walker) = grid, seekers
    return {
        "MOP": run_episodes(mop, 4, 5000, seed=0),
        "greedy": run_episodes(greedy, 2, 2000, seed=0),
        "walker": run_episodes(walker, 40, 5000, seed=0),
    }


def test_mop_survives_and_occupies_the_arena(behaviour):
    mop = behaviour["MOP"]
    assert not mop.died.any() and (mop.survival == 5000).all()
    assert (mop.visited >= 0.9 * N_FREE).all()


def test_the_random_walker_dies_within_a_few_hundred_steps(behaviour, seekers):
    walker = behaviour["walker"]
    assert walker.died.all() and walker.survival.max() < 1000 and walker.survival.min() >= 99  # 100 energy to spend
    exact = expected_survival(seekers[1])  # the paper's 119.4 is a mean of 50 episodes
    assert exact == pytest.approx(123.5, abs=0.05)
    assert abs(walker.survival.mean() - exact) < 4 * walker.survival.std() / np.sqrt(len(walker.survival))


def test_the_expected_survival_of_a_walker_that_cannot_reach_food():
    # cap 3: two steps of energy and the nearest food two moves away: every walk dies on step 2
    assert expected_survival(
        RewardSeeking(gym.make("rl_envs/FoodGrid-v0", energy_cap=3), epsilon=1.0).learn()
    ) == pytest.approx(2.0, abs=1e-12)


def test_the_greedy_reward_seeker_visits_three_cells(behaviour):
    greedy = behaviour["greedy"]
    assert not greedy.died.any() and (greedy.visited == 3).all()  # (3, 3), (2, 2) and the food at (1, 1)
    np.testing.assert_allclose(paper_fraction(greedy), 2 / 103)  # the paper's 0.019
