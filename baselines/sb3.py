"""Stable-Baselines3 on rl_envs: wrappers, per-environment defaults, training and evaluation.

Defaults live in ``baselines/hyperparams/<algo>.yml`` (installed with the package; ``python -m
baselines hyperparams ppo`` prints the path) in rl-baselines3-zoo's format, so that

    python -m rl_zoo3.train --algo ppo --env rl_envs/GridMaze-v0 --gym-packages rl_envs \\
        --conf-file "$(python -m baselines hyperparams ppo)"

trains with the same settings as :func:`train`.  An entry may set ``n_timesteps``, ``policy``,
``n_envs``, ``normalize``, ``env_wrapper`` (a dotted class, or a list of ``{class: kwargs}``),
``env_kwargs``, ``policy_kwargs`` (a string, as in the zoo), ``lin_<x>`` learning-rate
schedules, and any keyword of the algorithm.
"""

from __future__ import annotations

import importlib
import importlib.resources
import time
import warnings
from pathlib import Path

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401  (registers the environments)

from .common import Agent, EpisodeLog

# Package data, so that an installed wheel finds it as a checkout does.
HYPERPARAMS_DIR = importlib.resources.files(__package__) / "hyperparams"
ALGOS = ("a2c", "dqn", "ppo", "sac", "td3")
# Keys of a zoo entry that describe the environment or the run rather than the algorithm.
_ZOO_ENV_KEYS = ("n_timesteps", "policy", "n_envs", "normalize", "env_wrapper", "env_kwargs",
                 "frame_stack", "callback", "vec_env_wrapper", "monitor_kwargs")


def _algo_class(algo: str):
    import stable_baselines3

    if algo.lower() not in ALGOS:
        raise ValueError(f"unknown SB3 algorithm {algo!r}; choose from {', '.join(ALGOS)}")
    return getattr(stable_baselines3, algo.upper())


def hyperparams_file(algo: str):
    """The installed ``hyperparams/<algo>.yml`` (what rl_zoo3's ``--conf-file`` takes)."""
    path = HYPERPARAMS_DIR / f"{algo.lower()}.yml"
    if not path.is_file():
        raise ValueError(f"no defaults for algorithm {algo!r} (expected {path}); choose from {', '.join(ALGOS)}")
    return path


def load_hyperparams(algo: str, env_id: str) -> dict:
    """The zoo-format entry for ``env_id`` in ``hyperparams/<algo>.yml`` (a copy)."""
    import yaml

    path = hyperparams_file(algo)
    entries = yaml.safe_load(path.read_text()) or {}
    if env_id not in entries:
        raise ValueError(f"{path.name} has no entry for {env_id!r}; entries: {', '.join(entries)}")
    return dict(entries[env_id])


def _import(dotted: str):
    module, _, name = dotted.rpartition(".")
    if not module:
        raise ValueError(f"expected a dotted path such as 'gymnasium.wrappers.RescaleAction', got {dotted!r}")
    return getattr(importlib.import_module(module), name)


def _wrapper_specs(spec) -> list[tuple[type, dict]]:
    """The zoo's ``env_wrapper`` value as ``[(class, kwargs), ...]``."""
    if spec is None:
        return []
    items = spec if isinstance(spec, list) else [spec]
    out = []
    for item in items:
        if isinstance(item, str):
            out.append((_import(item), {}))
        elif isinstance(item, dict) and len(item) == 1:
            (name, kwargs), = item.items()
            out.append((_import(name), dict(kwargs or {})))
        else:
            raise ValueError(f"env_wrapper entries are dotted names or {{name: kwargs}}, got {item!r}")
    return out


def make_env(env_id: str, env_kwargs: dict | None = None, env_wrapper=None, render_mode: str | None = None):
    """One environment as SB3 wants it: the zoo wrappers, then ``Monitor``."""
    from stable_baselines3.common.monitor import Monitor

    env = gym.make(env_id, render_mode=render_mode, **(env_kwargs or {}))
    for cls, kwargs in _wrapper_specs(env_wrapper):
        with warnings.catch_warnings():
            # YAML gives RescaleAction Python floats for a float32 box: exact at +-1, so not worth a warning.
            warnings.filterwarnings("ignore", message=".*precision lowered by casting to float32")
            env = cls(env, **kwargs)
    return Monitor(env)


