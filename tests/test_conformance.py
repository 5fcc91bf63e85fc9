"""One suite over every environment registered in the ``rl_envs/`` namespace.

A new environment is covered by registering it.  Warnings the checkers may raise for an
environment must be documented here, next to the reason.
"""

import contextlib
import inspect
import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
import gymnasium as gym
from gymnasium.envs.registration import load_env_creator
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env as gym_check_env, data_equivalence
from gymnasium.vector.utils import concatenate, create_empty_array

import rl_envs

ENV_IDS = sorted(env_id for env_id in gym.registry if env_id.startswith("rl_envs/"))

# env id -> substrings of checker warnings that the environment documents (with the reason).
DOCUMENTED_WARNINGS: dict[str, tuple[str, ...]] = {
    # Actions are in the paper's units (a* = [4, ..., 4]); a [-1, 1] box would not hold a*.
    "rl_envs/QuadraticBandit-v0": ("symmetric and normalized",),
    # The action is the physical control u in [-u_max, u_max]; normalising it would change
    # the meaning of R and of the Riccati gain the environment reports.
    "rl_envs/LQControl-v0": ("symmetric and normalized",),
    # Muscle activations are in [0, 1] as in the original simulator and the DPG paper's
    # sigmoid actor (SB3 recommends [-1, 1]; Gymnasium accepts [0, 1]).
    "rl_envs/OctopusArm-v0": ("symmetric and normalized",),
    # The torque is in Doya's (2000) units, |u| <= 5; the agents squash into that range themselves.
    "rl_envs/PendulumSwingUp-v0": ("symmetric and normalized",),
    # Moves of at most 0.05 and torques of at most 2, the tasks' own units (Silver et al. 2014,
    # §5.2, cap actions to these ranges); the mountain car's throttle is already [-1, 1].
    "rl_envs/PuddleWorld-v0": ("symmetric and normalized",),
    "rl_envs/SwingPendulum-v0": ("symmetric and normalized",),
}


