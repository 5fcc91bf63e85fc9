"""The agent protocol (baselines/agent.py's docstring) checked over every agent in the registry.

A new reference agent is covered by registering it in ``baselines.registry.AGENTS``; a new
family of agents also needs its environment in ``ENVS``.
"""

import math

import numpy as np
import gymnasium as gym
import pytest
from stable_baselines3.common.callbacks import (
    BaseCallback,
    CallbackList,
    EvalCallback,
    StopTrainingOnMaxEpisodes,
    StopTrainingOnRewardThreshold,
)
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.monitor import Monitor

from baselines.belief.base import BeliefAgent
from baselines.continuous_time import NGnetAgent
from baselines.distributional import DistributionalTD
from baselines.intrinsic import TabularPlanner
from baselines.linear.bandit_agent import BanditActorCritic
from baselines.linear.copdac_q import COPDACQ
from baselines.linear.linear_gain import LinearGainAgent
from baselines.linear.tile_actor_critic import TileActorCritic
from baselines.registry import AGENTS as REGISTRY
from baselines.sb3 import SB3Agent
from baselines.tabular.base import TabularAgent

# family -> (env id, env kwargs, steps per learn call): small, fast tasks whose episodes end within the budget.
ENVS = {
    TabularAgent: ("rl_envs/GridMaze-v0", {}, 600),
    BanditActorCritic: ("rl_envs/QuadraticBandit-v0", {"dim": 4}, 100),
    COPDACQ: ("rl_envs/QuadraticBandit-v0", {"dim": 4}, 100),
    LinearGainAgent: ("rl_envs/LQControl-v0", {"max_steps": 50}, 200),
    TileActorCritic: ("rl_envs/MountainCarRLPark-v0", {"max_steps": 50}, 100),
    BeliefAgent: ("rl_envs/PartiallyObservableMaze-v0", {"layout": "cheese"}, 100),
    SB3Agent: ("rl_envs/GridMaze-v0", {}, 64),
    NGnetAgent: ("rl_envs/PendulumSwingUp-v0", {"max_steps": 50}, 100),
    DistributionalTD: ("rl_envs/VariableReward-v0", {"delay": 2}, 100),
    TabularPlanner: ("rl_envs/FoodGrid-v0", {"energy_cap": 8, "food_gain": 4, "max_steps": 60}, 100),
}
# Families that solve the env's model instead of interacting with it.
PLANNERS = (BeliefAgent, TabularPlanner)
# Arguments an agent needs on its family's env, or to stay fast there.
KWARGS = {
    "ContinuousTimeActorCritic": {"alpha_v": 1.0},  # alpha_v dt < 2 at LQControl's dt = 1
    "Perseus": {"n_beliefs": 50},
    **{name: {"table_size": 4096} for name in ("TileSAC", "TileOffPAC", "TileCOPDACQ")},  # small files to save and load
    "SB3Agent": {"algo": "ppo", "n_envs": 1, "n_steps": 32, "batch_size": 32, "n_epochs": 1},
}
AGENTS = {**REGISTRY, "SB3Agent": SB3Agent}


def setting(name):
    cls = AGENTS[name]
    family = next((klass for klass in cls.__mro__ if klass in ENVS), None)
    if family is None:
        pytest.fail(f"{name}: add its family ({' < '.join(k.__name__ for k in cls.__mro__[1:-1])}) to ENVS")
    env_id, env_kwargs, steps = ENVS[family]
    kind = "planner" if family in PLANNERS else "sb3" if family is SB3Agent else "interacting"
    return cls, env_id, env_kwargs, steps, kind


def make(name, seed=0):
    cls, env_id, env_kwargs, steps, kind = setting(name)
    agent = cls(gym.make(env_id, **env_kwargs), seed=seed, **KWARGS.get(name, {}))
    return agent, steps, kind


