"""JAX twins of the environments: gymnax environments whose dynamics are the NumPy tasks' equations.

``pip install "rl_envs[jax]"``.  ``import rl_envs`` never imports JAX; this subpackage does.

```python
import jax
import rl_envs.jax

env, params = rl_envs.jax.make("GridMaze-v0", layout="dyna_maze")
key = jax.random.key(0)
obs, state = env.reset(key, params)
obs, state, reward, done, info = env.step(key, state, env.action_space(params).sample(key), params)
```

Each twin (:class:`rl_envs.jax.core.Twin`) is a ``gymnax.environments.environment.Environment``:
``env.reset(key, params)``, ``env.step(key, state, action, params)`` with the auto-reset of
gymnax, ``env.default_params``, ``env.observation_space(params)``, ``env.action_space(params)``;
every function ``jax.jit`` and ``jax.vmap`` compile, so gymnax's wrappers and PureJaxRL-style
training run on it unchanged.  ``make`` takes the NumPy environment's arguments (checked by its
task, with the same errors) and ``dtype="float64"`` for double precision (with
``jax_enable_x64``).  :mod:`rl_envs.jax.wrappers` adapts observations and actions for a generic
network (one-hot cells, actions in ``[-1, 1]``).

The octopus arm has no twin (see ``NO_TWIN`` and ``docs/guides/jax.md``).
"""

from __future__ import annotations

import importlib
from typing import Any

# id (as registered under rl_envs/) -> the twin class, imported when first made
TWINS: dict[str, str] = {
    "rl_envs/GridMaze-v0": "rl_envs.jax.grid_maze:GridMaze",
    "rl_envs/QuadraticBandit-v0": "rl_envs.jax.bandit:QuadraticBandit",
    "rl_envs/LQControl-v0": "rl_envs.jax.lq:LQControl",
    "rl_envs/PartiallyObservableMaze-v0": "rl_envs.jax.po_maze:PartiallyObservableMaze",
    "rl_envs/PendulumSwingUp-v0": "rl_envs.jax.pendulum_swingup:PendulumSwingUp",
    "rl_envs/PuddleWorld-v0": "rl_envs.jax.puddle_world:PuddleWorld",
    "rl_envs/MountainCarRLPark-v0": "rl_envs.jax.mountain_car:MountainCarRLPark",
    "rl_envs/SwingPendulum-v0": "rl_envs.jax.swing_pendulum:SwingPendulum",
    "rl_envs/VariableReward-v0": "rl_envs.jax.variable_reward:VariableReward",
    "rl_envs/FoodGrid-v0": "rl_envs.jax.food_grid:FoodGrid",
}
#: registered environments without a twin, and why
NO_TWIN: dict[str, str] = {
    "rl_envs/OctopusArm-v0": (
        "its step is 25 RK4 substeps of a stiff 50-state ODE with contact tests (about 800 lines of "
        "physics), which a C kernel runs SIMD across arms; on a CPU a JAX copy would be slower than that "
        "kernel, so it is worth writing only for accelerator training (not done)"
    ),
}


def registered_ids() -> list[str]:
    """The ids that have a twin, in the order of :func:`rl_envs.registered_ids`."""
    return list(TWINS)


def twin_class(env_id: str) -> type:
    """The twin class of ``env_id`` (``"GridMaze-v0"`` or ``"rl_envs/GridMaze-v0"``)."""
    full = env_id if env_id.startswith("rl_envs/") else f"rl_envs/{env_id}"
    if full in NO_TWIN:
        raise ValueError(f"{env_id} has no JAX twin: {NO_TWIN[full]}")
    if full not in TWINS:
        names = ", ".join(i.removeprefix("rl_envs/") for i in TWINS)
        raise ValueError(f"unknown environment {env_id!r}: the JAX twins are {names}")
    module, name = TWINS[full].split(":")
    return getattr(importlib.import_module(module), name)


def make(env_id: str, dtype: Any = "float32", **kwargs: Any) -> tuple[Any, Any]:
    """``(env, params)`` of the twin of ``env_id`` made with the NumPy environment's ``kwargs``,
    as ``gymnax.make`` returns them; ``dtype``: ``"float32"`` (default) or ``"float64"``."""
    env = twin_class(env_id)(dtype=dtype, **kwargs)
    return env, env.default_params


__all__ = ["NO_TWIN", "TWINS", "make", "registered_ids", "twin_class"]
