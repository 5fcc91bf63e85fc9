"""The conformance checker: does an environment keep the contract every ``rl_envs`` environment keeps?

    import rl_envs
    problems = rl_envs.check("rl_envs/GridMaze-v0")          # a registered id (and its native vector env)
    problems = rl_envs.check(GridMazeEnv(layout=my_layout))  # an env object: a user's maze, a .POMDP file
    problems = rl_envs.check(MyTask(...))                    # a task on rl_envs.core: its single and vector env

    python -m rl_envs.check rl_envs/GridMaze-v0 [--only NAME ...]

``check`` returns a list of readable sentences, one per problem, each starting with the name of the
check that found it; an empty list means the environment conforms.  It never raises for a
non-conforming environment (a crash inside the environment is reported as a problem).  The test
suite runs it on every registered id, so a new environment is checked by registering it.

What is checked (``CHECKS`` lists the names): Gymnasium's and Stable-Baselines3's environment
checkers (warnings that the task documents in ``documented_warnings`` excepted), the passive
checker, seeded determinism, the types of what ``step`` returns, pickling, every declared render
mode, the refusal of invalid actions (a ``ValueError`` naming the action space, no silent cast),
closing twice, the docstring's sections, unknown constructor arguments and ``reset`` options, the
reference record (``env.unwrapped.reference()``, a :class:`~rl_envs.core.Reference` with
``lower <= value <= upper`` and ``random <= upper``, the vector env's the same); and
for a vector env: that it reproduces the single env with ``num_envs=1``, determinism and pickling,
invalid batches, one frame per sub-env, partial reset, ``max_episode_steps``, and each of
Gymnasium's autoreset modes step by step against Gymnasium's own ``SyncVectorEnv`` of the single env.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import math
import pickle
import sys
import types
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import gymnasium as gym
from gymnasium.envs.registration import load_env_creator
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.vector import AutoresetMode, SyncVectorEnv
from gymnasium.vector.utils import concatenate, create_empty_array

from .core import Reference, SingleEnv, Task, VectorEnv
from .core.task import build_task

SECTIONS = ("Action Space", "Observation Space", "Rewards", "Starting State", "Episode End", "Arguments")
SHORT_EPISODE = 6  # steps: the autoreset comparison restarts sub-envs many times
SEEDS: list[int | None] = [11, 12, 13]
# Warnings about what Gymnasium's checker could not try on an env object, not about the env
CHECKER_LIMITS = ("Not able to test alternative render modes",)


class Problem(Exception):
    """A check's finding, as a sentence."""


@dataclass
class Subject:
    """What the checks need: fresh copies of the env (and of its vector env), made on demand."""

    name: str
    make: Callable[..., gym.Env]  # make(render_mode=None) -> a fresh single env
    make_vec: Callable[..., gym.vector.VectorEnv] | None = None  # make_vec(num_envs, **kw) -> a fresh vector env
    task: Task | None = None
    allowed_warnings: dict[str, str] = field(default_factory=dict)
    env_class: Callable[..., Any] | None = None  # the env class, or the id's entry point
    #: the render modes ``make`` may be asked for (an env object keeps the one it was made with)
    render_modes: list[str] | None = None

    def modes(self) -> list[str]:
        return self.make().metadata.get("render_modes", []) if self.render_modes is None else self.render_modes

    def vec(self, num_envs: int, **kw: Any) -> gym.vector.VectorEnv:
        """A fresh vector env (run_check runs the vector checks only on a subject that has one)."""
        if self.make_vec is None:
            raise Problem("there is no vector env to check")
        return self.make_vec(num_envs, **kw)


