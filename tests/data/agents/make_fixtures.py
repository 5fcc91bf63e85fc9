"""Write the agent-file fixtures that tests/test_agent_files.py loads: one small agent per family,
saved by the current code, and the actions each predicts, in expected.json.

Run it from the repository root (``python tests/data/agents/make_fixtures.py``) only when the
file format changes on purpose: the point of the fixtures is that files written by an earlier
release keep loading.
"""

import json
from pathlib import Path

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401
from baselines.belief import QMDP
from baselines.linear import LinearReinforce
from baselines.linear.settings import LQ_REINFORCE_IMPROVED
from baselines.sb3 import SB3Agent
from baselines.tabular import QLearning

HERE = Path(__file__).parent
PO_MAZE = dict(layout="book3x3", sensor_noise=0.0, start="layout")


def rollout(agent, env, seed: int, max_steps: int = 12) -> tuple[list, list]:
    """The observations and actions of one episode of ``agent`` (the belief filter's state threaded through)."""
    obs, _ = env.reset(seed=seed)
    state, observations, actions = None, [], []
    for _ in range(max_steps):
        action, state = agent.predict(obs, state)
        observations.append(int(obs))
        actions.append(int(action))
        obs, _, terminated, truncated, _ = env.step(action)
        if terminated or truncated:
            break
    return observations, actions


def main() -> None:
    expected = {}
    tabular = QLearning("rl_envs/GridMaze-v0", seed=0).learn(2_000)
    tabular.save(HERE / "q_learning.npz")
    obs = list(range(9))
    expected["q_learning.npz"] = {"observations": obs, "actions": tabular.predict(np.array(obs))[0].tolist()}

    linear = LinearReinforce("rl_envs/LQControl-v0", **LQ_REINFORCE_IMPROVED, seed=0).learn(2_000)
    linear.save(HERE / "linear_reinforce.npz")
    x = np.random.default_rng(0).normal(size=(5, 2)).round(3)
    expected["linear_reinforce.npz"] = {"observations": x.tolist(), "actions": linear.predict(x)[0].tolist()}

    env = gym.make("rl_envs/PartiallyObservableMaze-v0", **PO_MAZE)
    belief = QMDP(env).learn()
    belief.save(HERE / "qmdp.npz")
    seq, actions = rollout(belief, env, seed=0)
    expected["qmdp.npz"] = {"observations": seq, "actions": actions}

    sb3 = SB3Agent("rl_envs/GridMaze-v0", algo="ppo", seed=0, n_steps=64, n_envs=1).learn(128)
    sb3.save(HERE / "ppo")
    expected["ppo.zip"] = {"observations": obs, "actions": np.asarray(sb3.predict(np.array(obs))[0]).tolist()}

    (HERE / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")


if __name__ == "__main__":
    main()
