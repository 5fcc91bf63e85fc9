import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines.tabular import QLearning, q_learning_update


def test_update_rule_by_hand():
    Q = np.array([[0.0, 1.0], [2.0, 4.0]])
    delta = q_learning_update(Q, 0, 0, r=0.5, s2=1, terminated=False, alpha=0.25, gamma=0.9)
    assert delta == pytest.approx(0.5 + 0.9 * 4.0 - 0.0)
    assert Q[0, 0] == pytest.approx(0.25 * delta)
    delta = q_learning_update(Q, 1, 1, r=-1.0, s2=0, terminated=True, alpha=0.5, gamma=0.9)
    assert delta == pytest.approx(-1.0 - 4.0) and Q[1, 1] == pytest.approx(4.0 + 0.5 * delta)


@pytest.mark.parametrize("layout, steps", [("book3x3", 3_000), ("dyna_maze", 20_000)])
def test_reaches_the_exact_optimum(layout, steps):
    from stable_baselines3.common.evaluation import evaluate_policy

    successes = 0
    for seed in range(5):
        env = gym.make("rl_envs/GridMaze-v0", layout=layout, move_cost=0.01)
        agent = QLearning(env, seed=seed, epsilon=(1.0, 0.05, steps // 2)).learn(steps)
        mean, _ = evaluate_policy(
            agent, gym.make("rl_envs/GridMaze-v0", layout=layout, move_cost=0.01), n_eval_episodes=1, warn=False
        )
        successes += mean == pytest.approx(env.unwrapped.optimal_return())
    assert successes >= 4  # at least 4 of 5 seeds greedy-optimal within the budget


def test_converges_to_q_star_on_book3x3():
    env = gym.make("rl_envs/GridMaze-v0", layout="book3x3", move_cost=0.05)
    # Off-policy: a uniformly random behaviour policy (epsilon = 1) still learns Q*.
    agent = QLearning(env, seed=0, alpha=0.3, epsilon=1.0).learn(50_000)
    _, Q_star = env.unwrapped.optimal_values()
    live = [0, 1, 2, 3, 4, 5, 6, 7]
    assert np.max(np.abs(agent.Q[live] - Q_star[live])) < 0.02


def test_interface_predict_save_load(tmp_path):
    env = gym.make("rl_envs/GridMaze-v0")
    agent = QLearning(env, seed=1).learn(2_000)
    a, state = agent.predict(0)
    assert isinstance(a, int) and state is None
    batch, _ = agent.predict(np.array([0, 3, 4]))
    assert batch.shape == (3,)
    agent.save(tmp_path / "q")
    loaded = QLearning.load(tmp_path / "q.npz")
    assert np.array_equal(loaded.Q, agent.Q) and loaded.num_timesteps == 2_000
    assert loaded.predict(np.arange(9))[0].tolist() == agent.predict(np.arange(9))[0].tolist()
    with pytest.raises(RuntimeError, match="loaded without an env"):
        loaded.learn(10)


def test_bad_use_is_rejected():
    with pytest.raises(TypeError, match="Discrete observation space"):
        QLearning(gym.make("CartPole-v1"))
    with pytest.raises(ValueError, match="alpha"):
        QLearning("rl_envs/GridMaze-v0", alpha=0.0)
    with pytest.raises(ValueError, match="epsilon"):
        QLearning("rl_envs/GridMaze-v0", epsilon="lots")
    agent = QLearning("rl_envs/GridMaze-v0")
    with pytest.raises(ValueError, match="out of range"):
        agent.predict(9)
    with pytest.raises(ValueError, match="integer"):
        agent.predict(0.5)


def test_save_rejects_callable_hyperparameters_and_load_checks_spaces(tmp_path):
    agent = QLearning("rl_envs/GridMaze-v0", epsilon=lambda t: 0.1)
    with pytest.raises(TypeError, match="not plain data"):
        agent.save(tmp_path / "q")
    agent = QLearning("rl_envs/GridMaze-v0").learn(100)
    agent.save(tmp_path / "q")
    again = QLearning.load(tmp_path / "q.npz", env="rl_envs/GridMaze-v0").learn(100)
    assert again.num_timesteps == 200
    with pytest.raises(ValueError, match="spaces differ"):
        QLearning.load(tmp_path / "q.npz", env=gym.make("rl_envs/GridMaze-v0", layout="maze10x10"))