def eval_env(agent, name):
    _, env_id, env_kwargs, _, _ = setting(name)
    return agent.make_eval_env() if isinstance(agent, SB3Agent) else Monitor(gym.make(env_id, **env_kwargs))


def observations(name, n=3):
    """``n`` observations of a random-action run."""
    _, env_id, env_kwargs, _, _ = setting(name)
    env = gym.make(env_id, **env_kwargs)
    env.action_space.seed(0)
    obs = [env.reset(seed=0)[0]]
    while len(obs) < n:
        o, _, terminated, truncated, _ = env.step(env.action_space.sample())
        obs.append(env.reset()[0] if terminated or truncated else o)
    return np.stack(obs)


NAMES = sorted(AGENTS)


def test_every_registered_agent_is_checked():
    assert set(REGISTRY) < set(NAMES) and "SB3Agent" in NAMES
    for name in NAMES:
        setting(name)


@pytest.mark.parametrize("name", NAMES)
def test_learn_returns_the_agent_and_counts_its_steps(name):
    agent, steps, kind = make(name)
    assert agent.learn(steps) is agent
    if kind == "interacting":
        assert agent.num_timesteps == steps
        agent.learn(steps)  # continues the episode in progress
        assert agent.num_timesteps == 2 * steps
        assert (
            agent.episodes.end_steps == sorted(agent.episodes.end_steps) and agent.episodes.end_steps[-1] <= 2 * steps
        )
    elif kind == "sb3":  # whole rollouts of n_steps * n_envs
        assert agent.num_timesteps == math.ceil(steps / 32) * 32
    else:  # a planner takes no environment step, but checks the budget it leaves unused
        assert agent.num_timesteps == 0
    for bad in (-1, 2.5, "100", True):
        with pytest.raises(ValueError, match="total_timesteps must be"):
            agent.learn(bad)


@pytest.mark.parametrize("name", NAMES)
def test_a_function_callback_runs_after_every_episode_and_false_stops(name):
    agent, steps, kind = make(name)
    seen = []
    agent.learn(steps, callback=lambda a: seen.append((a.num_timesteps, len(a.episodes.returns))))
    if kind == "planner":
        assert seen == []
        return
    assert seen and seen == list(zip(agent.episodes.end_steps, range(1, len(seen) + 1)))
    agent, steps, _ = make(name)
    agent.learn(10 * steps, callback=lambda a: False)
    assert len(agent.episodes.end_steps) == 1 and agent.num_timesteps == agent.episodes.end_steps[0]


