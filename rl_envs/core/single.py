"""The single-env shell: any :class:`~rl_envs.core.task.Task` as a ``gymnasium.Env`` (a batch of one).

It owns, for every environment: the task's construction from the keyword arguments (an unknown
one names those the env takes), ``render_mode``, checking the action before any state changes,
``ResetNeeded``, the step count and truncation at ``max_steps``, seeding, ``reset`` options,
info entries and rendering.  An environment module declares ``class FooEnv(SingleEnv)`` with
``task_type = FooTask`` and the docstring a user learns the task from.
"""

from __future__ import annotations

import functools
import inspect
from collections import deque
from typing import Any, ClassVar

import numpy as np
import gymnasium as gym
from gymnasium.error import ResetNeeded

from ..rendering import Viewer, check_render_mode
from . import tree
from .reference import Reference
from .task import Task, attribute_names, build_task, unbatch_info


def env_signature(
    task_type: type[Task], leading: tuple[inspect.Parameter, ...] = (), trailing: tuple[inspect.Parameter, ...] = ()
) -> inspect.Signature:
    """``leading`` parameters, the task's arguments, ``trailing`` ones, then ``render_mode``: what
    ``help()`` and ``inspect.signature`` show of an env class."""
    render_mode = inspect.Parameter(
        "render_mode", inspect.Parameter.KEYWORD_ONLY, default=None, annotation="str | None"
    )
    return inspect.Signature([*leading, *inspect.signature(task_type).parameters.values(), *trailing, render_mode])


_NO_OPTIONS: dict = {}


def check_options(options: dict | None, allowed: tuple[str, ...], owner: str) -> dict:
    """``options`` as a dict, or a ValueError naming the keys ``reset`` knows."""
    if options is None:
        return _NO_OPTIONS
    if not isinstance(options, dict):
        raise ValueError(f"{owner}.reset: options must be a dict or None, got {type(options).__name__}")
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        known = ", ".join(map(repr, allowed)) if allowed else "none"
        raise ValueError(
            f"{owner}.reset: unknown option(s) {', '.join(map(repr, unknown))}; the options it knows: {known}"
        )
    return options


# What the shells never take from the task: their own names, and the task's protocol.
_SHELL_NAMES = {"observation_space", "action_space", "max_steps", "metadata", "render_mode", "num_envs"}


def forward_task_methods(env_type: type, task_type: type[Task]) -> None:
    """Give ``env_type`` the task's public methods and properties (``optimal_return()``, ``model``),
    so that ``env.unwrapped.optimal_return()`` reads as the env's own.  Explicit forwarding rather
    than ``__getattr__``, whose mere presence makes every attribute access on the env slower."""
    for klass in reversed(task_type.__mro__[: task_type.__mro__.index(Task)]):
        for name, value in vars(klass).items():
            if (
                name.startswith("_")
                or name in _SHELL_NAMES
                or hasattr(Task, name)
                or hasattr(env_type, name)
                or not (callable(value) or isinstance(value, (property, functools.cached_property)))
            ):
                continue
            if isinstance(value, (property, functools.cached_property)):
                setattr(env_type, name, property(lambda self, name=name: getattr(self.task, name)))
            else:

                def method(self: Any, *args: Any, _name: str = name, **kwargs: Any) -> Any:
                    return getattr(self.task, _name)(*args, **kwargs)

                method.__name__, method.__doc__ = name, value.__doc__
                setattr(env_type, name, method)


def task_attributes(env: Any, task: Task) -> None:
    """Copy the task's public fields and derived attributes (``layout``, ``C``) onto ``env``, as the
    earlier env classes had them (again after a redraw replaces the task).  Set one by one, not
    through ``env.__dict__``, which would slow every later attribute read of the env (see
    :meth:`Task.__copy__`)."""
    for name in attribute_names(task):
        if not name.startswith("_") and name not in _SHELL_NAMES and not hasattr(type(env), name):
            setattr(env, name, getattr(task, name))