def subject_of(env_or_id: str | gym.Env | VectorEnv | Task, **kwargs: Any) -> Subject:
    """A :class:`Subject` from an id (``kwargs`` are its arguments), an env, a vector env or a task."""
    if isinstance(env_or_id, str):
        spec = gym.spec(env_or_id)
        creator = load_env_creator(spec.entry_point) if isinstance(spec.entry_point, str) else spec.entry_point
        task = creator(**kwargs).task if isinstance(creator, type) and issubclass(creator, SingleEnv) else None

        def make_vec(num_envs: int, **kw: Any) -> gym.vector.VectorEnv:
            return gym.make_vec(env_or_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs, **kw)

        return Subject(
            env_or_id,
            lambda render_mode=None: gym.make(env_or_id, render_mode=render_mode, **kwargs),
            make_vec if spec.vector_entry_point is not None else None,
            task,
            dict(task.documented_warnings) if task else {},
            creator,
        )
    if kwargs:
        raise ValueError("check: keyword arguments go with an env id, not with an env or task object")
    if isinstance(env_or_id, VectorEnv):
        return _task_subject(env_or_id.task, SingleEnv, type(env_or_id))
    if isinstance(env_or_id, Task):
        return _task_subject(env_or_id, SingleEnv, VectorEnv)
    if isinstance(env_or_id, gym.Env):
        base = env_or_id.unwrapped
        if isinstance(base, SingleEnv):
            return _task_subject(base.task, type(base), VectorEnv)
        original = copy.deepcopy(env_or_id)

        def make(render_mode: str | None = None) -> gym.Env:
            if render_mode != original.render_mode:
                raise Problem(
                    f"render_mode={render_mode!r} cannot be checked on an env object made with "
                    f"render_mode={original.render_mode!r}"
                )
            return copy.deepcopy(original)

        return Subject(
            type(base).__name__,
            make,
            env_class=type(base),
            render_modes=[] if original.render_mode is None else [original.render_mode],
        )
    raise ValueError(
        f"check takes an env id, a gymnasium.Env, an rl_envs VectorEnv or an rl_envs.core.Task, "
        f"got {type(env_or_id).__name__}"
    )


def _task_subject(task: Task, single: type[SingleEnv], vector: type[VectorEnv]) -> Subject:
    def make_vec(num_envs, **kw):
        return vector.from_task(task, num_envs, **kw)

    return Subject(
        type(task).__name__,
        lambda render_mode=None: single.from_task(task, render_mode),
        make_vec,
        task,
        dict(task.documented_warnings),
        single,
    )


# -- helpers -----------------------------------------------------------------------------------------


def _expect(condition: bool, sentence: str) -> None:
    if not condition:
        raise Problem(sentence)