def make_vec_env(env_id: str, n_envs: int = 1, seed: int = 0, env_kwargs: dict | None = None,
                 env_wrapper=None, normalize=False, gamma: float = 0.99):
    """A seeded ``DummyVecEnv`` (sub-env ``i`` seeded ``seed + i``), optionally ``VecNormalize``d.

    ``normalize`` is False, True, or the zoo's dict/string of ``VecNormalize`` keywords.
    """
    from stable_baselines3.common.vec_env import DummyVecEnv, VecNormalize

    if not isinstance(n_envs, int) or n_envs < 1:
        raise ValueError(f"n_envs must be a positive int, got {n_envs!r}")
    venv = DummyVecEnv([lambda: make_env(env_id, env_kwargs, env_wrapper) for _ in range(n_envs)])
    venv.seed(seed)
    if normalize:
        kwargs = normalize if isinstance(normalize, dict) else {}
        if isinstance(normalize, str):
            import ast

            kwargs = ast.literal_eval(normalize)
        venv = VecNormalize(venv, gamma=gamma, **kwargs)
    return venv


def _algo_kwargs(hp: dict, action_space) -> dict:
    """Translate the algorithm part of a zoo entry into SB3 keyword arguments."""
    kwargs = {k: v for k, v in hp.items() if k not in _ZOO_ENV_KEYS}
    noise_type = kwargs.pop("noise_type", None)
    noise_std = kwargs.pop("noise_std", 0.1)
    if noise_type is not None:
        from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise

        kinds = {"normal": NormalActionNoise, "ornstein-uhlenbeck": OrnsteinUhlenbeckActionNoise}
        if noise_type not in kinds:
            raise ValueError(f"noise_type must be one of {sorted(kinds)}, got {noise_type!r}")
        n = int(np.prod(action_space.shape))
        kwargs["action_noise"] = kinds[noise_type](mean=np.zeros(n), sigma=noise_std * np.ones(n))
    for key, value in list(kwargs.items()):
        if isinstance(value, str) and value.startswith("lin_"):
            start = float(value[4:])
            kwargs[key] = lambda progress, start=start: progress * start
    if isinstance(kwargs.get("policy_kwargs"), str):
        from torch import nn  # noqa: F401  (the zoo's policy_kwargs strings name nn.*)

        kwargs["policy_kwargs"] = eval(kwargs["policy_kwargs"], {"nn": nn, "dict": dict})  # the zoo's own convention
    for key in ("buffer_size", "learning_starts", "n_steps", "batch_size", "train_freq", "gradient_steps"):
        if isinstance(kwargs.get(key), float):
            kwargs[key] = int(kwargs[key])
    return kwargs


class EpisodeRecorder:
    """An SB3 callback that logs every finished episode (Monitor's ``info['episode']``)."""

    def __new__(cls, log: EpisodeLog):
        from stable_baselines3.common.callbacks import BaseCallback

        class _Recorder(BaseCallback):
            def _on_step(self) -> bool:
                for info in self.locals.get("infos", ()):
                    ep = info.get("episode")
                    if ep is not None:
                        log.add(ep["r"], ep["l"], self.num_timesteps)
                return True

        return _Recorder()


def train(algo: str, env_id: str, total_timesteps: int | None = None, seed: int = 0, hyperparams: dict | None = None,
          env_kwargs: dict | None = None, progress_bar: bool = False, tensorboard_log: str | None = None,
          episode_log: EpisodeLog | None = None):
    """Train an SB3 algorithm with the defaults of ``hyperparams/<algo>.yml`` (overridden by ``hyperparams``).

    Returns the model; its env is the (possibly normalised) training ``VecEnv``.
    """
    hp = load_hyperparams(algo, env_id)
    hp.update(hyperparams or {})
    steps = int(total_timesteps if total_timesteps is not None else hp.get("n_timesteps", 10_000))
    if steps <= 0:
        raise ValueError(f"total_timesteps must be positive, got {steps}")
    venv = make_vec_env(env_id, int(hp.get("n_envs", 1)), seed, {**hp.get("env_kwargs", {}), **(env_kwargs or {})},
                        hp.get("env_wrapper"), hp.get("normalize", False), hp.get("gamma", 0.99))
    kwargs = _algo_kwargs(hp, venv.action_space)
    model = _algo_class(algo)(hp.get("policy", "MlpPolicy"), venv, seed=seed, verbose=0,
                              tensorboard_log=tensorboard_log, device="cpu", **kwargs)
    callback = EpisodeRecorder(episode_log) if episode_log is not None else None
    model.learn(steps, callback=callback, progress_bar=progress_bar)
    return model