class SingleEnv(gym.Env):
    """One environment of ``task_type``: a thin shell over the task's batched functions."""

    task_type: ClassVar[type[Task]]
    metadata: dict[str, Any] = {"render_modes": [], "render_fps": 30}
    _np_random: np.random.Generator  # Env's stream, which reset() makes before any step reads it

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "task_type" in cls.__dict__:
            cls.metadata = dict(cls.task_type.metadata)
            cls.__signature__ = env_signature(cls.task_type)
            forward_task_methods(cls, cls.task_type)

    def __init__(self, *args: Any, render_mode: str | None = None, **kwargs: Any):
        self._setup(build_task(self.task_type, type(self).__name__, args, kwargs), render_mode)

    @classmethod
    def from_task(cls, task: Task, render_mode: str | None = None) -> SingleEnv:
        """The single env of a task object (a user's own task, or one a checker copies)."""
        if not isinstance(task, Task):
            raise ValueError(f"task must be an rl_envs.core.Task, got {type(task).__name__}")
        env = cls.__new__(cls)
        env.metadata = dict(task.metadata)
        env._setup(task, render_mode)
        return env

    def _setup(self, task: Task, render_mode: str | None) -> None:
        self.render_mode = check_render_mode(render_mode, self.metadata)
        self._set_task(task.for_env(single=True, render_mode=render_mode))
        self.observation_space = task.observation_space
        self.action_space = task.action_space
        self._state = None  # the batch of one; None before the first reset
        self._t = 0
        self._done = True  # step() before reset() raises ResetNeeded
        self._viewer: Viewer | None = None

    def _set_task(self, task: Task) -> None:
        self.task = task
        task_attributes(self, task)
        # the earlier states the drawing shows (Task.trail_length), kept only with a render mode
        self._trail: deque = deque(maxlen=task.trail_length)
        self._check_action, self._step_one = task.check_action, task.step_one
        self._max_steps, self._truncated_by = task.max_steps, task.truncated_by
        self._end_info = type(task).end_info is not Task.end_info
        self._reset_info = type(task).reset_info is not Task.reset_info
        self._redraws = type(task).redraw is not Task.redraw

    @property
    def action_out_of_range(self) -> str:
        """What a Box action outside the box becomes (``"clip"`` in every task here)."""
        return self.task.action_out_of_range

    @property
    def max_steps(self) -> int:
        return self.task.max_steps

    def reference(self) -> Reference:
        """The task's reference record (:meth:`rl_envs.core.Task.reference`)."""
        return self.task.reference()

    @property
    def state(self) -> Any:
        """The exact current state (of the task's state type, one env; arrays without the batch axis)."""
        if self._state is None:
            raise ResetNeeded("call reset() first")
        return tree.tree_map(lambda a: a[0].copy(), self._state)

    @state.setter
    def state(self, value: Any) -> None:
        # Puts the env in that state (after reset), as Gymnasium's classic-control ``state`` does.
        if self._state is None:
            raise ResetNeeded("call reset() first")
        self._state = self.task.state_from(value)

    # -- the Gymnasium API ---------------------------------------------------------------------

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Any, dict[str, Any]]:
        if options is not None:
            options = check_options(options, self.task.reset_options, type(self).__name__)
        if seed is not None:
            super().reset(seed=seed)  # Env.reset only seeds np_random
        if self.render_mode is not None:
            if self.task.trail_length is None:  # the trail of one episode
                self._trail.clear()
            elif self._t:  # the trail goes on: the state the last episode ended in, if it made a step
                self._trail.append(self._state)
        rng = self.np_random
        if self._redraws:
            task = self.task.redraw(rng, seeded=seed is not None)
            if task is not self.task:
                self._set_task(task)
        self._state = self.task.initial_state(rng, 1, options)
        self._t, self._done = 0, False
        obs = self.task.observe(self._state)[0]
        if self.render_mode == "human":
            self.render()
        return obs, unbatch_info(self.task.reset_info(self._state)) if self._reset_info else {}

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        # The tabular agents step the maze millions of times at well under a microsecond a step:
        # this reads what it needs of the task from attributes set once in _set_task, and an
        # episode that goes on takes one test.
        a = self._check_action(action, None)
        if self._done:
            raise ResetNeeded("the episode has ended (or not started): call reset() before step()")
        if self.render_mode is not None:
            self._trail.append(self._state)
        self._state, obs, reward, terminated, info = self._step_one(self._state, a, self._np_random)
        self._t += 1
        if terminated or self._t >= self._max_steps or (self._truncated_by is not None and self._truncated_by in info):
            self._done = True
            truncated = not terminated
            if self._end_info:
                info.update(unbatch_info(self.task.end_info(self._state)))
        else:
            truncated = False
        if self.render_mode == "human":
            self.render()
        return obs, reward, terminated, truncated, info

    def render(self) -> Any:
        if self.render_mode is None:
            gym.logger.warn(
                "render() without a render_mode: make the env with "
                f"render_mode='rgb_array' (one of {self.metadata['render_modes']})"
            )
            return None
        if self._state is None:
            raise ResetNeeded("call reset() before render()")
        if self.render_mode == "ansi":
            return self.task.ansi(self._state)
        if self._viewer is None:
            self._viewer = Viewer(
                self.render_mode, self.task.canvas_size, self.metadata["render_fps"], type(self).__name__
            )
        return self._viewer.draw(lambda pg, surface: self.task.paint(pg, surface, self._state, list(self._trail)))

    def close(self) -> None:
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_viewer"] = None  # pygame objects cannot be pickled
        return state