def _warnings_of(fn: Callable[[], Any], allowed: dict[str, str]) -> list[str]:
    """The warnings ``fn`` raises that ``allowed`` does not document."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn()
    return sorted({str(w.message) for w in caught if not any(a in str(w.message) for a in (*allowed, *CHECKER_LIMITS))})


def _rollout(env, seed: int, steps: int = 50) -> list:
    env.action_space.seed(seed)
    out = [env.reset(seed=seed)]
    for _ in range(steps):
        out.append(env.step(env.action_space.sample()))
        if out[-1][2] or out[-1][3]:
            out.append(env.reset())
    return out


def not_actions(space: gym.Space) -> list:
    """Values that are no action of ``space``: wrong types first, then wrong values and shapes."""
    if isinstance(space, gym.spaces.Discrete):
        return [
            space.start - 1,
            space.start + space.n,
            1.5,
            np.float64(1.0),
            "1",
            "a",
            None,
            True,
            np.bool_(True),
            1 + 0j,
            np.array([1]),
            object(),
        ]
    shape = space.shape or ()
    return [
        None,
        "0.5",
        np.full(shape, "0.5"),
        np.full(shape, 0.5 + 1j),
        np.full(shape, 0.5 + 0j),
        np.ones(shape, dtype=bool),
        object(),
        np.full(shape, np.nan, dtype=space.dtype),
        np.full(shape, np.inf),
        np.zeros((*shape, 2), dtype=space.dtype),
    ]


def _step_on(env) -> None:
    """One step of a random action, restarting the env when that ends its episode (a task whose
    episodes last one step, such as a trial of the variable-reward task, is checked too)."""
    if env.step(env.action_space.sample())[2:4] != (False, False):
        env.reset()


def _same(a, b, what: str) -> None:
    _expect(data_equivalence(a, b, exact=True), f"{what} differ: {a!r} != {b!r}"[:600])


# -- the checks on the single env ---------------------------------------------------------------------


def gymnasium_checker(s: Subject) -> None:
    from gymnasium.utils.env_checker import check_env

    for message in _warnings_of(lambda: check_env(s.make().unwrapped), s.allowed_warnings):
        raise Problem(f"Gymnasium's check_env warns: {message}")


def sb3_checker(s: Subject) -> None:
    try:
        from stable_baselines3.common.env_checker import check_env
    except ImportError:
        return  # SB3 is optional
    for message in _warnings_of(lambda: check_env(s.make().unwrapped, warn=True), s.allowed_warnings):
        raise Problem(f"Stable-Baselines3's check_env warns: {message}")


def passive_checker(s: Subject) -> None:
    def run():
        env = gym.wrappers.PassiveEnvChecker(s.make())
        env.reset(seed=0)
        env.step(env.action_space.sample())
        env.close()

    for message in _warnings_of(run, {}):  # no documented exception: the passive checker stays silent
        raise Problem(f"Gymnasium's passive checker warns: {message}")


def determinism(s: Subject) -> None:
    _expect(
        data_equivalence(_rollout(s.make(), 0), _rollout(s.make(), 0), exact=True),
        "two rollouts with the same seed and actions differ",
    )


def step_types(s: Subject) -> None:
    env = s.make()
    for item in _rollout(env, 1, steps=100):
        obs = item[0]
        _expect(obs in env.observation_space, f"observation {obs!r} is not in {env.observation_space}")
        if len(item) == 5:
            _, reward, terminated, truncated, info = item
            _expect(type(reward) is float and np.isfinite(reward), f"reward {reward!r} is not a finite Python float")
            _expect(
                type(terminated) is bool and type(truncated) is bool,
                f"terminated/truncated {terminated!r}, {truncated!r} are not Python bools",
            )
            _expect(isinstance(item[4], dict), f"info is a {type(info).__name__}, not a dict")


def pickling(s: Subject) -> None:
    env = s.make("rgb_array") if "rgb_array" in s.modes() else s.make()
    env.reset(seed=123)
    env.action_space.seed(123)
    _step_on(env)
    before = pickle.loads(pickle.dumps(env))
    if env.render_mode:
        env.render()
    after = pickle.loads(pickle.dumps(env))
    actions = [env.action_space.sample() for _ in range(5)]
    runs = []
    for e in (env, before, after):
        steps = []
        for a in actions:
            steps.append(e.step(a))
            if steps[-1][2] or steps[-1][3]:
                break
        runs.append(steps)
    _expect(
        data_equivalence(runs[0], runs[1], exact=True) and data_equivalence(runs[0], runs[2], exact=True),
        "a pickled copy (before or after render) steps differently from the env",
    )


def rendering(s: Subject) -> None:
    modes = s.modes()
    if "rgb_array" in modes:
        env = s.make("rgb_array")
        env.reset(seed=0)
        frames = [env.render()]
        env.step(env.action_space.sample())
        frames.append(env.render())
        for frame in frames:
            _expect(
                isinstance(frame, np.ndarray)
                and frame.dtype == np.uint8
                and frame.ndim == 3
                and frame.shape[2] == 3
                and min(frame.shape[:2]) >= 32,
                f"an rgb_array frame must be an H x W x 3 uint8 array (H, W >= 32), got {type(frame).__name__} "
                f"{getattr(frame, 'shape', '')}",
            )
            _expect(isinstance(frame, np.ndarray) and frame.std() > 0, "an rgb_array frame is blank")
        env.close()
        env.close()
    if "human" in modes:
        import pygame

        env = s.make("human")
        env.reset(seed=0)
        for _ in range(3):
            _step_on(env)
        _expect(env.render() is None, "render() in human mode must return None")
        _expect(pygame.mixer.get_init() is None, "human rendering started pygame's audio mixer")
        env.close()
        env.close()
    if "ansi" in modes:
        env = s.make("ansi")
        env.reset(seed=0)
        text = env.render()
        _expect(isinstance(text, str) and bool(text.strip()), f"ansi render gave {text!r}, not a non-empty str")


def invalid_actions(s: Subject) -> None:
    env = s.make()
    env.reset(seed=0)
    space = env.action_space
    _expect(isinstance(space, (gym.spaces.Discrete, gym.spaces.Box)), f"no invalid-action check for {space}")
    for bad in not_actions(space):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                env.unwrapped.step(bad)
        except ValueError as e:
            _expect(
                f"{type(space).__name__}(" in str(e),
                f"the ValueError for the action {bad!r} does not name the action space: {e}",
            )
        except Warning as w:
            raise Problem(f"the action {bad!r} gave a warning instead of a ValueError: {w}") from None
        except Exception as e:
            raise Problem(f"the action {bad!r} raised {type(e).__name__} ({e}) instead of a ValueError") from None
        else:
            raise Problem(f"the invalid action {bad!r} was accepted")
    if isinstance(space, gym.spaces.Box):
        policy = getattr(env.unwrapped, "action_out_of_range", None)
        _expect(
            policy in ("clip", "raise"),
            f"a Box env documents out-of-range actions as action_out_of_range = 'clip' or 'raise', got {policy!r}",
        )
        outside = space.high + 1.0
        if policy == "raise":
            try:
                env.step(outside)
            except ValueError:
                return
            raise Problem("an out-of-range action was accepted although action_out_of_range = 'raise'")
        twin = s.make()
        env.reset(seed=5)
        twin.reset(seed=5)
        _same(env.step(outside), twin.step(space.high.copy()), "an out-of-range action and its clipped value")


def closing(s: Subject) -> None:
    env = s.make()
    env.close()
    env.close()


def docstring(s: Subject) -> None:
    # a task checked without an env class of its own carries the user's documentation itself
    documented = s.env_class if s.env_class not in (None, SingleEnv) else type(s.task) if s.task else None
    doc = (documented.__doc__ if documented else "") or ""
    missing = [section for section in SECTIONS if f"## {section}" not in doc]
    _expect(not missing, f"the env class's docstring lacks the sections {', '.join(missing)} (Gymnasium's layout)")


def arguments(s: Subject) -> None:
    if s.task is None:
        return
    try:
        build_task(type(s.task), s.name, (), {"no_such_argument": 1})
    except TypeError as e:
        _expect(
            "no_such_argument" in str(e) and "arguments are" in str(e),
            f"an unknown argument's TypeError does not name the arguments the env takes: {e}",
        )
    else:
        raise Problem("an unknown argument was accepted")
    env = s.make()
    try:
        env.reset(options={"no_such_option": 1})
    except ValueError as e:
        _expect("no_such_option" in str(e), f"an unknown reset option's ValueError does not name it: {e}")
    else:
        raise Problem("an unknown reset option was silently ignored")


def reference(s: Subject) -> None:
    env = s.make()
    env.reset(seed=0)  # a task that draws its problem (the bandit's C) draws it from the seed
    declared: Any = getattr(env.unwrapped, "reference", None)
    _expect(callable(declared), "env.unwrapped has no reference() (the optimum and a baseline policy's return)")
    try:
        ref = declared()
    except NotImplementedError as e:
        raise Problem(f"reference() is not declared: {e}") from None
    _expect(isinstance(ref, Reference), f"reference() returned a {type(ref).__name__}, not an rl_envs.core.Reference")
    _expect(
        ref.lower <= ref.value <= ref.upper,
        f"reference() breaks lower <= value <= upper: {ref.lower} <= {ref.value} <= {ref.upper}",
    )
    _expect(
        ref.random <= ref.upper,
        f"reference()'s baseline ({ref.baseline}) value {ref.random} exceeds the upper bound {ref.upper}",
    )
    _expect(
        math.isfinite(ref.value) and math.isfinite(ref.random),
        f"reference()'s value {ref.value} and baseline ({ref.baseline}) value {ref.random} must be finite",
    )
    if s.make_vec is not None:
        venv = s.vec(1)
        venv.reset(seed=0)
        shared: Any = getattr(venv.unwrapped, "reference", None)
        _expect(callable(shared), "the vector env has no reference() (the task's, shared with the single env)")
        _expect(shared() == ref, f"the vector env's reference() {shared()} differs from the env's {ref}")


# -- the checks on the vector env ---------------------------------------------------------------------


def _batch_of_one(space, item):
    return concatenate(space, [item], create_empty_array(space, n=1))


def vector_matches_single(s: Subject) -> None:
    venv, env = s.vec(1), s.make()
    space = env.observation_space
    _same(venv.reset(seed=3)[0], _batch_of_one(space, env.reset(seed=3)[0]), "the first observations (seed 3)")
    env.action_space.seed(3)
    needs_reset = False
    for t in range(100):
        action = env.action_space.sample()
        v = venv.step(np.asarray(action)[None])
        if needs_reset:  # next-step autoreset
            obs, _ = env.reset()
            needs_reset = False
            _same(v[0], _batch_of_one(space, obs), f"step {t}: the restarted observations")
            continue
        obs, r, term, trunc, _ = env.step(action)
        _same(v[0], _batch_of_one(space, obs), f"step {t}: the observations of the vector env (n=1) and the single env")
        _expect(
            v[1][0] == r and v[2][0] == term and v[3][0] == trunc,
            f"step {t}: reward/terminated/truncated {v[1][0]}, {v[2][0]}, {v[3][0]} (vector) != {r}, {term}, {trunc}",
        )
        needs_reset = term or trunc


def _vector_rollout(venv, seed: int, steps: int = 40) -> list:
    venv.action_space.seed(seed)
    out = [venv.reset(seed=seed)[0]]
    for _ in range(steps):
        out.extend(venv.step(venv.action_space.sample())[:4])
        _expect(
            out[-4] in venv.observation_space, f"vector observations {out[-4]!r} are not in {venv.observation_space}"
        )
        _expect(
            out[-3].shape == (venv.num_envs,)
            and np.issubdtype(out[-3].dtype, np.floating)
            and out[-2].dtype == np.bool_
            and out[-1].dtype == np.bool_,
            "vector rewards must be a float array and terminations/truncations bool arrays of shape (num_envs,)",
        )
    return out


def vector_determinism(s: Subject) -> None:
    a, b = _vector_rollout(s.vec(3), 4), _vector_rollout(s.vec(3), 4)
    _expect(all(data_equivalence(x, y, exact=True) for x, y in zip(a, b)), "two seeded vector rollouts differ")
    venv = s.vec(3)
    _vector_rollout(venv, 5, steps=10)
    twin = pickle.loads(pickle.dumps(venv))
    venv.action_space.seed(6)
    for t in range(20):
        action = venv.action_space.sample()
        _expect(
            all(data_equivalence(x, y, exact=True) for x, y in zip(venv.step(action)[:4], twin.step(action)[:4])),
            f"a pickled vector env steps differently (step {t})",
        )
    try:
        s.vec(3).step(venv.action_space.sample())
    except ResetNeeded:
        return
    raise Problem("a vector env stepped before reset() does not raise ResetNeeded")


def vector_invalid_actions(s: Subject) -> None:
    venv, twin = s.vec(3), s.vec(3)
    venv.reset(seed=0)
    twin.reset(seed=0)
    batches = [np.stack([np.asarray(bad)] * 3) for bad in not_actions(venv.single_action_space)]
    batches.append(venv.action_space.sample()[:-1])
    for bad in batches:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                venv.step(bad)
        except ValueError:
            continue
        except Exception as e:
            raise Problem(f"the invalid batch {bad!r} raised {type(e).__name__} ({e}), not a ValueError") from None
        raise Problem(f"the invalid batch of actions {bad!r} was accepted")
    venv.action_space.seed(1)
    action = venv.action_space.sample()
    _expect(
        all(data_equivalence(x, y, exact=True) for x, y in zip(venv.step(action)[:4], twin.step(action)[:4])),
        "an invalid batch changed the vector env's state",
    )


def vector_rendering(s: Subject) -> None:
    if "rgb_array" not in s.vec(1).metadata.get("render_modes", []):
        return
    venv = s.vec(2, render_mode="rgb_array")
    venv.reset(seed=0)
    venv.step(venv.action_space.sample())
    frames = venv.render()
    if not (isinstance(frames, tuple) and len(frames) == 2):
        raise Problem(f"render() of 2 sub-envs gave {type(frames).__name__}, not a tuple of 2 frames")
    for frame in frames:
        _expect(
            isinstance(frame, np.ndarray)
            and frame.dtype == np.uint8
            and frame.ndim == 3
            and frame.shape[2] == 3
            and frame.std() > 0,
            "a sub-env's frame is not a non-blank H x W x 3 uint8 array",
        )
    twin = pickle.loads(pickle.dumps(venv))
    again = twin.render()
    _expect(
        isinstance(again, tuple) and all(np.array_equal(x, y) for x, y in zip(again, frames)),
        "a pickled vector env renders differently",
    )
    venv.close()
    venv.close()


def vector_partial_reset(s: Subject) -> None:
    venv = s.vec(3)
    mask = np.array([True, False, False])
    try:
        venv.reset(options={"reset_mask": mask})
    except ResetNeeded:
        pass
    else:
        raise Problem("a partial reset before the first reset() does not raise ResetNeeded")
    venv.reset(seed=0)
    venv.action_space.seed(0)
    obs = venv.step(venv.action_space.sample())[0]
    again, _ = venv.reset(options={"reset_mask": mask})
    _same(again[1:], obs[1:], "the sub-envs outside reset_mask after a partial reset")
    for bad in (np.ones(2, dtype=bool), np.ones(3)):
        try:
            venv.reset(options={"reset_mask": bad})
        except ValueError as e:
            _expect("reset_mask" in str(e), f"a malformed reset_mask's error does not name it: {e}")
        else:
            raise Problem(f"the malformed reset_mask {bad!r} was accepted")


def vector_max_episode_steps(s: Subject) -> None:
    venv = s.vec(4, max_episode_steps=3)
    venv.reset(seed=0)
    venv.action_space.seed(0)
    steps = [venv.step(venv.action_space.sample()) for _ in range(3)]
    terminated = np.array([x[2] for x in steps])
    truncated = np.array([x[3] for x in steps])
    _expect(
        not truncated[:2].any() and np.array_equal(truncated[2], ~terminated.any(axis=0)),
        "max_episode_steps=3 does not truncate every sub-env that has not terminated on its 3rd step",
    )


def autoreset_modes(s: Subject) -> None:
    if s.task is None:
        return  # the comparison builds both vector envs from the task
    # Short episodes, so that every mode restarts sub-envs many times; and one problem for all
    # sub-envs in both (a task that draws its problem from each sub-env's seed would otherwise
    # give every single env of SyncVectorEnv its own).
    task = s.task.frozen_problem()
    short = (
        dataclasses.replace(task, max_steps=SHORT_EPISODE)
        if "max_steps" in {f.name for f in dataclasses.fields(task)}
        else task
    )
    native_type = type(s.vec(1))
    if not issubclass(native_type, VectorEnv):
        raise Problem(f"the vector env of a task must be an rl_envs VectorEnv, got {native_type.__name__}")
    for mode in AutoresetMode:
        native = native_type.from_task(short, len(SEEDS), autoreset_mode=mode)
        sync = SyncVectorEnv([lambda: SingleEnv.from_task(short) for _ in SEEDS], autoreset_mode=mode)
        _expect(native.metadata["autoreset_mode"] is mode, f"metadata['autoreset_mode'] is not {mode}")
        for what, x, y in zip(("observations", "infos"), native.reset(seed=SEEDS), sync.reset(seed=SEEDS)):
            _same(x, y, f"{mode.name}: reset {what} of the native vector env and SyncVectorEnv")
        native.action_space.seed(0)
        for t in range(40):
            actions = native.action_space.sample()
            out = native.step(actions)
            for what, x, y in zip(
                ("observations", "rewards", "terminations", "truncations", "infos"), out, sync.step(actions)
            ):
                _same(x, y, f"{mode.name}: step {t} {what} of the native vector env and SyncVectorEnv")
            ended = out[2] | out[3]
            if mode is AutoresetMode.DISABLED and ended.any():
                try:
                    native.step(actions)
                except ResetNeeded:
                    pass
                else:
                    raise Problem("DISABLED: stepping an ended sub-env does not raise ResetNeeded")
                for what, x, y in zip(
                    ("observations", "infos"),
                    native.reset(options={"reset_mask": ended}),
                    sync.reset(options={"reset_mask": ended.copy()}),
                ):
                    _same(x, y, f"DISABLED: reset_mask {what} after step {t}")


CHECKS: dict[str, Callable[[Subject], None]] = {
    "gymnasium_checker": gymnasium_checker,
    "sb3_checker": sb3_checker,
    "passive_checker": passive_checker,
    "determinism": determinism,
    "step_types": step_types,
    "pickling": pickling,
    "rendering": rendering,
    "invalid_actions": invalid_actions,
    "closing": closing,
    "docstring": docstring,
    "arguments": arguments,
    "reference": reference,
}
VECTOR_CHECKS: dict[str, Callable[[Subject], None]] = {
    "vector_matches_single": vector_matches_single,
    "vector_determinism": vector_determinism,
    "vector_invalid_actions": vector_invalid_actions,
    "vector_rendering": vector_rendering,
    "vector_partial_reset": vector_partial_reset,
    "vector_max_episode_steps": vector_max_episode_steps,
    "autoreset_modes": autoreset_modes,
}


def run_check(subject: Subject, name: str) -> list[str]:
    """The problems the check ``name`` finds (``[]`` if none, or if it does not apply)."""
    fn = CHECKS.get(name) or VECTOR_CHECKS.get(name)
    if fn is None:
        raise ValueError(f"unknown check {name!r}; the checks are: {', '.join([*CHECKS, *VECTOR_CHECKS])}")
    if name in VECTOR_CHECKS and subject.make_vec is None:
        return []
    try:
        fn(subject)
    except Problem as p:
        return [f"{name}: {p}"]
    except Exception as e:  # a crash inside the environment is a finding, not the checker's failure
        return [f"{name}: {type(e).__name__}: {e}"]
    return []


def check(env_or_id: str | gym.Env | VectorEnv | Task, *, only: list[str] | None = None, **kwargs: Any) -> list[str]:
    """Every problem the checks find in ``env_or_id`` (an id with its ``kwargs``, an env, a vector env
    or a task), one readable sentence each; ``[]`` when it conforms.  ``only`` names the checks to run."""
    subject = subject_of(env_or_id, **kwargs)
    names = only if only is not None else [*CHECKS, *VECTOR_CHECKS]
    return [problem for name in names for problem in run_check(subject, name)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rl_envs.check", description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("env_id", nargs="+", help="registered env ids, e.g. rl_envs/GridMaze-v0")
    parser.add_argument(
        "--only",
        action="append",
        choices=[*CHECKS, *VECTOR_CHECKS],
        metavar="CHECK",
        help=f"run only this check (repeatable); one of: {', '.join([*CHECKS, *VECTOR_CHECKS])}",
    )
    args = parser.parse_args(argv)
    import rl_envs  # noqa: F401  (registers the ids)

    failed = 0
    for env_id in args.env_id:
        problems = check(env_id, only=args.only)
        print(f"{env_id}: {'conforms' if not problems else f'{len(problems)} problem(s)'}")
        for p in problems:
            print(f"  - {p}")
        failed += bool(problems)
    return 1 if failed else 0


class _CallableModule(types.ModuleType):
    """``rl_envs.check(...)`` calls :func:`check`, while ``python -m rl_envs.check`` runs :func:`main`."""

    def __call__(self, env_or_id, **kwargs) -> list[str]:
        return check(env_or_id, **kwargs)


if __name__ == "__main__":
    sys.exit(main())
else:
    sys.modules[__name__].__class__ = _CallableModule
