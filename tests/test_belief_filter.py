"""One Bayes filter: the env's rendered belief, ``BeliefState``, a belief agent's ``predict``
state and ``OnBeliefs`` (a policy over beliefs run on observations) agree on the same trajectory,
across episode ends, single and batched."""

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines.belief import QMDP, OnBeliefs
from rl_envs.maze.po_maze import PartiallyObservableMazeVectorEnv
from rl_envs.maze.pomdp import belief_update, filter_belief
from rl_envs.wrappers import BeliefState

ID = "rl_envs/PartiallyObservableMaze-v0"


def test_env_wrapper_and_agent_track_the_same_belief_across_resets():
    # Two copies of one seeded env follow the same trajectory: the raw one shows the agent the
    # observations (and renders its own belief), the wrapped one turns them into beliefs.
    raw = gym.make(ID, layout="hallway", max_steps=6, render_mode="rgb_array")
    wrapped = BeliefState(gym.make(ID, layout="hallway", max_steps=6))
    model = raw.unwrapped.episode_model
    agent = QMDP(raw).learn()
    obs, info = raw.reset(seed=5)
    _, info_w = wrapped.reset(seed=5)
    state, expected, episodes = None, model.b0, 1
    for _ in range(20):
        assert info["state"] == info_w["state"]
        action, state = agent.predict(obs, state)
        for belief in (raw.unwrapped.belief, wrapped.belief, state[0][0]):
            np.testing.assert_allclose(belief, expected, rtol=0, atol=1e-12)
        obs, _, terminated, truncated, info = raw.step(action)
        *_, info_w = wrapped.step(action)
        expected = belief_update(expected, action, obs, model.T, model.O)
        if terminated or truncated:
            obs, info = raw.reset()
            _, info_w = wrapped.reset()
            expected, episodes = model.b0, episodes + 1
    assert episodes >= 3  # the reset rule was exercised


def test_vector_env_and_batched_agent_track_the_same_beliefs_across_autoresets():
    venv = PartiallyObservableMazeVectorEnv(3, "hallway", max_steps=4, render_mode="rgb_array")
    agent = QMDP(gym.make(ID, layout="hallway")).learn()
    obs, _ = venv.reset(seed=1)
    state, restarts = None, 0
    for _ in range(14):
        actions, state = agent.predict(obs, state)
        np.testing.assert_allclose(venv.belief, state[0], rtol=0, atol=1e-12)
        obs, *_ = venv.step(actions)
        restarts += int(np.sum(obs == venv.no_observation))
    assert restarts >= 6  # every agent restarted (next-step autoreset shows the symbol)


def test_the_no_observation_symbol_restarts_at_b0_whatever_the_prior():
    model = gym.make(ID, layout="cheese").unwrapped.episode_model
    prior = np.tile(np.eye(11)[2], (3, 1))
    post = filter_belief(prior, np.array([1, -1, 1]), np.array([4, model.n_obs, 4]), model)
    np.testing.assert_array_equal(post[1], model.b0)
    np.testing.assert_array_equal(post[[0, 2]], belief_update(prior[[0, 2]], 1, 4, model.T, model.O))
    np.testing.assert_array_equal(filter_belief(None, None, model.n_obs, model), model.b0)
    with pytest.raises(ValueError, match="prior belief"):
        filter_belief(None, None, np.array([model.n_obs, 4]), model)


class BeliefRecorder:
    """A policy over beliefs, as one trained on ``BeliefState`` is: a fixed linear preference per
    action (so the beliefs steer the trajectory), keeping every batch of beliefs it is shown."""

    def __init__(self, n_states: int, n_actions: int):
        self.W, self.seen = np.random.default_rng(0).standard_normal((n_states, n_actions)), []

    def predict(self, beliefs, state=None, episode_start=None, deterministic=True):
        self.seen.append(beliefs)
        return np.argmax(beliefs @ self.W, axis=-1), None


def test_on_beliefs_gives_a_belief_policy_the_filters_beliefs_across_autoresets():
    venv = PartiallyObservableMazeVectorEnv(3, "hallway", max_steps=4, render_mode="rgb_array")
    model = venv.unwrapped.episode_model
    policy = BeliefRecorder(model.n_states, model.n_actions)
    agent = OnBeliefs(policy, model)
    obs, _ = venv.reset(seed=1)
    state, restarts = None, 0
    for _ in range(14):
        actions, state = agent.predict(obs, state)
        np.testing.assert_allclose(venv.belief, state[0], rtol=0, atol=1e-12)
        # float32, as BeliefState's observation space holds them
        assert policy.seen[-1].dtype == np.float32 and np.array_equal(policy.seen[-1], state[0].astype(np.float32))
        obs, *_ = venv.step(actions)
        restarts += int(np.sum(obs == venv.no_observation))
    assert restarts >= 6
    # episode_start restarts a run's belief at b0 whatever it observed; the others are filtered
    prior, last = state
    _, state = agent.predict(obs, state, episode_start=np.array([False, True, False]))
    np.testing.assert_array_equal(state[0][1], model.b0)
    np.testing.assert_array_equal(state[0][[0, 2]], filter_belief(prior[[0, 2]], last[[0, 2]], obs[[0, 2]], model))
