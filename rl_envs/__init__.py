"""rl_envs: Gymnasium environments with exact optima, registered under the ``rl_envs/`` namespace.

``import rl_envs`` registers every environment; ``gymnasium.make("rl_envs:rl_envs/GridMaze-v0")``
does the import itself.  Environment modules are imported only when an environment is made.
"""

from typing import Any

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

# id -> (entry point, extra register() arguments)
_ENVIRONMENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "rl_envs/GridMaze-v0": (
        "rl_envs.maze.grid_maze:GridMazeEnv",
        {"vector_entry_point": "rl_envs.maze.grid_maze:GridMazeVectorEnv"},
    ),
    "rl_envs/QuadraticBandit-v0": (
        "rl_envs.bandit:QuadraticBanditEnv",
        {"vector_entry_point": "rl_envs.bandit:QuadraticBanditVectorEnv"},
    ),
    "rl_envs/OctopusArm-v0": (
        "rl_envs.octopus.env:OctopusArmEnv",
        {"vector_entry_point": "rl_envs.octopus.env:OctopusArmVectorEnv"},
    ),
    "rl_envs/LQControl-v0": ("rl_envs.lq:LQControlEnv", {"vector_entry_point": "rl_envs.lq:LQControlVectorEnv"}),
    "rl_envs/PartiallyObservableMaze-v0": (
        "rl_envs.maze.po_maze:PartiallyObservableMazeEnv",
        {"vector_entry_point": "rl_envs.maze.po_maze:PartiallyObservableMazeVectorEnv"},
    ),
    "rl_envs/PendulumSwingUp-v0": (
        "rl_envs.pendulum_swingup:PendulumSwingUpEnv",
        {"vector_entry_point": "rl_envs.pendulum_swingup:PendulumSwingUpVectorEnv"},
    ),
    "rl_envs/PuddleWorld-v0": (
        "rl_envs.puddle_world:PuddleWorldEnv",
        {"vector_entry_point": "rl_envs.puddle_world:PuddleWorldVectorEnv"},
    ),
    "rl_envs/MountainCarRLPark-v0": (
        "rl_envs.mountain_car:MountainCarRLParkEnv",
        {"vector_entry_point": "rl_envs.mountain_car:MountainCarRLParkVectorEnv"},
    ),
    "rl_envs/SwingPendulum-v0": (
        "rl_envs.swing_pendulum:SwingPendulumEnv",
        {"vector_entry_point": "rl_envs.swing_pendulum:SwingPendulumVectorEnv"},
    ),
    "rl_envs/VariableReward-v0": (
        "rl_envs.variable_reward:VariableRewardEnv",
        {"vector_entry_point": "rl_envs.variable_reward:VariableRewardVectorEnv"},
    ),
    "rl_envs/FoodGrid-v0": (
        "rl_envs.food_grid:FoodGridEnv",
        {"vector_entry_point": "rl_envs.food_grid:FoodGridVectorEnv"},
    ),
}


def _register_all() -> None:
    for env_id, (entry_point, extra) in _ENVIRONMENTS.items():
        if env_id not in registry:
            register(id=env_id, entry_point=entry_point, **extra)


_register_all()

ENV_IDS = tuple(_ENVIRONMENTS)


def registered_ids() -> list[str]:
    """Every id in Gymnasium's registry under the ``rl_envs/`` namespace, in registration order:
    ``ENV_IDS`` and any registered since.  The docs (pages, gallery, media) and the default
    comparison cover each of these, so registering an environment is all they need."""
    return [env_id for env_id in registry if env_id.startswith("rl_envs/")]


def __getattr__(name: str):
    # ``rl_envs.check(env)``: the checker (a callable module) is imported only when first used;
    # so are ``rl_envs.expectiles`` and ``rl_envs.quantiles`` (exact, of a discrete distribution).
    import importlib

    if name == "check":
        return importlib.import_module(".check", __name__)
    if name in ("expectiles", "quantiles"):
        return getattr(importlib.import_module(".distributions", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ENV_IDS", "__version__", "check", "expectiles", "quantiles", "registered_ids"]  # pyright: ignore[reportUnsupportedDunderAll] - check, expectiles, quantiles come from __getattr__
