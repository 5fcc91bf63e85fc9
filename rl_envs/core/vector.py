"""The vector-env shell: ``num_envs`` sub-environments of one task stepped as one array program.

It owns what the single shell owns (see :mod:`rl_envs.core.single`) for a batch, plus:

* **Seeding.** ``reset(seed=s)`` seeds one stream that every sub-env draws from in sub-env order
  (so ``num_envs = 1`` is the single env seeded ``s``, bit for bit); ``reset(seed=[s_0, ...])``
  gives sub-env ``i`` its own stream, seeded as a single env's ``reset(seed=s_i)``, so that it
  reproduces that single env bit for bit (and Gymnasium's ``SyncVectorEnv`` given that list).
* **Gymnasium's three autoreset modes** (``autoreset_mode=``, declared in ``metadata``):
  ``NEXT_STEP`` (default): the step after a sub-env's episode ends restarts it, ignoring its action,
  and returns its first observation with reward 0; ``SAME_STEP``: a sub-env that ends restarts in
  the same step, its last observation in ``info["final_obs"]`` and its last info in
  ``info["final_info"]``; ``DISABLED``: the caller restarts ended sub-envs with
  ``reset(options={"reset_mask": mask})``, and stepping one that has ended raises ``ResetNeeded``.
  Each step draws the moving sub-envs' noise first, then the restarting ones' start states.
* **Partial reset**: ``reset(options={"reset_mask": mask})`` restarts the sub-envs in ``mask`` now.
* **Info entries** with Gymnasium's ``_key`` masks (True for the sub-envs that have the entry).
* ``max_episode_steps``: what ``gymnasium.make_vec(..., max_episode_steps=N)`` passes; it replaces
  the task's ``max_steps`` (as Gymnasium's ``TimeLimit`` on each sub-env would).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import gymnasium as gym
from gymnasium.error import ResetNeeded
from gymnasium.utils import seeding
from gymnasium.vector import AutoresetMode
from gymnasium.vector.utils import batch_space

from ..rendering import Viewer, check_render_mode
from ..validation import describe, integer, is_int
from . import tree
from .reference import Reference
from .single import check_options, env_signature, forward_task_methods, task_attributes
from .task import Task, build_task


def _mode_key(text: str) -> str:
    return text.lower().replace("_", "").replace("-", "")


_MODES = {_mode_key(m.value): m for m in AutoresetMode}


def as_autoreset_mode(value: AutoresetMode | str) -> AutoresetMode:
    """``value`` as an ``AutoresetMode``: the enum itself, or its name or value in any case, with or
    without ``_``/``-`` (``"same_step"``, ``"SameStep"``, ``"same-step"``)."""
    if isinstance(value, AutoresetMode):
        return value
    if isinstance(value, str) and _mode_key(value) in _MODES:
        return _MODES[_mode_key(value)]
    raise ValueError(
        f"autoreset_mode must be one of {', '.join(f'AutoresetMode.{m.name}' for m in AutoresetMode)} "
        f"(or their names as strings, such as 'same_step'), got {describe(value)}"
    )


def all_true(n: int) -> np.ndarray:
    """A bool array of ``n`` True (np.ones takes three times as long: a step of a small vector env
    makes one per info entry)."""
    mask = np.empty(n, dtype=np.bool_)
    mask.fill(True)
    return mask


def batch_info(info: dict, rows: np.ndarray | None, num_envs: int) -> dict:
    """A task's info (arrays over all ``num_envs`` sub-envs) as Gymnasium's vector envs give it:
    each entry with its ``_key`` mask (the sub-envs ``rows``, a bool mask or None for all, within
    the task's own mask if it gave one), zero (None in an object array) outside its mask, and no
    entry that no sub-env has.  The entries are new arrays: a task may give views of its state."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key.startswith("_"):
            continue
        own = info.get("_" + key)
        if own is None:
            mask = all_true(num_envs) if rows is None else rows.copy()
        else:
            mask = np.array(own, dtype=np.bool_) if rows is None else own & rows
        count = num_envs if own is None and rows is None else np.count_nonzero(mask)
        if not count:
            continue
        value = np.asarray(value)
        if count == num_envs:
            full = value.copy()
        else:
            full = np.zeros_like(value) if value.dtype != object else np.full_like(value, None)
            full[mask] = value[mask]
        out[key], out["_" + key] = full, mask
    return out


def restart_info(step: dict, reset: dict, restarted: np.ndarray) -> dict:
    """The task's info of a step in which the sub-envs ``restarted`` restart and the others move,
    from the entries of its step and of its reset (each over all sub-envs): an entry is the step's
    where a sub-env moved and the reset's where it restarted, masked (``_key``) to the sub-envs that
    have it.  One array operation for an entry both give, where masking each and merging takes ten."""
    out: dict[str, Any] = {}
    for key in [*step, *(k for k in reset if k not in step)]:
        if key.startswith("_"):
            continue
        own_step, own_reset = step.get("_" + key), reset.get("_" + key)
        if key in step and key in reset:
            value_step, value_reset = np.asarray(step[key]), np.asarray(reset[key])
            rows = restarted.reshape(-1, *(1,) * (value_step.ndim - 1))
            out[key] = np.where(rows, value_reset, value_step)
            if own_step is not None or own_reset is not None:
                out["_" + key] = np.where(
                    restarted, True if own_reset is None else own_reset, True if own_step is None else own_step
                )
        elif key in step:
            out[key], out["_" + key] = step[key], ~restarted if own_step is None else own_step & ~restarted
        else:
            out[key], out["_" + key] = reset[key], restarted if own_reset is None else own_reset & restarted
    return out


def merge_info(into: dict, info: dict) -> dict:
    """``info``'s entries added to ``into``: where both have a key, the rows of ``info``'s mask win."""
    for key, value in info.items():
        if key.startswith("_"):
            continue
        mask = info["_" + key]
        if key in into:
            into[key][mask] = value[mask]
            into["_" + key] |= mask
        else:
            into[key], into["_" + key] = value, mask
    return into


def without_rows(info: dict, rows: np.ndarray) -> dict:
    """``info`` with the sub-envs ``rows`` masked out (entries nobody has left are dropped).  Each
    entry is a new array, zero outside its mask as in Gymnasium's vector envs: the final info and
    the info of the restarted sub-envs are cut from one info, and must not share its arrays."""
    out: dict[str, Any] = {}
    for key, value in info.items():
        if key.startswith("_"):
            continue
        mask = info["_" + key] & ~rows
        if mask.any():
            kept = np.full_like(value, None) if value.dtype == object else np.zeros_like(value)
            kept[mask] = value[mask]
            out[key], out["_" + key] = kept, mask
    return out


class VectorEnv(gym.vector.VectorEnv):
    """``num_envs`` sub-envs of ``task_type`` (see the module docstring)."""

    task_type: ClassVar[type[Task]]
    metadata: dict[str, Any] = {
        "render_modes": ["rgb_array"],
        "render_fps": 30,
        "autoreset_mode": AutoresetMode.NEXT_STEP,
    }

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "task_type" in cls.__dict__:
            cls.metadata = {
                "render_modes": ["rgb_array"],
                "render_fps": cls.task_type.metadata["render_fps"],
                "autoreset_mode": AutoresetMode.NEXT_STEP,
            }
            kw = inspect.Parameter.KEYWORD_ONLY
            cls.__signature__ = env_signature(
                cls.task_type,
                (inspect.Parameter("num_envs", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=1, annotation=int),),
                (
                    inspect.Parameter("autoreset_mode", kw, default=AutoresetMode.NEXT_STEP, annotation=AutoresetMode),
                    inspect.Parameter("max_episode_steps", kw, default=None, annotation="int | None"),
                ),
            )
            forward_task_methods(cls, cls.task_type)

    def __init__(
        self,
        num_envs: int = 1,
        *args: Any,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
        **kwargs: Any,
    ):
        self._setup(
            build_task(self.task_type, type(self).__name__, args, kwargs),
            num_envs,
            autoreset_mode,
            max_episode_steps,
            render_mode,
        )

    @classmethod
    def from_task(
        cls,
        task: Task,
        num_envs: int = 1,
        *,
        autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
        max_episode_steps: int | None = None,
        render_mode: str | None = None,
    ) -> VectorEnv:
        """The vector env of a task object (a user's own task, or one a checker copies)."""
        if not isinstance(task, Task):
            raise ValueError(f"task must be an rl_envs.core.Task, got {type(task).__name__}")
        env = cls.__new__(cls)
        env._setup(task, num_envs, autoreset_mode, max_episode_steps, render_mode)
        return env

    def _setup(self, task: Task, num_envs, autoreset_mode, max_episode_steps, render_mode) -> None:
        self.num_envs = integer(num_envs, "num_envs")
        self.metadata = {
            "render_modes": ["rgb_array"],
            "render_fps": task.metadata["render_fps"],
            "autoreset_mode": as_autoreset_mode(autoreset_mode),
        }
        self.render_mode = check_render_mode(render_mode, self.metadata)
        self._set_task(task.for_env(single=False, render_mode=render_mode))
        self.max_steps = (
            self.task.max_steps if max_episode_steps is None else integer(max_episode_steps, "max_episode_steps")
        )
        self.single_observation_space = self.task.observation_space
        self.single_action_space = self.task.action_space
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self._state = None  # None before the first reset
        self._t = np.zeros(self.num_envs, dtype=np.int64)
        self._needs_reset: np.ndarray | None = None  # None before the first reset
        self._rngs: list[np.random.Generator] | None = None  # one stream per sub-env after reset(seed=[...])
        self._viewer: Viewer | None = None

    def _set_task(self, task: Task) -> None:
        self.task = task
        task_attributes(self, task)
        # what a step asks of the task, read once
        # (a task's noise is None when its dynamics are deterministic: the GridMaze without slip)
        self._draws_noise = task.sample_noise(np.random.default_rng(0), 0) is not None
        self._has_reset_info = type(task).reset_info is not Task.reset_info
        self._has_end_info = type(task).end_info is not Task.end_info
        self._truncated_by = task.truncated_by

    @property
    def action_out_of_range(self) -> str:
        """What a Box action outside the box becomes (``"clip"`` in every task here)."""
        return self.task.action_out_of_range

    @property
    def autoreset_mode(self) -> AutoresetMode:
        return self.metadata["autoreset_mode"]

    def reference(self) -> Reference:
        """The task's reference record (:meth:`rl_envs.core.Task.reference`), for this env's episode
        limit where ``max_episode_steps`` replaced the task's."""
        if self.max_steps == self.task.max_steps:
            return self.task.reference()
        return dataclasses.replace(self.task, max_steps=self.max_steps).reference()

    # -- random numbers ------------------------------------------------------------------------

    def _draw(self, sample, rows: np.ndarray | None, *args) -> tree.Tree:
        """``sample(rng, k, *args)`` for the sub-envs ``rows`` (a bool mask; None: all): from the
        shared stream, or from each one's own."""
        if self._rngs is None:
            return sample(self.np_random, self.num_envs if rows is None else np.count_nonzero(rows), *args)
        parts = [
            sample(self._rngs[i], 1, *args) for i in (range(self.num_envs) if rows is None else np.flatnonzero(rows))
        ]
        return tree.concat(parts) if parts else sample(self.np_random, 0, *args)

    def _seed(self, seed) -> None:
        if isinstance(seed, (list, tuple, np.ndarray)):
            if len(seed) != self.num_envs or not all(is_int(s) and s >= 0 for s in seed):
                raise ValueError(
                    f"seed must be None, an int or a list of {self.num_envs} non-negative ints "
                    f"(one per sub-env), got {describe(seed)}"
                )
            self._rngs = [seeding.np_random(int(s))[0] for s in seed]
            super().reset(seed=int(seed[0]))  # the shared stream (a redraw of the task) follows sub-env 0
        elif seed is not None:
            self._rngs = None
            super().reset(seed=seed)
        else:
            super().reset()

    # -- the Gymnasium API ---------------------------------------------------------------------

    def reset(
        self, *, seed: int | Sequence[int | None] | None = None, options: dict | None = None
    ) -> tuple[Any, dict[str, Any]]:
        """Every sub-env, or with ``options={"reset_mask": mask}`` (a bool array of ``num_envs``) only
        those in ``mask``: they start new episodes now, the others keep their state; the observations
        returned are those of every sub-env."""
        options = dict(check_options(options, (*self.task.reset_options, "reset_mask"), type(self).__name__))
        mask = options.pop("reset_mask", None)
        if mask is None:
            self._seed(seed)
            task = self.task.redraw(self.np_random, seeded=seed is not None)
            if task is not self.task:
                self._set_task(task)
            mask = np.ones(self.num_envs, dtype=np.bool_)
            self._state = self._draw(self.task.initial_state, None, options)
            self._needs_reset = np.zeros(self.num_envs, dtype=np.bool_)
        else:
            mask = np.asarray(mask)
            if mask.dtype != np.bool_ or mask.shape != (self.num_envs,):
                raise ValueError(
                    f"options['reset_mask'] must be a bool array of shape ({self.num_envs},), "
                    f"got {mask.dtype} of shape {mask.shape}"
                )
            if seed is not None:
                raise ValueError("reset(seed=...) seeds every sub-env; a reset with a reset_mask takes no seed")
            if self._state is None or self._needs_reset is None:  # (both None before the first reset)
                raise ResetNeeded("call reset() without a reset_mask first")
            tree.put(self._state, mask, self._draw(self.task.initial_state, mask, options))
            self._needs_reset[mask] = False
        self._t[mask] = 0
        info: dict[str, Any] = {}
        self._add_reset_info(info, self._state, mask)
        return self.task.observe(self._state), info

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        a = self.task.check_action(actions, self.num_envs)
        if self._needs_reset is None:
            raise ResetNeeded("call reset() before step()")
        mode = self.autoreset_mode
        n_restarting = np.count_nonzero(self._needs_reset)  # count_nonzero: a third of any()'s cost
        if mode is AutoresetMode.DISABLED and n_restarting:
            ended = np.flatnonzero(self._needs_reset)
            listed = ", ".join(map(str, ended[:8])) + (f" and {len(ended) - 8} more" if len(ended) > 8 else "")
            raise ResetNeeded(
                f"sub-envs {listed} have ended and autoreset is disabled: restart them with "
                "reset(options={'reset_mask': mask}) before step()"
            )
        if mode is AutoresetMode.NEXT_STEP and n_restarting:
            restarted, moving = self._needs_reset, ~self._needs_reset
        else:
            restarted = moving = None  # every sub-env moves
        if n_restarting == self.num_envs and restarted is not None:  # every sub-env restarts
            state = self._draw(self.task.initial_state, None, None)
            reward, terminated, info = np.zeros(self.num_envs), np.zeros(self.num_envs, dtype=np.bool_), {}
        else:
            # Every sub-env is stepped, the restarting ones on zero noise: their step is discarded
            # (sub-envs are independent rows), which costs less than taking the moving rows out
            # and putting them back.  The noise is drawn for the moving sub-envs only, as ever.
            state, reward, terminated, info = self.task.transition(self._state, a, self._noise(moving))
            # Gymnasium's dtypes whatever the task computes in (no copy when they already are)
            reward, terminated = np.asarray(reward, dtype=np.float64), np.asarray(terminated, dtype=np.bool_)
            if restarted is not None:
                reward, terminated = np.where(restarted, 0.0, reward), np.where(restarted, False, terminated)
                tree.put(state, restarted, self._draw(self.task.initial_state, restarted, None))
        self._t += 1
        if restarted is None:
            info = batch_info(info, None, self.num_envs)
        else:
            info = restart_info(info, self.task.reset_info(state) if self._has_reset_info else {}, restarted)
            info = batch_info(info, None, self.num_envs)
            self._t[restarted] = 0  # (never truncated now: max_steps >= 1)
        truncated = self._t >= self.max_steps
        if self._truncated_by is not None and self._truncated_by in info:
            truncated |= info["_" + self._truncated_by]
        truncated &= ~terminated
        ended = terminated | truncated
        any_ended = np.count_nonzero(ended) > 0
        if any_ended and self._has_end_info:
            merge_info(info, batch_info(self.task.end_info(state), ended, self.num_envs))
        obs = self.task.observe(state)
        if mode is AutoresetMode.SAME_STEP and any_ended:
            # As Gymnasium's vector envs: the ended sub-envs' step info goes into final_info, and
            # their entries at the top are those of the reset that follows.
            final_obs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(ended):
                final_obs[i] = obs[i]
            final_info = without_rows(info, ~ended)
            info = without_rows(info, ended)
            tree.put(state, ended, self._draw(self.task.initial_state, ended, None))
            self._t[ended] = 0
            self._add_reset_info(info, state, ended)
            info["final_obs"], info["_final_obs"] = final_obs, ended.copy()
            info["final_info"], info["_final_info"] = final_info, ended.copy()
            obs = self.task.observe(state)
            self._needs_reset = np.zeros(self.num_envs, dtype=np.bool_)
        else:
            self._needs_reset = ended
        self._state = state
        return obs, reward, terminated, truncated, info

    def _noise(self, rows: np.ndarray | None) -> tree.Tree:
        """The step noise of every sub-env, drawn for the sub-envs ``rows`` (None: all) and zero in
        the others; nothing for a deterministic task."""
        if not self._draws_noise:
            return None
        noise = self._draw(self.task.sample_noise, rows)
        return noise if rows is None else tree.scatter(noise, rows)

    def _add_reset_info(self, info: dict, state: tree.Tree, rows: np.ndarray) -> None:
        if self._has_reset_info:
            merge_info(info, batch_info(self.task.reset_info(state), rows, self.num_envs))

    def render(self) -> tuple[np.ndarray | None, ...] | None:
        if self.render_mode is None:
            gym.logger.warn("render() without a render_mode: make the env with render_mode='rgb_array'")
            return None
        if self._state is None:
            raise ResetNeeded("call reset() before render()")
        if self._viewer is None:
            self._viewer = Viewer(
                self.render_mode, self.task.canvas_size, self.metadata["render_fps"], type(self).__name__
            )
        return tuple(
            self._viewer.draw(
                lambda pg, surface, i=i: self.task.paint(pg, surface, tree.take(self._state, slice(i, i + 1)), [])
            )
            for i in range(self.num_envs)
        )

    def close_extras(self, **kwargs: Any) -> None:
        if self._viewer is not None:
            self._viewer.close()
            self._viewer = None

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_viewer"] = None
        return state