@contextlib.contextmanager
def _checker_warnings_are_errors(env_id):
    """Any checker warning but the documented ones raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for allowed in DOCUMENTED_WARNINGS.get(env_id, ()):
            warnings.filterwarnings("ignore", message=f".*{re.escape(allowed)}")
        yield


def _rollout(env, seed, n_steps=50):
    """Seeded random-action rollout with resets; returns every returned value."""
    env.action_space.seed(seed)
    out = [env.reset(seed=seed)]
    for _ in range(n_steps):
        step = env.step(env.action_space.sample())
        out.append(step)
        if step[2] or step[3]:
            out.append(env.reset())
    return out


def test_every_registered_env_is_listed():
    assert set(ENV_IDS) == set(rl_envs.ENV_IDS)
    assert "rl_envs/GridMaze-v0" in ENV_IDS


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_gymnasium_check_env(env_id):
    env = gym.make(env_id)
    with _checker_warnings_are_errors(env_id):
        gym_check_env(env.unwrapped)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_sb3_check_env(env_id):
    sb3_checker = pytest.importorskip("stable_baselines3.common.env_checker")
    env = gym.make(env_id)
    with _checker_warnings_are_errors(env_id):
        sb3_checker.check_env(env.unwrapped, warn=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_passive_checker_is_silent(env_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(env_id)  # wraps in PassiveEnvChecker
        env.reset(seed=0)
        env.step(env.action_space.sample())
        env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_seeded_rollout_is_bit_identical(env_id):
    a = _rollout(gym.make(env_id), seed=0)
    b = _rollout(gym.make(env_id), seed=0)
    assert data_equivalence(a, b, exact=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_rewards_are_floats_and_flags_are_bools(env_id):
    env = gym.make(env_id)
    for item in _rollout(env, seed=1, n_steps=100):
        if len(item) == 5:
            _, reward, terminated, truncated, info = item
            assert type(reward) is float and np.isfinite(reward)
            assert type(terminated) is bool and type(truncated) is bool
            assert isinstance(info, dict)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_pickle_before_and_after_render(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=123)
    env.action_space.seed(123)
    if any(env.step(env.action_space.sample())[2:4]):  # the bandit's episodes are one step long
        env.reset()
    before = pickle.loads(pickle.dumps(env))
    env.render()
    after = pickle.loads(pickle.dumps(env))
    actions = [env.action_space.sample() for _ in range(5)]
    results = []
    for e in (env, before, after):
        steps = []
        for a in actions:
            steps.append(e.step(a))
            if steps[-1][2] or steps[-1][3]:
                break
        results.append(steps)
        assert e.render().ndim == 3
    assert data_equivalence(results[0], results[1], exact=True)
    assert data_equivalence(results[0], results[2], exact=True)
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_rgb_array_frames(env_id):
    env = gym.make(env_id, render_mode="rgb_array")
    env.reset(seed=0)
    frames = [env.render()]
    env.step(env.action_space.sample())
    frames.append(env.render())
    for frame in frames:
        assert isinstance(frame, np.ndarray) and frame.dtype == np.uint8
        assert frame.ndim == 3 and frame.shape[2] == 3 and min(frame.shape[:2]) >= 32
        assert frame.std() > 0  # something was drawn
    env.close()
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_human_mode_headless_without_audio(env_id):
    pygame = pytest.importorskip("pygame")
    env = gym.make(env_id, render_mode="human")
    env.reset(seed=0)
    for _ in range(3):
        step = env.step(env.action_space.sample())
        assert step is not None
        if step[2] or step[3]:
            env.reset()
    assert env.render() is None
    assert pygame.mixer.get_init() is None
    env.close()
    env.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_ansi_mode_if_declared(env_id):
    env = gym.make(env_id)
    if "ansi" not in env.metadata["render_modes"]:
        pytest.skip("no ansi mode")
    env = gym.make(env_id, render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert isinstance(text, str) and text.strip()


def not_actions(space):
    """Values that are no action of ``space``: wrong types first, then wrong values and shapes."""
    if isinstance(space, gym.spaces.Discrete):
        return [space.start - 1, space.start + space.n, 1.5, np.float64(1.0), "1", "a", None, True,
                np.bool_(True), 1 + 0j, np.array([1]), object()]
    shape = space.shape
    return [None, "0.5", np.full(shape, "0.5"), np.full(shape, 0.5 + 1j), np.full(shape, 0.5 + 0j),
            np.ones(shape, dtype=bool), object(), np.full(shape, np.nan, dtype=space.dtype),
            np.full(shape, np.inf), np.zeros((*shape, 2), dtype=space.dtype)]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_invalid_actions(env_id):
    """Every invalid action is a ValueError naming the action space; a numpy warning (the
    ComplexWarning of a complex action) fails the test, since it would mean a silent cast."""
    env = gym.make(env_id)
    env.reset(seed=0)
    space = env.action_space
    assert isinstance(space, (gym.spaces.Discrete, gym.spaces.Box)), f"no invalid-action check for {space}"
    for bad in not_actions(space):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError, match=rf"{type(space).__name__}\("):
                env.unwrapped.step(bad)
    if isinstance(space, gym.spaces.Box):
        policy = env.unwrapped.action_out_of_range
        assert policy in ("clip", "raise"), "Box envs document out-of-range actions as 'clip' or 'raise'"
        outside = space.high + 1.0
        if policy == "raise":
            with pytest.raises(ValueError):
                env.step(outside)
        else:
            twin = gym.make(env_id)
            env.reset(seed=5)
            twin.reset(seed=5)
            assert data_equivalence(env.step(outside), twin.step(space.high.copy()), exact=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_close_twice_without_render(env_id):
    env = gym.make(env_id)
    env.close()
    env.close()


@pytest.mark.parametrize("mode", ["sync", None], ids=["sync", "default"])  # default: native where registered
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_vector_env(env_id, mode):
    n = 3
    venv = gym.make_vec(env_id, num_envs=n, vectorization_mode=mode)
    obs, infos = venv.reset(seed=7)
    assert obs in venv.observation_space
    venv.action_space.seed(7)
    for _ in range(30):
        obs, rew, term, trunc, infos = venv.step(venv.action_space.sample())
        assert obs in venv.observation_space
        assert rew.shape == (n,) and np.issubdtype(rew.dtype, np.floating)
        assert term.dtype == bool and trunc.dtype == bool
    venv.close()


def batch_of_one(space, item):
    """``item`` as the native vector env returns it for one env (e.g. an int -> an int64 array)."""
    return concatenate(space, [item], create_empty_array(space, n=1))


@pytest.mark.parametrize("env_id", [e for e in ENV_IDS if gym.spec(e).vector_entry_point is not None])
def test_native_vector_env_matches_single_env(env_id):
    venv = gym.make_vec(env_id, num_envs=1, vectorization_mode="vector_entry_point")
    env = gym.make(env_id)
    space = env.observation_space
    venv_obs, _ = venv.reset(seed=3)
    obs, _ = env.reset(seed=3)
    assert data_equivalence(venv_obs, batch_of_one(space, obs), exact=True)
    env.action_space.seed(3)
    needs_reset = False
    for _ in range(100):
        action = env.action_space.sample()
        v = venv.step(np.asarray(action)[None])
        if needs_reset:  # next-step autoreset
            obs, _ = env.reset()
            needs_reset = False
            assert data_equivalence(v[0], batch_of_one(space, obs), exact=True)
            continue
        obs, r, term, trunc, _ = env.step(action)
        assert data_equivalence(v[0], batch_of_one(space, obs), exact=True)
        assert v[1][0] == r and v[2][0] == term and v[3][0] == trunc
        needs_reset = term or trunc


NATIVE_VECTOR = [e for e in ENV_IDS if gym.spec(e).vector_entry_point is not None]


def native_vec(env_id, n=3, **kw):
    return gym.make_vec(env_id, num_envs=n, vectorization_mode="vector_entry_point", **kw)


def vector_rollout(venv, seed, steps=40):
    venv.action_space.seed(seed)
    out = [venv.reset(seed=seed)[0]]
    for _ in range(steps):
        out.extend(venv.step(venv.action_space.sample())[:4])
    return out


@pytest.mark.parametrize("env_id", NATIVE_VECTOR)
def test_native_vector_env_is_deterministic_under_a_seed_and_pickles(env_id):
    a, b = vector_rollout(native_vec(env_id), 4), vector_rollout(native_vec(env_id), 4)
    assert all(data_equivalence(x, y, exact=True) for x, y in zip(a, b))
    venv = native_vec(env_id)
    vector_rollout(venv, 5, steps=10)
    twin = pickle.loads(pickle.dumps(venv))
    venv.action_space.seed(6)
    actions = [venv.action_space.sample() for _ in range(20)]
    for action in actions:
        assert all(data_equivalence(x, y, exact=True) for x, y in zip(venv.step(action)[:4], twin.step(action)[:4]))


@pytest.mark.parametrize("env_id", NATIVE_VECTOR)
def test_native_vector_env_takes_num_envs_then_the_single_envs_arguments(env_id):
    """The task's arguments and defaults are written once (rl_envs.core): the vector env's
    signature is ``num_envs``, the single env's arguments, then ``autoreset_mode`` and
    ``max_episode_steps`` before ``render_mode``; and a step before reset is refused."""
    single, vector = (load_env_creator(ep) for ep in (gym.spec(env_id).entry_point, gym.spec(env_id).vector_entry_point))
    first, *rest = inspect.signature(vector).parameters.values()
    *task_arguments, render_mode = inspect.signature(single).parameters.values()
    assert first.name == "num_envs" and render_mode.name == "render_mode"
    assert [p.name for p in rest[-3:]] == ["autoreset_mode", "max_episode_steps", "render_mode"]
    assert rest[:-3] == task_arguments
    venv = native_vec(env_id)
    with pytest.raises(ResetNeeded):
        venv.step(venv.action_space.sample())


@pytest.mark.parametrize("env_id", NATIVE_VECTOR)
def test_native_vector_env_rejects_invalid_actions(env_id):
    """The batched version of every invalid single action (and a batch of the wrong length)
    is a ValueError, raised before any sub-environment moves."""
    venv = native_vec(env_id)
    venv.reset(seed=0)
    single = venv.single_action_space
    batches = [np.stack([np.asarray(bad)] * venv.num_envs) for bad in not_actions(single)]
    batches.append(venv.action_space.sample()[:-1])
    twin = native_vec(env_id)
    twin.reset(seed=0)
    for bad in batches:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(ValueError):
                venv.step(bad)
    venv.action_space.seed(1)
    action = venv.action_space.sample()
    assert all(data_equivalence(x, y, exact=True) for x, y in zip(venv.step(action)[:4], twin.step(action)[:4]))


@pytest.mark.parametrize("env_id", NATIVE_VECTOR)
def test_native_vector_env_renders_a_frame_per_env(env_id):
    venv = native_vec(env_id, n=2, render_mode="rgb_array")
    venv.reset(seed=0)
    venv.step(venv.action_space.sample())
    frames = venv.render()
    assert isinstance(frames, tuple) and len(frames) == 2
    for frame in frames:
        assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3 and frame.std() > 0
    twin = pickle.loads(pickle.dumps(venv))  # the pygame surface is not pickled
    assert all(np.array_equal(x, y) for x, y in zip(twin.render(), frames))
    venv.close()
    venv.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_docstring_sections(env_id):
    doc = type(gym.make(env_id).unwrapped).__doc__ or ""
    for section in ("Action Space", "Observation Space", "Rewards", "Starting State", "Episode End", "Arguments"):
        assert f"## {section}" in doc, f"{env_id} docstring lacks a '## {section}' section"


def test_make_without_prior_import():
    code = "import gymnasium as gym; env = gym.make('rl_envs:rl_envs/GridMaze-v0'); print(env.reset(seed=0)[0])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"


@pytest.mark.parametrize("env_id", NATIVE_VECTOR)
def test_native_vector_env_partial_reset(env_id):
    """``reset(options={"reset_mask": mask})`` (Gymnasium's partial reset) restarts the masked
    sub-envs and leaves the others as they are; a malformed mask or a seed is refused."""
    venv = native_vec(env_id)
    with pytest.raises(ResetNeeded):
        venv.reset(options={"reset_mask": np.ones(3, dtype=bool)})
    venv.reset(seed=0)
    venv.action_space.seed(0)
    obs = venv.step(venv.action_space.sample())[0]
    again, _ = venv.reset(options={"reset_mask": np.array([True, False, False])})
    assert data_equivalence(again[1:], obs[1:], exact=True)
    for bad in (np.ones(2, dtype=bool), np.ones(3)):
        with pytest.raises(ValueError, match="reset_mask"):
            venv.reset(options={"reset_mask": bad})
    with pytest.raises(ValueError, match="takes no seed"):
        venv.reset(seed=1, options={"reset_mask": np.ones(3, dtype=bool)})