class Recorder(BaseCallback):
    """Every call SB3 makes to a callback, in order."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _init_callback(self):
        self.calls.append("init")

    def _on_training_start(self):
        self.calls.append("start")

    def _on_rollout_start(self):
        self.calls.append("rollout_start")

    def _on_step(self):
        assert {"actions", "new_obs", "rewards", "dones", "infos"} <= set(self.locals)
        assert len(self.locals["dones"]) == len(self.locals["infos"]) == self.training_env.num_envs
        self.calls.append("step")
        return True

    def _on_rollout_end(self):
        self.calls.append("rollout_end")

    def _on_training_end(self):
        self.calls.append("end")


@pytest.mark.parametrize("name", NAMES)
def test_sb3_callbacks_see_the_run_and_can_stop_it(name):
    agent, steps, kind = make(name)
    recorder = Recorder()
    agent.learn(10 * steps, callback=CallbackList([recorder, StopTrainingOnMaxEpisodes(max_episodes=2)]))
    calls = recorder.calls
    assert calls[:2] == ["init", "start"] and calls[-1] == "end"
    assert recorder.model is (agent.model if kind == "sb3" else agent)
    if kind == "planner":
        assert calls == ["init", "start", "end"]
        return
    assert calls.count("step") == recorder.num_timesteps == agent.num_timesteps
    # SB3 ends no rollout that on_step stopped; the reference agents end every rollout they start
    assert calls.count("rollout_start") - calls.count("rollout_end") == (kind == "sb3") and "rollout_start" in calls
    assert recorder.locals["total_timesteps"] == 10 * steps
    # stopped by StopTrainingOnMaxEpisodes at the step that ended the second episode
    assert len(agent.episodes.end_steps) == 2 and agent.num_timesteps == agent.episodes.end_steps[1]


@pytest.mark.parametrize("name", NAMES)
def test_eval_callback_evaluates_the_agent_and_stops_on_a_reward_threshold(name, tmp_path):
    agent, steps, kind = make(name)
    evaluation = EvalCallback(
        eval_env(agent, name),
        n_eval_episodes=2,
        eval_freq=steps // 2,
        log_path=str(tmp_path),
        callback_on_new_best=StopTrainingOnRewardThreshold(-np.inf),
        verbose=0,
        warn=False,
    )
    agent.learn(10 * steps, callback=evaluation)
    if kind == "planner":
        assert evaluation.evaluations_timesteps == []
        return
    assert evaluation.evaluations_timesteps == [agent.num_timesteps] == [steps // 2]
    assert np.isfinite(evaluation.last_mean_reward)
    assert np.load(tmp_path / "evaluations.npz")["results"].shape == (1, 2)


@pytest.mark.filterwarnings(
    "ignore::tqdm.TqdmExperimentalWarning"
)  # SB3's bar is tqdm.rich, which says it is experimental
@pytest.mark.parametrize("name", NAMES)
def test_progress_bar(name, capsys):
    agent, steps, kind = make(name)
    agent.learn(steps, progress_bar=True)
    if kind == "interacting":
        assert f"{steps}/{steps}" in capsys.readouterr().err


@pytest.mark.parametrize("name", NAMES)
def test_predict_shapes_state_and_determinism(name):
    agent, steps, _ = make(name)
    agent.learn(steps)
    obs = observations(name)
    space = agent.action_space
    action, state = agent.predict(obs[0])
    actions, state = agent.predict(obs)
    assert np.shape(action) == space.shape and np.shape(actions) == (len(obs), *space.shape)
    if isinstance(space, gym.spaces.Discrete):  # a linear controller's -K x may exceed the box, which the env clips
        assert space.contains(int(action)) and all(space.contains(int(a)) for a in actions)
    # the state goes back in, as evaluate_policy passes it, with episode_start marking new episodes
    again, _ = agent.predict(obs, state=state, episode_start=np.ones(len(obs), dtype=bool))
    np.testing.assert_array_equal(again, actions)
    if isinstance(agent, BeliefAgent):
        beliefs, last = state
        assert beliefs.shape[0] == len(obs) and np.allclose(beliefs.sum(axis=1), 1.0)
        np.testing.assert_array_equal(last, actions)
    else:
        assert state is None
    np.testing.assert_array_equal(agent.predict(obs, deterministic=True)[0], agent.predict(obs, deterministic=True)[0])
    sampled, _ = agent.predict(obs, deterministic=False)
    assert np.shape(sampled) == np.shape(actions)


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip_predicts_the_same(name, tmp_path):
    agent, steps, _ = make(name)
    agent.learn(steps)
    agent.save(tmp_path / "agent")
    loaded = type(agent).load(tmp_path / "agent")
    obs = observations(name)
    assert loaded.num_timesteps == agent.num_timesteps
    np.testing.assert_array_equal(loaded.predict(obs)[0], agent.predict(obs)[0])


@pytest.mark.parametrize("name", NAMES)
def test_sb3_evaluate_policy(name):
    agent, steps, _ = make(name)
    agent.learn(steps)
    mean, std = evaluate_policy(agent, eval_env(agent, name), n_eval_episodes=2)
    assert np.isfinite(mean) and np.isfinite(std)


def test_a_callback_of_another_kind_is_refused():
    agent, _, _ = make("QLearning")
    with pytest.raises(TypeError, match="callback must be None, a function callback\\(agent\\), an SB3 BaseCallback"):
        agent.learn(10, callback=42)
