"""One suite over every environment registered in the ``rl_envs/`` namespace: the public checker
(:mod:`rl_envs.check`) runs each of its checks on each id, so a new environment is covered by
registering it.  Warnings the checkers may raise for an environment are documented on its task
(``documented_warnings``), next to the reason."""

import inspect
import subprocess
import sys

import gymnasium as gym
import pytest
from gymnasium.envs.registration import load_env_creator
from gymnasium.error import ResetNeeded

import rl_envs
from rl_envs.check import CHECKS, VECTOR_CHECKS, run_check, subject_of

ENV_IDS = sorted(env_id for env_id in gym.registry if env_id.startswith("rl_envs/"))
NATIVE_VECTOR = [e for e in ENV_IDS if gym.spec(e).vector_entry_point is not None]


def conformance_cases():
    for env_id in ENV_IDS:
        for check in [*CHECKS, *VECTOR_CHECKS]:
            yield pytest.param(env_id, check)


def test_every_registered_env_is_listed():
    assert set(ENV_IDS) == set(rl_envs.ENV_IDS)
    assert "rl_envs/GridMaze-v0" in ENV_IDS


@pytest.mark.parametrize("env_id, check", list(conformance_cases()))
def test_conforms(env_id, check):
    if check == "sb3_checker":  # the checker passes over it without SB3; the suite says it was not run
        pytest.importorskip("stable_baselines3")
    assert run_check(subject_of(env_id), check) == []


def native_vec(env_id, n=3, **kw):
    return gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kw)


@pytest.mark.parametrize("env_id", NATIVE_VECTOR)
def test_native_vector_env_takes_num_envs_then_the_single_envs_arguments(env_id):
    """The task's arguments and defaults are written once (rl_envs.core): the vector env's
    signature is ``num_envs``, the single env's arguments, then ``autoreset_mode`` and
    ``max_episode_steps`` before ``render_mode``; and a step before reset is refused."""
    single, vector = (
        load_env_creator(ep) for ep in (gym.spec(env_id).entry_point, gym.spec(env_id).vector_entry_point)
    )
    first, *rest = inspect.signature(vector).parameters.values()
    *task_arguments, render_mode = inspect.signature(single).parameters.values()
    assert first.name == "num_envs" and render_mode.name == "render_mode"
    assert [p.name for p in rest[-3:]] == ["autoreset_mode", "max_episode_steps", "render_mode"]
    assert rest[:-3] == task_arguments
    venv = native_vec(env_id)
    with pytest.raises(ResetNeeded):
        venv.step(venv.action_space.sample())


def test_make_without_prior_import():
    code = "import gymnasium as gym; env = gym.make('rl_envs:rl_envs/GridMaze-v0'); print(env.reset(seed=0)[0])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
