"""``import rl_envs`` stays light: numba, scipy and pygame load only when an environment needs them
(registration names entry points as strings; pygame loads on the first render)."""

import json
import subprocess
import sys

HEAVY = ("numba", "scipy", "pygame")


def _heavy_modules_after(code: str) -> list[str]:
    """Which of HEAVY a fresh interpreter has loaded after running ``code``."""
    code += f"\nimport sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_import_loads_none_of_numba_scipy_pygame():
    assert _heavy_modules_after("import rl_envs") == []


def test_the_mazes_and_the_bandit_run_without_them():
    assert (
        _heavy_modules_after("""
import gymnasium as gym
import rl_envs
for env_id in ("rl_envs/GridMaze-v0", "rl_envs/PartiallyObservableMaze-v0", "rl_envs/QuadraticBandit-v0"):
    env = gym.make(env_id)
    env.reset(seed=0)
    env.step(env.action_space.sample())
""")
        == []
    )


def test_the_octopus_and_rendering_load_what_they_need():
    # The counterpart: the checks above would pass vacuously if these never loaded at all.
    loaded = _heavy_modules_after("""
import gymnasium as gym
import rl_envs
gym.make("rl_envs/OctopusArm-v0")
env = gym.make("rl_envs/GridMaze-v0", render_mode="rgb_array")
env.reset(seed=0)
env.render()
""")
    assert {"numba", "pygame"} <= set(loaded)


JAX_STACK = ("jax", "flax", "optax", "gymnax")


def _loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    code += f"\nimport sys, json; print(json.dumps([m for m in {modules!r} if m in sys.modules]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_import_and_every_numpy_env_load_no_jax():
    # The JAX twins are an extra (rl_envs[jax]): only ``import rl_envs.jax`` may bring jax in.
    assert (
        _loaded_after(
            """
import gymnasium as gym
import rl_envs
for env_id in rl_envs.registered_ids():
    env = gym.make(env_id)
    env.reset(seed=0)
    env.step(env.action_space.sample())
""",
            JAX_STACK,
        )
        == []
    )
