"""The twin of a task: gymnax's ``Environment`` over pure functions that mirror the NumPy task's.

A twin is made from the NumPy task object (:class:`rl_envs.core.task.Task`), which has already
checked the arguments and derived the constants (a maze's move table, an LQ system discretized,
a POMDP's cumulative tables): the twin copies those numbers into its ``params`` and never
recomputes them, so the two cannot drift apart.  What the task computes for a batch, the twin
computes for one environment (``jax.vmap`` makes the batch), as four pure functions with the
task's names and meaning:

* ``start(noise, params)``: a start state from the random numbers ``sample_start_noise`` draws
  (uniforms or standard normals of ``start_noise_spec()``, the very numbers the NumPy task draws
  from its generator, so that a test can hand both the same draws);
* ``sample_noise(key, params)``: the random numbers of one step, with the structure and meaning
  of the task's ``sample_noise`` (``None`` for deterministic dynamics);
* ``transition(state, action, noise, params)``: ``(state, reward, terminated, info)``;
* ``observe(state, params)``: the observation.

The state is the task's state tree of one environment (no batch axis), wrapped with gymnax's
step count in a :class:`TwinState`.  ``step_env`` composes the four functions and truncates at
``params.max_steps_in_episode`` (the task's ``max_steps``), and gymnax's ``Environment.step``
resets an ended environment within the same step, as every gymnax environment does.  ``info``
holds the task's own entries (every step, not only where the NumPy env has them), and
``terminated``, ``truncated`` and gymnax's ``discount`` (0 on termination).

Reals are float32 by default; ``dtype="float64"`` (which needs ``jax.config.update("jax_enable_x64",
True)``) computes in double precision, as the NumPy tasks do.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np
import jax
import jax.numpy as jnp
from flax import struct
from gymnasium import spaces as gym_spaces
from gymnax.environments import environment, spaces

from ..core.task import Task, build_task


@struct.dataclass
class TwinState(environment.EnvState):
    """One environment's state: gymnax's ``time`` (the steps taken in the episode) and ``inner``,
    the NumPy task's state tree of one environment."""

    time: Any  # an int array under jit (gymnax annotates it int)
    inner: Any


def _real_dtype(dtype: Any) -> Any:
    kind = np.dtype(dtype)
    if kind not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype!r}")
    if kind == np.float64 and not jax.config.read("jax_enable_x64"):
        raise ValueError(
            'dtype="float64" needs 64-bit JAX: call jax.config.update("jax_enable_x64", True) first '
            "(or set JAX_ENABLE_X64=1)"
        )
    return jnp.float64 if kind == np.float64 else jnp.float32


