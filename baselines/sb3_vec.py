"""A Gymnasium vector env as Stable-Baselines3's ``VecEnv``, stepping every copy in one call.

SB3 2.x accepts only its own ``VecEnv``, which resets a finished copy within the step that ends
it (``terminal_observation`` in that copy's info, the first observation of the next episode in
the returned batch, its reset info in ``reset_infos``).  The native vector envs of ``rl_envs``
reset a finished copy on the *next* step instead (Gymnasium's ``AutoresetMode.NEXT_STEP``).
:class:`GymnasiumVecEnv` turns one into the other with Gymnasium's partial reset,
``reset(options={"reset_mask": done})``, right after the step: the finished copies start
their next episodes at once and the vector env's own next-step restart never comes.

Seeding follows one generator per vector env: ``seed(s)`` seeds the whole env with ``s`` at the
next ``reset`` (``DummyVecEnv`` seeds copy ``i`` with ``s + i``).  So a deterministic env gives
the same transitions both ways, and a stochastic one the same distribution but other draws.
The copies share one env object: ``get_attr`` gives its attribute for every index,
``env_method`` calls the method once and gives the result for every index, and ``set_attr``
sets it for all copies (a subset is refused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.vector import AutoresetMode
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvWrapper


def _per_env(info: dict, n: int) -> list[dict]:
    """Gymnasium's batched info (``key`` with its mask ``_key``) as SB3's list of per-copy dicts."""
    out = [{} for _ in range(n)]
    for key, values in info.items():
        if key.startswith("_"):
            continue
        mask = info.get(f"_{key}", np.ones(n, dtype=np.bool_))
        for i in np.flatnonzero(mask):
            out[i][key] = values[i]
    return out


class GymnasiumVecEnv(VecEnv):
    """SB3's ``VecEnv`` over a Gymnasium vector env with next-step autoreset and partial reset
    (``reset(options={"reset_mask": mask})``), such as every native vector env of ``rl_envs``."""

    def __init__(self, venv: gym.vector.VectorEnv):
        mode = venv.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if mode != AutoresetMode.NEXT_STEP:
            raise ValueError(f"GymnasiumVecEnv needs a vector env with next-step autoreset, got {mode}")
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        options = self._options[0] if self._options[0] else None
        if any(o != self._options[0] for o in self._options):
            raise ValueError("GymnasiumVecEnv resets all copies with one options dict; set_options gave several")
        obs, info = self.venv.reset(seed=self._seeds[0], options=options)
        self.reset_infos = _per_env(info, self.num_envs)
        self._reset_seeds()
        self._reset_options()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        obs, reward, terminated, truncated, info = self.venv.step(self._actions)
        dones = terminated | truncated
        infos = _per_env(info, self.num_envs)
        for i in range(self.num_envs):
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        if dones.any():
            for i in np.flatnonzero(dones):
                infos[i]["terminal_observation"] = obs[i].copy()
            obs, reset_info = self.venv.reset(options={"reset_mask": dones})
            for i, reset_i in enumerate(_per_env(reset_info, self.num_envs)):
                if dones[i]:
                    self.reset_infos[i] = reset_i
        # DummyVecEnv's buffers: float32 rewards, bool dones
        return obs, reward.astype(np.float32), dones.astype(np.bool_), infos

    def close(self) -> None:
        self.venv.close()

    def get_images(self) -> Sequence[Any]:
        frames = self.venv.render()
        return list(frames) if frames is not None else [None] * self.num_envs

    def get_attr(self, attr_name: str, indices: Any = None) -> list:
        value = getattr(self.venv.unwrapped, attr_name)
        return [value for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        if sorted(self._get_indices(indices)) != list(range(self.num_envs)):
            raise ValueError(
                "the copies of a native vector env share their attributes: set_attr sets them for all "
                "indices (indices=None)"
            )
        setattr(self.venv.unwrapped, attr_name, value)

    def env_method(self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any) -> list:
        result = getattr(self.venv.unwrapped, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False for _ in self._get_indices(indices)]  # no single env exists to wrap


class OneHotObservations(VecEnvWrapper):
    """A ``Discrete(n)`` observation as the one-hot vector of ``Box(0, 1, (n,))`` that SB3's
    policies make of it before their network (``stable_baselines3.common.preprocessing.preprocess_obs``),
    for SBX, whose networks would take the index itself as one number."""

    def __init__(self, venv: VecEnv):
        space = venv.observation_space
        if not isinstance(space, spaces.Discrete):
            raise ValueError(f"OneHotObservations needs Discrete observations, got {space}")
        n = int(space.n)
        super().__init__(venv, observation_space=spaces.Box(0.0, 1.0, (n,), np.float32))
        self._start = int(space.start)
        self._eye = np.eye(n, dtype=np.float32)

    def encode(self, obs: Any) -> np.ndarray:
        """One observation, or a batch of them, one-hot encoded."""
        return self._eye[np.asarray(obs, dtype=np.int64) - self._start]

    def reset(self) -> np.ndarray:
        return self.encode(self.venv.reset())

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        obs, reward, done, infos = self.venv.step_wait()
        for info in infos:
            if "terminal_observation" in info:
                info["terminal_observation"] = self.encode(info["terminal_observation"])
        return self.encode(obs), reward, done, infos