def evaluate(model, env_id: str, n_eval_episodes: int = 10, seed: int = 0, deterministic: bool = True,
             env_kwargs: dict | None = None, hyperparams: dict | None = None, algo: str | None = None):
    """Mean and std of the episode return on a fresh env built like the training one.

    When the model trained under ``VecNormalize``, its observation statistics are reused with
    training switched off and rewards left raw, so the return is in the environment's units.
    """
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecNormalize

    hp = dict(load_hyperparams(algo, env_id) if algo else {}, **(hyperparams or {}))
    venv = make_vec_env(env_id, 1, seed, {**hp.get("env_kwargs", {}), **(env_kwargs or {})}, hp.get("env_wrapper"))
    train_env = model.get_env()
    if isinstance(train_env, VecNormalize):
        venv = VecNormalize(venv, training=False, norm_reward=False, norm_obs=train_env.norm_obs)
        venv.obs_rms = train_env.obs_rms
    return evaluate_policy(model, venv, n_eval_episodes=n_eval_episodes, deterministic=deterministic)


class SB3Agent(Agent):
    """An SB3 algorithm behind the reference agents' interface, for side-by-side runs.

    ``SB3Agent(env_id, algo="ppo", seed=0, **hyperparameters)``; the defaults come from
    ``hyperparams/<algo>.yml``.  ``predict`` takes raw observations (it applies the
    training-time observation normalisation itself).
    """

    def __init__(self, env, algo: str = "ppo", seed: int | None = 0, env_kwargs: dict | None = None, **hyperparameters):
        if not isinstance(env, str):
            spec = getattr(env, "spec", None)
            if spec is None:
                raise ValueError("SB3Agent needs an environment id (or an env made with gymnasium.make)")
            env_kwargs = {**spec.kwargs, **(env_kwargs or {})}
            env = spec.id
        super().__init__(gym.make(env, **(env_kwargs or {})), seed=seed, algo=algo, env_kwargs=env_kwargs or {},
                         **hyperparameters)
        _algo_class(algo)
        self.env_id, self.algo, self.env_kwargs = env, algo.lower(), env_kwargs or {}
        self.model = None

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False):
        hyper = {k: v for k, v in self.hyperparameters.items() if k not in ("seed", "algo", "env_kwargs")}
        t0 = time.perf_counter()
        self.model = train(self.algo, self.env_id, total_timesteps, seed=self.seed or 0, hyperparams=hyper,
                           env_kwargs=self.env_kwargs, progress_bar=progress_bar, episode_log=self.episodes)
        self.wall_time = time.perf_counter() - t0
        self.num_timesteps = self.model.num_timesteps
        return self

    def make_eval_env(self, render_mode: str | None = None):
        """A fresh env with the training wrappers (e.g. rescaled actions), as ``predict`` expects."""
        wrapper = load_hyperparams(self.algo, self.env_id).get("env_wrapper")
        return make_env(self.env_id, self.env_kwargs, wrapper, render_mode)

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        from stable_baselines3.common.vec_env import VecNormalize

        if self.model is None:
            raise RuntimeError("call learn() (or load()) before predict()")
        venv = self.model.get_env()
        obs = observation
        if isinstance(venv, VecNormalize):
            obs = venv.normalize_obs(np.asarray(observation, dtype=np.float32))
        return self.model.predict(obs, state, episode_start, deterministic)

    def save(self, path) -> None:
        """``<path>.zip`` (the SB3 model), ``<path>.json`` (how to rebuild it) and, under
        ``VecNormalize``, ``<path>.vecnormalize.pkl`` (the observation statistics)."""
        import json

        from stable_baselines3.common.vec_env import VecNormalize

        from .common import atomic_write_bytes

        if self.model is None:
            raise RuntimeError("nothing to save: call learn() first")
        path = Path(path).with_suffix("")
        self.model.save(path.with_suffix(".zip"))
        venv = self.model.get_env()
        if isinstance(venv, VecNormalize):
            venv.save(str(path) + ".vecnormalize.pkl")
        meta = {"env_id": self.env_id, "algo": self.algo, "hyperparameters": self.hyperparameters}
        atomic_write_bytes(path.with_suffix(".json"), json.dumps(meta).encode())

    @classmethod
    def load(cls, path, env=None):
        import json

        from stable_baselines3.common.vec_env import VecNormalize

        path = Path(path).with_suffix("")
        meta = json.loads(path.with_suffix(".json").read_text())
        hyper = dict(meta["hyperparameters"])
        agent = cls(meta["env_id"], **hyper)
        venv = make_vec_env(agent.env_id, 1, 0, agent.env_kwargs,
                            load_hyperparams(agent.algo, agent.env_id).get("env_wrapper"))
        stats = Path(str(path) + ".vecnormalize.pkl")
        if stats.exists():
            venv = VecNormalize.load(str(stats), venv)
            venv.training = False
        agent.model = _algo_class(agent.algo).load(path.with_suffix(".zip"), env=venv, device="cpu")
        agent.num_timesteps = agent.model.num_timesteps
        return agent