class Twin(environment.Environment[TwinState, Any]):
    """The base of every twin: gymnax's interface over the task's four pure functions."""

    #: the NumPy task this twin mirrors
    task_type: ClassVar[type[Task]]

    def __init__(self, *args: Any, dtype: Any = "float32", **kwargs: Any):
        """The twin of ``task_type(*args, **kwargs)``: the NumPy environment's arguments, checked
        by its task (an unknown one is a TypeError naming those it takes)."""
        task = build_task(self.task_type, type(self).__name__, args, kwargs)
        self._setup(task, dtype)

    @classmethod
    def from_task(cls, task: Task, dtype: Any = "float32") -> Twin:
        """The twin of a task object (the one a NumPy env holds as ``env.unwrapped.task``)."""
        if not isinstance(task, cls.task_type):
            raise ValueError(f"{cls.__name__} mirrors a {cls.task_type.__name__}, got {type(task).__name__}")
        twin = cls.__new__(cls)
        twin._setup(task, dtype)
        return twin

    def _setup(self, task: Task, dtype: Any) -> None:
        # The vector env's view of the task: it refuses what a batch of one program cannot run
        # (a random maze drawn anew at every reset).
        self.task = task.for_env(single=False, render_mode=None)
        self.dtype = _real_dtype(dtype)
        self.int_dtype = jnp.int64 if self.dtype == jnp.float64 else jnp.int32
        self._params = self.params_from_task()

    def real(self, value: Any) -> jax.Array:
        """``value`` as an array of the twin's real dtype."""
        return jnp.asarray(value, dtype=self.dtype)

    def integer(self, value: Any) -> jax.Array:
        """``value`` as an array of the twin's integer dtype."""
        return jnp.asarray(value, dtype=self.int_dtype)

    # -- what a twin defines ---------------------------------------------------------------

    def params_from_task(self) -> Any:
        """The twin's params (a ``flax.struct`` dataclass with ``max_steps_in_episode``) holding
        the task's numbers."""
        raise NotImplementedError

    def start_noise_spec(self) -> tuple[str, tuple[int, ...]] | None:
        """``("uniform" | "normal", shape)`` of the random numbers a start state is made from (the
        task's ``initial_state`` draws them from its generator in that order), or None."""
        return None

    def start(self, noise: jax.Array | None, params: Any) -> Any:
        raise NotImplementedError

    def sample_noise(self, key: jax.Array, params: Any) -> Any:
        return None

    def transition(
        self, state: Any, action: jax.Array, noise: Any, params: Any
    ) -> tuple[Any, jax.Array, jax.Array, dict[str, jax.Array]]:
        raise NotImplementedError

    def observe(self, state: Any, params: Any) -> jax.Array:
        return state.astype(self.dtype)

    def clip_action(self, action: jax.Array, params: Any) -> jax.Array:
        """The action as the NumPy env's ``check_action`` passes it on: a Box action clipped into
        the box (``action_out_of_range = "clip"``), a discrete one as an integer."""
        space = self.task.action_space
        if isinstance(space, gym_spaces.Box):
            return jnp.clip(self.real(action), self.real(space.low), self.real(space.high))
        return jnp.asarray(action, dtype=self.int_dtype)

    # -- gymnax's Environment ----------------------------------------------------------------

    @property
    def default_params(self) -> Any:
        return self._params

    def sample_start_noise(self, key: jax.Array, params: Any) -> jax.Array | None:
        spec = self.start_noise_spec()
        if spec is None:
            return None
        kind, shape = spec
        draw = jax.random.uniform if kind == "uniform" else jax.random.normal
        return draw(key, shape, dtype=self.dtype)

    def reset_env(self, key: jax.Array, params: Any) -> tuple[jax.Array, TwinState]:
        inner = self.start(self.sample_start_noise(key, params), params)
        return self.observe(inner, params), TwinState(time=jnp.zeros((), dtype=self.int_dtype), inner=inner)

    def step_env(
        self, key: jax.Array, state: TwinState, action: Any, params: Any
    ) -> tuple[jax.Array, TwinState, jax.Array, jax.Array, dict[str, Any]]:
        action = self.clip_action(action, params)
        inner, reward, terminated, info = self.transition(state.inner, action, self.sample_noise(key, params), params)
        time = state.time + 1
        terminated = jnp.asarray(terminated, dtype=jnp.bool_)
        truncated = ~terminated & (time >= params.max_steps_in_episode)
        info = {
            **info,
            "terminated": terminated,
            "truncated": truncated,
            "discount": jnp.where(terminated, 0.0, 1.0).astype(self.dtype),
        }
        obs = self.observe(inner, params)
        return obs, TwinState(time=time, inner=inner), self.real(reward), terminated | truncated, info

    def is_terminal(self, state: TwinState, params: Any) -> jax.Array:
        """Whether the episode's step limit is reached (termination is known only to the step)."""
        return state.time >= params.max_steps_in_episode

    @property
    def name(self) -> str:
        return f"{type(self).__name__}-v0"

    @property
    def num_actions(self) -> int:
        space = self.task.action_space
        if isinstance(space, gym_spaces.Discrete):
            return int(space.n)
        return int(np.prod(cast(tuple[int, ...], space.shape)))

    def action_space(self, params: Any = None) -> spaces.Discrete | spaces.Box:
        return self._space(self.task.action_space)

    def observation_space(self, params: Any = None) -> spaces.Discrete | spaces.Box:
        return self._space(self.task.observation_space)

    def _space(self, space: gym_spaces.Space) -> spaces.Discrete | spaces.Box:
        if isinstance(space, gym_spaces.Discrete):
            return spaces.Discrete(int(space.n))
        if isinstance(space, gym_spaces.Box):
            return spaces.Box(self.real(space.low), self.real(space.high), space.shape, self.dtype)
        raise NotImplementedError(f"{type(self).__name__} has no gymnax counterpart of {space}")
