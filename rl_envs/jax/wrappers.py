"""Adapters that present a twin as a generic network expects it, as gymnax's ``GymnaxWrapper``
does (attribute access falls through to the wrapped env, so gymnax's and PureJaxRL's wrappers,
such as ``gymnax.wrappers.purerl.LogWrapper``, stack on them)."""

from __future__ import annotations

from functools import partial
from typing import Any

import jax
import jax.numpy as jnp
from gymnax.environments import spaces
from gymnax.wrappers.purerl import GymnaxWrapper


class OneHotObservation(GymnaxWrapper):
    """A ``Discrete(n)`` observation (a maze's cell, a POMDP's observation) as a one-hot vector
    ``Box(0, 1, (n,))``, as Stable-Baselines3 presents it to an MLP."""

    def __init__(self, env: Any):
        super().__init__(env)
        space = env.observation_space(env.default_params)
        if not isinstance(space, spaces.Discrete):
            raise TypeError(f"OneHotObservation needs a Discrete observation space, got {type(space).__name__}")
        self.n = int(space.n)

    def observation_space(self, params: Any) -> spaces.Box:
        return spaces.Box(0.0, 1.0, (self.n,), self._env.dtype)

    def _one_hot(self, obs: jax.Array) -> jax.Array:
        return jax.nn.one_hot(obs, self.n, dtype=self._env.dtype)

    @partial(jax.jit, static_argnames=("self",))
    def reset(self, key: jax.Array, params: Any = None) -> tuple[jax.Array, Any]:
        obs, state = self._env.reset(key, params)
        return self._one_hot(obs), state

    @partial(jax.jit, static_argnames=("self",))
    def step(self, key: jax.Array, state: Any, action: Any, params: Any = None) -> tuple[jax.Array, Any, Any, Any, Any]:
        obs, state, reward, done, info = self._env.step(key, state, action, params)
        return self._one_hot(obs), state, reward, done, info


class NormalizeAction(GymnaxWrapper):
    """A Box action given in ``[-1, 1]`` and mapped linearly onto the env's box, as
    :class:`rl_envs.wrappers.NormalizeAction` does for the NumPy envs (a value outside
    ``[-1, 1]`` lands outside the box, where the env clips it)."""

    def __init__(self, env: Any):
        super().__init__(env)
        space = env.action_space(env.default_params)
        if not isinstance(space, spaces.Box):
            raise TypeError(f"NormalizeAction rescales a Box action space, got {type(space).__name__}")
        self.low, self.high = jnp.asarray(space.low), jnp.asarray(space.high)
        self.shape = space.shape

    def action_space(self, params: Any) -> spaces.Box:
        return spaces.Box(-1.0, 1.0, self.shape, self._env.dtype)

    @partial(jax.jit, static_argnames=("self",))
    def step(self, key: jax.Array, state: Any, action: Any, params: Any = None) -> tuple[jax.Array, Any, Any, Any, Any]:
        action = self.low + (action + 1.0) * 0.5 * (self.high - self.low)
        return self._env.step(key, state, action, params)


def for_networks(env: Any) -> Any:
    """``env`` with a one-hot observation if it is discrete and actions in ``[-1, 1]`` if they are
    a box: what an MLP policy (:mod:`baselines.jax_ppo`) takes."""
    params = env.default_params
    if isinstance(env.observation_space(params), spaces.Discrete):
        env = OneHotObservation(env)
    if isinstance(env.action_space(params), spaces.Box):
        env = NormalizeAction(env)
    return env
