"""The interface every reference agent shares, shaped like a Stable-Baselines3 model.

``Agent(env, **hyperparameters)``, ``.learn(total_timesteps, callback=None, progress_bar=False)``,
``.predict(obs, state=None, episode_start=None, deterministic=True) -> (action, state)``,
``.save(path)`` and ``Agent.load(path, env=None)``.  So SB3's ``evaluate_policy``, the
experiment runner and a user's script treat a tabular Q-learner and an SB3 PPO alike.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import tempfile
from pathlib import Path

import numpy as np
import gymnasium as gym


def make_env(env) -> gym.Env:
    """An env instance, or ``gymnasium.make`` of an id (``rl_envs`` ids register on import)."""
    if isinstance(env, str):
        import rl_envs  # noqa: F401

        return gym.make(env)
    if not isinstance(env, gym.Env):
        raise TypeError(f"env must be a gymnasium.Env or an environment id, got {type(env).__name__}")
    return env


def check_positive(value, name: str, allow_zero: bool = False) -> float:
    """``value`` as a finite positive float (non-negative with ``allow_zero``), or a ValueError naming it."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} finite number, got {value!r}")
    return value


def check_decay(value, name: str) -> float:
    """``value`` as a float in (0, 1), or a ValueError naming it."""
    value = check_positive(value, name)
    if value >= 1:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")
    return value


def rms_normalized(g: np.ndarray, v: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """RMSprop's direction (Tieleman & Hinton 2012): ``v = rho v + (1 - rho) g**2``, ``g / sqrt(v)``.

    An entry's ``v`` starts at its first nonzero ``g**2`` (not ``(1 - rho) g**2``), so its first
    step is +-1 rather than +-1/sqrt(1 - rho); entries that have never had a gradient do not
    move.  Steps with it are in parameter units whatever the gradient's scale: an episode's
    gradient grows with its length and return, and the normalised step does not.
    """
    v = np.where(v > 0, rho * v + (1 - rho) * g**2, g**2)
    return np.divide(g, np.sqrt(v), out=np.zeros_like(g), where=v > 0), v


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` so that readers see the old file or the whole new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private; give it the usual mode
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


class EpisodeLog:
    """What a Monitor wrapper records: return, length and the global step at each episode end."""

    def __init__(self):
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.end_steps: list[int] = []

    def add(self, ret: float, length: int, step: int) -> None:
        self.returns.append(float(ret))
        self.lengths.append(int(length))
        self.end_steps.append(int(step))


class Agent:
    """Base class: environment handling, episode bookkeeping, save/load.

    Subclasses list the arrays that make up their learned state in ``_saved_arrays`` (those added
    in a later version also in ``_optional_arrays``, so that older files still load) and pass
    their hyperparameters to ``super().__init__`` so that ``save``/``load`` round-trip them.
    """

    _saved_arrays: tuple[str, ...] = ()
    _optional_arrays: tuple[str, ...] = ()  # saved arrays that older files may lack

    def __init__(self, env, seed: int | None = None, **hyperparameters):
        if env is None:
            raise ValueError("an environment is needed (pass env=... or an id such as 'rl_envs/GridMaze-v0')")
        self.env = make_env(env)
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space
        self.seed = seed
        self.hyperparameters = dict(hyperparameters, seed=seed)
        self.rng = np.random.default_rng(seed)
        self.num_timesteps = 0
        self.episodes = EpisodeLog()
        self._next_reset_seed = seed
        self._obs = None

    def _reset_env(self):
        """Reset the env, seeding it once from the agent's seed so that a run is reproducible."""
        obs, info = self.env.reset(seed=self._next_reset_seed)
        self._next_reset_seed = None
        return obs, info

    # -- the online interaction loop -----------------------------------------------------------
    # Subclasses that learn from their own experience implement three hooks:
    #   _policy_step(obs) -> (action for env.step, memo for the update)
    #   _learn_step(obs, memo, r, obs2, terminated, truncated)
    #   _learn_episode(terminated) -> True when a stopping test says learning is done

    def _policy_step(self, obs):
        raise NotImplementedError(f"{type(self).__name__} does not learn by interacting")

    def _learn_step(self, obs, memo, r: float, obs2, terminated: bool, truncated: bool) -> None:
        pass

    def _learn_episode(self, terminated: bool) -> bool | None:
        return None

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False):
        """Interact for ``total_timesteps`` steps, learning online.

        ``callback(agent)`` runs after every episode; returning ``False`` stops training, as
        does the agent's own stopping test.  A later call continues the current episode.
        """
        if int(total_timesteps) < 0:
            raise ValueError(f"total_timesteps must be non-negative, got {total_timesteps}")
        bar = progress(int(total_timesteps), progress_bar)
        end = self.num_timesteps + int(total_timesteps)
        if self._obs is None:
            self._obs, _ = self._reset_env()
            self._ep_return, self._ep_len = 0.0, 0
        while self.num_timesteps < end:
            obs = self._obs
            action, memo = self._policy_step(obs)
            obs2, r, terminated, truncated, _ = self.env.step(action)
            r = float(r)
            self.num_timesteps += 1
            self._ep_return += r
            self._ep_len += 1
            self._learn_step(obs, memo, r, obs2, terminated, truncated)
            self._obs = obs2
            bar.update()
            if terminated or truncated:
                stop = self._learn_episode(terminated)
                self.episodes.add(self._ep_return, self._ep_len, self.num_timesteps)
                self._obs, _ = self._reset_env()
                self._ep_return, self._ep_len = 0.0, 0
                if stop or (callback is not None and callback(self) is False):
                    break
        bar.close()
        return self

    # -- SB3-shaped interface ------------------------------------------------------------------

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        raise NotImplementedError

    def get_env(self):
        return self.env

    def save(self, path: str | os.PathLike) -> None:
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        meta = {"class": type(self).__name__, "hyperparameters": self.hyperparameters, "num_timesteps": self.num_timesteps}
        try:
            meta_json = json.dumps(meta)
        except TypeError as e:
            raise TypeError(
                f"cannot save {type(self).__name__}: a hyperparameter is not plain data ({e}); "
                "use numbers, strings, lists (e.g. a (start, end, steps) schedule) instead of callables"
            ) from None
        arrays = {name: np.asarray(getattr(self, name)) for name in self._saved_arrays}
        arrays["__meta__"] = np.frombuffer(meta_json.encode(), dtype=np.uint8)
        arrays["__spaces__"] = np.frombuffer(pickle.dumps((self.observation_space, self.action_space)), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike, env=None):
        path = Path(path)
        if not path.exists() and path.with_suffix(".npz").exists():
            path = path.with_suffix(".npz")
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(data["__meta__"].tobytes().decode())
            if meta["class"] != cls.__name__:
                raise ValueError(f"{path} holds a {meta['class']}, not a {cls.__name__}")
            obs_space, act_space = pickle.loads(data["__spaces__"].tobytes())
            missing = [name for name in cls._saved_arrays if name not in data.files and name not in cls._optional_arrays]
            if missing:
                raise ValueError(f"{path} lacks the arrays {missing} of a {cls.__name__}")
            # an optional array (added after the file was written) keeps its constructor value
            arrays = {name: data[name] for name in cls._saved_arrays if name in data.files}
        if env is None:
            env = _SpacesOnly(obs_space, act_space)
        else:
            env = make_env(env)
        if env.observation_space != obs_space or env.action_space != act_space:
            raise ValueError("the env's spaces differ from the saved agent's")
        agent = cls(env, **meta["hyperparameters"])
        for name, value in arrays.items():
            setattr(agent, name, value.copy())
        agent.num_timesteps = meta["num_timesteps"]
        return agent


class _SpacesOnly(gym.Env):
    """Stands in for an env when a saved agent is loaded only to predict."""

    def __init__(self, observation_space, action_space):
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, *, seed=None, options=None):
        raise RuntimeError("this agent was loaded without an env; pass env= to load() to train it")

    def step(self, action):
        raise RuntimeError("this agent was loaded without an env; pass env= to load() to train it")


def progress(total: int, enabled: bool):
    """A tqdm bar over environment steps, or a no-op stand-in."""
    if enabled:
        from tqdm.auto import tqdm

        return tqdm(total=total, unit="step")

    class _Null:
        def update(self, n=1):
            pass

        def close(self):
            pass

    return _Null()
