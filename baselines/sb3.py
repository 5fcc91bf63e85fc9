"""Stable-Baselines3 on rl_envs: wrappers, per-environment defaults, training and evaluation.

Defaults live in ``baselines/hyperparams/<algo>.yml`` (installed with the package; ``python -m
baselines hyperparams ppo`` prints the path) in rl-baselines3-zoo's format, so that

    python -m rl_zoo3.train --algo ppo --env rl_envs/GridMaze-v0 --gym-packages rl_envs \\
        --conf-file "$(python -m baselines hyperparams ppo)"

trains with the same settings as :func:`train`.  Each file's ``default`` entry (Stable-Baselines3's
own defaults) serves every id without an entry of its own.  An entry may set ``n_timesteps``,
``policy``, ``n_envs``, ``normalize``, ``env_wrapper`` (a dotted class, or a list of
``{class: kwargs}``), ``env_kwargs``, ``policy_kwargs`` (a string, as in the zoo), ``lin_<x>``
learning-rate schedules, and any keyword of the algorithm.

:func:`build_model` and :func:`train` take the algorithm from Stable-Baselines3, or with
``backend="sbx"`` from SBX (the ``sbx-rl`` package, SB3's JAX port with the same API and
keywords), which trained SAC 1.2 to 1.4 times as fast on this project's CPU, DQN as fast and
PPO slower, its JIT compilation not repaid (``docs/benchmarks.md``).  SBX is not in the
project's lock (sbx-rl requires tfp-nightly): ``pip install sbx-rl`` brings it.
"""

from __future__ import annotations

import importlib
import importlib.resources
import os
import time
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Self, cast

import numpy as np
import gymnasium as gym

import rl_envs  # registers the environments
from rl_envs.validation import integer

from .agent import Agent, timesteps
from .agent_files import AGENT_FILE_FORMAT, AgentFileError, saved_spaces, space_to_json
from .episodes import EpisodeLog
from .io import atomic_write_bytes

# Package data, so that an installed wheel finds it as a checkout does.
HYPERPARAMS_DIR = importlib.resources.files("baselines") / "hyperparams"
ALGOS = ("a2c", "dqn", "ppo", "sac", "td3")
# Where an algorithm's class comes from: Stable-Baselines3 (PyTorch) or SBX (sbx-rl, JAX), which
# implements these of ALGOS.
BACKENDS = ("sb3", "sbx")
SBX_ALGOS = ("dqn", "ppo", "sac", "td3")
# Keys of a zoo entry that describe the environment or the run rather than the algorithm.
_ZOO_ENV_KEYS = (
    "n_timesteps",
    "policy",
    "n_envs",
    "normalize",
    "env_wrapper",
    "env_kwargs",
    "frame_stack",
    "callback",
    "vec_env_wrapper",
    "monitor_kwargs",
)


def _algo_class(algo: str, backend: str = "sb3"):
    if algo.lower() not in ALGOS:
        raise ValueError(f"unknown SB3 algorithm {algo!r}; choose from {', '.join(ALGOS)}")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {backend!r}")
    if backend == "sbx":
        if algo.lower() not in SBX_ALGOS:
            raise ValueError(f"backend='sbx' has no {algo.upper()}; SBX implements {', '.join(SBX_ALGOS)}")
        try:
            import sbx  # pyright: ignore[reportMissingImports] - sbx-rl is outside the lock (it requires tfp-nightly)
        except ImportError:
            raise ImportError(
                "backend='sbx' needs SBX, which is not installed: pip install sbx-rl (not in the project's lock)"
            ) from None
        return getattr(sbx, algo.upper())
    import stable_baselines3

    return getattr(stable_baselines3, algo.upper())


def hyperparams_file(algo: str) -> Traversable:
    """The installed ``hyperparams/<algo>.yml`` (what rl_zoo3's ``--conf-file`` takes)."""
    path = HYPERPARAMS_DIR / f"{algo.lower()}.yml"
    if not path.is_file():
        raise ValueError(f"no defaults for algorithm {algo!r} (expected {path}); choose from {', '.join(ALGOS)}")
    return path


def load_hyperparams(algo: str, env_id: str) -> dict:
    """The zoo-format entry for ``env_id`` in ``hyperparams/<algo>.yml`` (a copy), or the file's
    ``default`` entry for an id without one, as rl_zoo3 reads it: a newly registered environment
    trains before anyone tunes it."""
    import yaml

    path = hyperparams_file(algo)
    entries = yaml.safe_load(path.read_text()) or {}
    if env_id not in entries and "default" not in entries:
        raise ValueError(
            f"{path.name} has no entry for {env_id!r} and no 'default' entry; entries: {', '.join(entries)}"
        )
    return dict(entries[env_id] if env_id in entries else entries["default"])


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
            ((name, kwargs),) = item.items()
            out.append((_import(name), dict(kwargs or {})))
        else:
            raise ValueError(f"env_wrapper entries are dotted names or {{name: kwargs}}, got {item!r}")
    return out


def make_env(
    env_id: str, env_kwargs: dict | None = None, env_wrapper: Any = None, render_mode: str | None = None
) -> gym.Env:
    """One environment as SB3 wants it: the zoo wrappers, then ``Monitor``."""
    from stable_baselines3.common.monitor import Monitor

    env = gym.make(env_id, render_mode=render_mode, **(env_kwargs or {}))
    for cls, kwargs in _wrapper_specs(env_wrapper):
        env = cls(env, **kwargs)
    return Monitor(env)


VEC_ENV_KINDS = ("auto", "native", "dummy")


def make_vec_env(
    env_id: str,
    n_envs: int = 1,
    seed: int = 0,
    env_kwargs: dict | None = None,
    env_wrapper: Any = None,
    normalize: bool | dict | str = False,
    gamma: float = 0.99,
    vec_env: str = "auto",
) -> Any:
    """A seeded SB3 ``VecEnv`` of ``n_envs`` copies, optionally ``VecNormalize``d.

    ``vec_env="auto"`` steps the env's native vector env in one call per step
    (:class:`baselines.sb3_vec.GymnasiumVecEnv` under ``VecMonitor``, seeded ``seed``) where the
    env registers one, and is otherwise a ``DummyVecEnv`` of ``Monitor``-ed single envs (copy
    ``i`` seeded ``seed + i``).  ``env_wrapper`` entries wrap single envs (the zoo's meaning): the
    native vector env is used only if every one has a vector counterpart in
    ``rl_envs.wrappers.VECTOR_WRAPPERS`` (``NormalizeAction`` has), which then wraps it; any other
    wrapper takes the ``DummyVecEnv``.  ``"native"`` insists on the native vector env,
    ``"dummy"`` on the ``DummyVecEnv``.
    ``normalize`` is False, True, or the zoo's dict/string of ``VecNormalize`` keywords.
    """
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor, VecNormalize

    n_envs = integer(n_envs, "n_envs")
    if vec_env not in VEC_ENV_KINDS:
        raise ValueError(f"vec_env must be one of {', '.join(map(repr, VEC_ENV_KINDS))}, got {vec_env!r}")
    from rl_envs.wrappers import VECTOR_WRAPPERS

    wrappers = _wrapper_specs(env_wrapper)
    vectorizable = all(cls in VECTOR_WRAPPERS and not kwargs for cls, kwargs in wrappers)
    native = gym.spec(env_id).vector_entry_point is not None and vectorizable
    if vec_env == "native" and not native:
        raise ValueError(
            f"vec_env='native': {env_id} has no native vector env"
            if vectorizable
            else f"vec_env='native': env_wrapper {env_wrapper!r} wraps single envs and has no vector "
            "counterpart in rl_envs.wrappers.VECTOR_WRAPPERS; use vec_env='dummy' or 'auto'"
        )
    if native and vec_env != "dummy":
        from .sb3_vec import GymnasiumVecEnv

        venv = gym.make_vec(env_id, num_envs=n_envs, vectorization_mode="vector_entry_point", **(env_kwargs or {}))
        for cls, _ in wrappers:
            venv = VECTOR_WRAPPERS[cls](venv)
        venv = VecMonitor(GymnasiumVecEnv(venv))
    else:
        venv = DummyVecEnv([lambda: make_env(env_id, env_kwargs, env_wrapper) for _ in range(n_envs)])
    venv.seed(seed)
    if normalize:
        kwargs = normalize if isinstance(normalize, dict) else {}
        if isinstance(normalize, str):
            import ast

            kwargs = ast.literal_eval(normalize)
        venv = VecNormalize(venv, gamma=gamma, **kwargs)
    return venv


def _per_episode(callback) -> bool:
    """A function ``callback(agent)`` of the agent protocol, rather than one of SB3's callbacks."""
    return callable(callback) and not hasattr(callback, "on_step")


def _algo_kwargs(hp: dict, action_space, backend: str = "sb3") -> dict:
    """Translate the algorithm part of a zoo entry into SB3 (or SBX) keyword arguments."""
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
        names: dict[str, Any] = {"dict": dict}
        if backend == "sb3":  # the zoo's policy_kwargs strings name nn.*; SBX's networks are flax modules
            from torch import nn

            names["nn"] = nn
        try:
            kwargs["policy_kwargs"] = eval(kwargs["policy_kwargs"], names)  # the zoo's own convention
        except NameError as e:
            if backend == "sb3":
                raise
            raise ValueError(
                f"policy_kwargs {kwargs['policy_kwargs']!r} names {e.name!r}: with backend='sbx' it may hold "
                "sizes and numbers (net_arch, ...), not torch's nn classes"
            ) from None
    for key in ("buffer_size", "learning_starts", "n_steps", "batch_size", "train_freq", "gradient_steps"):
        if isinstance(kwargs.get(key), float):
            kwargs[key] = int(kwargs[key])
    return kwargs


class EpisodeRecorder:
    """An SB3 callback that logs every finished episode (Monitor's ``info['episode']``) in ``log``
    and then calls ``per_episode()``, if given; a False from it stops training."""

    def __new__(cls, log: EpisodeLog, per_episode=None):
        from stable_baselines3.common.callbacks import BaseCallback

        class _Recorder(BaseCallback):
            def _on_step(self) -> bool:
                go = True
                for info in self.locals.get("infos", ()):
                    ep = info.get("episode")
                    if ep is not None:
                        log.add(ep["r"], ep["l"], self.num_timesteps)
                        go = go and (per_episode is None or per_episode() is not False)
                return go

        return _Recorder()


def _check_sbx_kwargs(algo_cls, kwargs: dict) -> None:
    """A ValueError naming the keywords of a zoo entry that SBX's ``algo_cls`` does not take
    (SB3 has some SBX lacks, such as DQN's ``max_grad_norm``), and the one network shape SBX's
    DQN cannot build: its Q-network has two hidden layers of ``net_arch[0]`` units."""
    import inspect

    own = inspect.signature(algo_cls.__init__).parameters
    missing = sorted(set(kwargs) - set(own))
    if missing:
        raise ValueError(
            f"SBX's {algo_cls.__name__} does not take {', '.join(missing)} (set by the yml or hyperparams)"
        )
    net_arch = (kwargs.get("policy_kwargs") or {}).get("net_arch")
    if algo_cls.__name__ == "DQN" and net_arch is not None and (len(net_arch) != 2 or net_arch[0] != net_arch[1]):
        raise ValueError(f"SBX's DQN builds two hidden layers of one width; net_arch {net_arch!r} is not [n, n]")


def _sbx_observations(venv):
    """``venv`` as SBX's networks should see it: Discrete observations one-hot encoded, as SB3's
    policies encode them (:class:`~baselines.sb3_vec.OneHotObservations`); others as they are."""
    from gymnasium import spaces

    if not isinstance(venv.observation_space, spaces.Discrete):
        return venv
    from .sb3_vec import OneHotObservations

    return OneHotObservations(venv)


def build_model(
    algo: str,
    env_id: str,
    seed: int = 0,
    hyperparams: dict | None = None,
    env_kwargs: dict | None = None,
    tensorboard_log: str | None = None,
    backend: str = "sb3",
) -> Any:
    """An untrained SB3 model with the defaults of ``hyperparams/<algo>.yml`` (overridden by
    ``hyperparams``) on its (possibly normalised) training ``VecEnv``; with ``backend="sbx"``,
    SBX's model of the algorithm (:data:`SBX_ALGOS`) with the same keywords and ``VecEnv``, whose
    Discrete observations it sees one-hot encoded (as SB3's networks see them; its ``predict``
    takes them so, and :func:`evaluate` encodes them)."""
    algo_cls = _algo_class(algo, backend)  # before any env is built: a bad name fails at once
    hp = load_hyperparams(algo, env_id)
    hp.update(hyperparams or {})
    venv = make_vec_env(
        env_id,
        int(hp.get("n_envs", 1)),
        seed,
        {**hp.get("env_kwargs", {}), **(env_kwargs or {})},
        hp.get("env_wrapper"),
        hp.get("normalize", False),
        hp.get("gamma", 0.99),
    )
    kwargs = _algo_kwargs(hp, venv.action_space, backend)
    if backend == "sbx":
        _check_sbx_kwargs(algo_cls, kwargs)
        venv = _sbx_observations(venv)
    model = algo_cls(
        hp.get("policy", "MlpPolicy"),
        venv,
        seed=seed,
        verbose=0,
        tensorboard_log=tensorboard_log,
        device="cpu",
        **kwargs,
    )
    if tensorboard_log is None:
        from stable_baselines3.common.logger import Logger

        # SB3's default logger makes a folder SB3-<date> in the temp dir on every learn(), kept forever.
        model.set_logger(Logger(folder=None, output_formats=[]))
    return model


def train(
    algo: str,
    env_id: str,
    total_timesteps: int | None = None,
    seed: int = 0,
    hyperparams: dict | None = None,
    env_kwargs: dict | None = None,
    progress_bar: bool = False,
    tensorboard_log: str | None = None,
    callback: Any = None,
    backend: str = "sb3",
) -> Any:
    """Train an SB3 algorithm with the defaults of ``hyperparams/<algo>.yml`` (overridden by
    ``hyperparams``) for ``total_timesteps`` (default: the entry's ``n_timesteps``), with any
    callback SB3 takes; ``backend="sbx"`` trains SBX's implementation instead (:func:`build_model`).
    Returns the model; its env is the training ``VecEnv``."""
    if total_timesteps is None:
        total_timesteps = {**load_hyperparams(algo, env_id), **(hyperparams or {})}.get("n_timesteps", 10_000)
    steps = _positive_timesteps(total_timesteps)
    model = build_model(algo, env_id, seed, hyperparams, env_kwargs, tensorboard_log, backend)
    return model.learn(steps, callback=callback, progress_bar=progress_bar)


def _positive_timesteps(total_timesteps) -> int:
    steps = timesteps(total_timesteps)
    if steps == 0:
        raise ValueError("total_timesteps must be positive: an SB3 model needs at least one rollout")
    return steps


def training_problem(venv: Any) -> dict:
    """The constructor arguments of the problem a model learned, where the env's seeded reset
    draws one (the bandit's ``C``: ``problem_kwargs()``), so that an evaluation env made with them
    poses the same problem whatever its seeds; ``{}`` for every other env and for no ``venv``.
    Of a ``DummyVecEnv``, whose copies each drew their own, the first copy's."""
    if venv is None:
        return {}
    try:
        (problem,) = venv.env_method("problem_kwargs", indices=[0])
    except AttributeError:  # a task that draws no problem (every env here but the bandit)
        return {}
    return problem


def evaluate(
    model: Any,
    env_id: str,
    n_eval_episodes: int = 10,
    seed: int = 0,
    deterministic: bool = True,
    env_kwargs: dict | None = None,
    hyperparams: dict | None = None,
    algo: str | None = None,
) -> tuple[float, float]:
    """Mean and std of the episode return on a fresh env built like the training one, on the
    problem the model learned (:func:`training_problem`).

    When the model trained under ``VecNormalize`` with normalised observations, its observation
    statistics (and clipping) are reused with training switched off; rewards are always left
    raw, so the return is in the environment's units.  A reward-only ``VecNormalize`` (as in
    ``ppo.yml``'s LQControl entry) needs no evaluation wrapper at all.
    """
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecNormalize

    hp = dict(load_hyperparams(algo, env_id) if algo else {}, **(hyperparams or {}))
    # One copy gains nothing from the native vector env; the DummyVecEnv keeps the seeding of before.
    train_env = model.get_env()
    kwargs = {**hp.get("env_kwargs", {}), **(env_kwargs or {}), **training_problem(train_env)}
    venv = make_vec_env(env_id, 1, seed, kwargs, hp.get("env_wrapper"), vec_env="dummy")
    if model.observation_space != venv.observation_space:  # an SBX model of Discrete observations
        venv = _sbx_observations(venv)
    if isinstance(train_env, VecNormalize) and train_env.norm_obs:
        # Only a VecNormalize with norm_obs has obs_rms; without it the attribute lookup falls
        # through to the wrapped DummyVecEnv and fails.
        venv = VecNormalize(
            venv, training=False, norm_reward=False, clip_obs=train_env.clip_obs, epsilon=train_env.epsilon
        )
        venv.obs_rms = train_env.obs_rms
    return cast(
        tuple[float, float], evaluate_policy(model, venv, n_eval_episodes=n_eval_episodes, deterministic=deterministic)
    )


# Keys of a zoo entry, beyond the algorithm's own keywords, that SB3Agent's training honours.
_AGENT_ZOO_KEYS = ("policy", "n_envs", "normalize", "env_wrapper", "noise_type", "noise_std")
# Attributes SB3 stores pickled that only a run in progress uses: a loaded model starts without them.
_SB3_RUN_STATE = (
    "lr_schedule",
    "exploration_schedule",
    "_last_obs",
    "_last_episode_starts",
    "_last_original_obs",
    "ep_info_buffer",
    "ep_success_buffer",
)


def _read_zip_data(path: Path) -> dict:
    """The JSON ``data`` entry of an SB3 model file, after checking every entry's CRC."""
    import json
    import zipfile

    if not path.exists():
        raise AgentFileError(path, "does not exist (SB3Agent.save writes <path>.zip and <path>.json)")
    try:
        with zipfile.ZipFile(path) as z:
            damaged = z.testzip()
            if damaged is not None:
                raise AgentFileError(path, f"entry {damaged!r} is damaged")
            if "data" not in z.namelist():
                raise AgentFileError(path, "is truncated or not a Stable-Baselines3 model (it has no 'data' entry)")
            data = json.loads(z.read("data").decode("utf-8"))
    except (zipfile.BadZipFile, EOFError, OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AgentFileError(path, f"is not a readable Stable-Baselines3 model: truncated or damaged ({e})") from None
    if not isinstance(data, dict):
        raise AgentFileError(path, "its 'data' entry is not a JSON mapping")
    return data


def _check_algorithm(algo_cls, data: dict, path: Path) -> None:
    """An AgentFileError unless SB3's ``data`` holds a policy of ``algo_cls``.  SB3 keeps an
    algorithm's policies in one module (A2C and PPO share theirs, and can load each other's)."""

    def module(algo_cls):
        return {cls.__module__ for cls in algo_cls.policy_aliases.values()}

    saved = data.get("policy_class", {}).get("__module__") if isinstance(data.get("policy_class"), dict) else None
    if saved not in module(algo_cls):
        holds = (
            " or ".join(a.upper() for a in ALGOS if saved in module(_algo_class(a)))
            or f"an unknown algorithm (policy module {saved})"
        )
        raise AgentFileError(path, f"holds a model of {holds}, but its .json names {algo_cls.__name__}")


def _stand_ins(algo_cls, data: dict, policy: str, spaces, path: Path) -> dict:
    """Replacements for every entry of SB3's ``data`` that SB3 would unpickle (``custom_objects``).

    The policy class comes from the algorithm, the spaces from our .json or the env; schedules
    and buffers get the algorithm's defaults or nothing, as they only matter when training.
    """
    import inspect

    defaults = {
        name: p.default
        for name, p in inspect.signature(algo_cls.__init__).parameters.items()
        if p.default is not p.empty
    }
    if policy not in algo_cls.policy_aliases:
        raise AgentFileError(
            path, f"names the policy {policy!r}; {algo_cls.__name__} has {', '.join(algo_cls.policy_aliases)}"
        )
    policy_class = algo_cls.policy_aliases[policy]
    stand_ins = {}
    for key, value in data.items():
        if not (isinstance(value, dict) and ":serialized:" in value):
            continue
        if key == "policy_class":
            stand_ins[key] = policy_class
        elif key in ("observation_space", "action_space"):
            stand_ins[key] = spaces[key == "action_space"]
        elif key in defaults:
            stand_ins[key] = defaults[key]
        elif key in _SB3_RUN_STATE:
            stand_ins[key] = None
        else:
            raise AgentFileError(
                path,
                f"entry {key!r} of its data is pickled, and SB3Agent does not know what to put "
                "in its place; it never unpickles a file's contents",
            )
    return stand_ins


def _read_agent_json(path: Path) -> dict:
    """SB3Agent's .json, checked for the fields every version wrote."""
    import json

    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise AgentFileError(
            path, f"cannot be read ({e.strerror or e}); SB3Agent.save writes it beside the .zip"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise AgentFileError(path, f"is not UTF-8 JSON ({e})") from None
    if not (
        isinstance(meta, dict)
        and isinstance(meta.get("hyperparameters"), dict)
        and isinstance(meta.get("env_id"), str)
        and meta.get("algo") in ALGOS
    ):
        raise AgentFileError(path, f"needs 'env_id', 'hyperparameters' and an 'algo' among {', '.join(ALGOS)}")
    if meta.get("class", "SB3Agent") != "SB3Agent":
        raise AgentFileError(path, f"describes a {meta['class']}, not an SB3Agent")
    return meta


def _normalized(venv, stats: dict, path: Path):
    """``venv`` under a frozen ``VecNormalize`` with the saved observation statistics."""
    from stable_baselines3.common.running_mean_std import RunningMeanStd
    from stable_baselines3.common.vec_env import VecNormalize

    try:
        normalized = VecNormalize(
            venv, training=False, norm_reward=False, clip_obs=float(stats["clip_obs"]), epsilon=float(stats["epsilon"])
        )
        shape = normalized.observation_space.shape
        mean = np.array(stats["mean"], dtype=np.float64).reshape(shape)
        var = np.array(stats["var"], dtype=np.float64).reshape(shape)
        count = float(stats["count"])
    except (KeyError, TypeError, ValueError) as e:
        raise AgentFileError(path, f"its obs_normalization is invalid ({type(e).__name__}: {e})") from None
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(var)) and np.all(var >= 0) and count > 0):
        raise AgentFileError(
            path, "its obs_normalization must hold finite means, non-negative variances and a positive count"
        )
    rms = cast(RunningMeanStd, normalized.obs_rms)  # one array's statistics: no env here has Dict observations
    rms.mean, rms.var, rms.count = mean, var, count
    return normalized


class SB3Agent(Agent):
    """An SB3 algorithm behind the reference agents' interface, for side-by-side runs.

    ``SB3Agent(env_id, algo="ppo", seed=0, env_kwargs=None, **hyperparameters)``: the defaults
    come from ``hyperparams/<algo>.yml``, and ``hyperparameters`` (the algorithm's keywords and
    the zoo keys ``policy``, ``n_envs``, ``normalize``, ``env_wrapper``, ``noise_type`` and
    ``noise_std``) override them; a name outside these fails here, not in ``learn``.  The
    environments are built by ``learn``.  ``predict`` takes raw observations (it applies the
    training-time observation normalisation itself).

    ``save(path)`` writes ``<path>.zip``, SB3's own model file, and ``<path>.json``, ours (the
    algorithm, env id and kwargs, hyperparameters, spaces and observation-normalisation
    statistics).  What an SB3 file asks a loader to trust: the weights are torch tensors, which
    SB3 reads with ``torch.load(weights_only=True)``, and the JSON ``data`` entry holds some
    attributes (spaces, schedules, the policy class, the last rollout's buffers) as base64
    cloudpickle, which SB3's ``load`` unpickles, running any code they carry.  ``load`` does not
    let it: it hands SB3 a replacement for every pickled entry (``custom_objects``), built from
    the .json, the algorithm and the env, and refuses a file with a pickled entry it cannot
    replace.  The replaced schedules matter only for training, and ``learn`` always trains a
    fresh model.
    """

    def __init__(
        self, env: str, algo: str = "ppo", seed: int | None = 0, env_kwargs: dict | None = None, **hyperparameters: Any
    ):
        if not isinstance(env, str):
            spec = getattr(env, "spec", None)
            if spec is None:
                raise ValueError("SB3Agent needs an environment id (or an env made with gymnasium.make)")
            env_kwargs = {**spec.kwargs, **(env_kwargs or {})}
            env = spec.id
        if env not in gym.registry:
            raise ValueError(f"unknown environment id {env!r}; registered rl_envs ids: {', '.join(rl_envs.ENV_IDS)}")
        self.env_id, self.algo, self.env_kwargs = env, algo.lower(), dict(env_kwargs or {})
        # No env is built here: learn() builds the training envs from the id.
        self._start(seed, dict(hyperparameters, algo=self.algo, env_kwargs=self.env_kwargs))
        self.model = None

    @classmethod
    def _accepted_arguments(cls, arguments: dict) -> set[str]:
        import inspect

        algo = arguments.get("algo", "ppo")
        if not isinstance(algo, str):
            raise TypeError(f"SB3Agent's algo must be a string, one of {', '.join(ALGOS)}; got {algo!r}")
        own = inspect.signature(_algo_class(algo).__init__).parameters
        # train() sets these itself
        algo_keys = set(own) - {
            "self",
            "policy",
            "env",
            "seed",
            "verbose",
            "tensorboard_log",
            "device",
            "_init_setup_model",
        }
        zoo_keys = set(_AGENT_ZOO_KEYS)
        if "action_noise" not in own:  # PPO, A2C: an action-noise setting would fail only in learn()
            zoo_keys -= {"noise_type", "noise_std"}
        return super()._accepted_arguments(arguments) | algo_keys | zoo_keys

    @property
    def env(self) -> Any:
        """The training ``VecEnv`` once trained or loaded, else None."""
        return None if self.model is None else self.model.get_env()

    def get_env(self) -> Any:
        return self.env

    @property
    def observation_space(self) -> gym.Space | None:
        return None if self.model is None else self.model.observation_space

    @property
    def action_space(self) -> gym.Space | None:
        return None if self.model is None else self.model.action_space

    def _zoo_hyperparameters(self) -> dict:
        """The hyperparameters that override the yml's entry."""
        return {k: v for k, v in self.hyperparameters.items() if k not in ("seed", "algo", "env_kwargs")}

    def _zoo_entry(self) -> dict:
        """The yml's entry with this agent's hyperparameters on top, as ``train`` uses it."""
        return {**load_hyperparams(self.algo, self.env_id), **self._zoo_hyperparameters()}

    def learn(self, total_timesteps: int, callback: Any = None, progress_bar: bool = False) -> Self:
        """Train a fresh model for ``total_timesteps`` (SB3 rounds up to whole rollouts).

        ``callback`` is what SB3 takes (a ``BaseCallback`` or a list of them; its ``model`` is
        the SB3 model), or a function ``callback(agent)`` called after every episode, as for
        every agent (returning False stops training).
        """
        steps = _positive_timesteps(total_timesteps)
        t0 = time.perf_counter()
        self.model = build_model(self.algo, self.env_id, self.seed or 0, self._zoo_hyperparameters(), self.env_kwargs)
        sb3_callbacks = (
            callback if isinstance(callback, list) else [] if callback is None or _per_episode(callback) else [callback]
        )
        recorder = EpisodeRecorder(
            self.episodes, self._after_episode(callback, self.model) if _per_episode(callback) else None
        )
        self.model.learn(steps, callback=[recorder, *sb3_callbacks], progress_bar=progress_bar)
        self.wall_time = time.perf_counter() - t0
        self.num_timesteps = self.model.num_timesteps
        return self

    def _after_episode(self, callback, model):
        def call():
            self.num_timesteps = model.num_timesteps
            return callback(self)

        return call

    def make_eval_env(self, render_mode: str | None = None) -> gym.Env:
        """A fresh env with the training wrappers (e.g. rescaled actions), as ``predict`` expects,
        on the problem the agent learned where the env's seeded reset would draw another (the
        bandit's ``C``, from its ``problem_kwargs()``; with a ``DummyVecEnv``, whose copies each
        drew their own, the first copy's)."""
        kwargs = {**(self.env_kwargs or {}), **training_problem(self.env)}
        return make_env(self.env_id, kwargs, self._zoo_entry().get("env_wrapper"), render_mode)

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        from stable_baselines3.common.vec_env import VecNormalize

        if self.model is None:
            raise RuntimeError("call learn() (or load()) before predict()")
        venv = self.model.get_env()
        obs = observation
        if isinstance(venv, VecNormalize):
            obs = venv.normalize_obs(np.asarray(observation, dtype=np.float32))
        return self.model.predict(obs, state, episode_start, deterministic)

    def save(self, path: str | os.PathLike) -> None:
        """``<path>.zip`` (the SB3 model) and ``<path>.json`` (how to rebuild it, with the
        statistics of ``VecNormalize``'s observation normalisation, if any)."""
        import io
        import json

        from stable_baselines3.common.running_mean_std import RunningMeanStd
        from stable_baselines3.common.vec_env import VecNormalize

        if self.model is None:
            raise RuntimeError("nothing to save: call learn() first")
        path = Path(path).with_suffix("")
        buf = io.BytesIO()
        self.model.save(buf)
        atomic_write_bytes(path.with_suffix(".zip"), buf.getvalue())
        venv = self.model.get_env()
        normalization = None
        if isinstance(venv, VecNormalize) and venv.norm_obs:  # normalised rewards do not change predict
            rms = cast(RunningMeanStd, venv.obs_rms)  # one array's statistics: no env here has Dict observations
            normalization = {
                "clip_obs": float(venv.clip_obs),
                "epsilon": float(venv.epsilon),
                "count": float(rms.count),
                "mean": np.asarray(rms.mean, dtype=float).tolist(),
                "var": np.asarray(rms.var, dtype=float).tolist(),
            }
        meta = {
            "format": AGENT_FILE_FORMAT,
            "class": type(self).__name__,
            "env_id": self.env_id,
            "algo": self.algo,
            "hyperparameters": self.hyperparameters,
            "num_timesteps": self.num_timesteps,
            "spaces": {
                "observation": space_to_json(self.model.observation_space),
                "action": space_to_json(self.model.action_space),
            },
            "obs_normalization": normalization,
        }
        atomic_write_bytes(path.with_suffix(".json"), json.dumps(meta).encode())

    @classmethod
    def load(cls, path: str | os.PathLike, env: str | None = None) -> Self:
        """The agent saved at ``path`` (``.zip``/``.json`` may be left out), on ``env`` when given
        (an id, or an env made with ``gymnasium.make``; it replaces the saved env id and kwargs,
        and must have the model's spaces).  Nothing in the files is unpickled (see the class doc);
        any problem raises :class:`~baselines.agent_files.AgentFileError` naming the file."""
        path = Path(path).with_suffix("")
        meta_path, zip_path = path.with_suffix(".json"), path.with_suffix(".zip")
        meta = _read_agent_json(meta_path)
        hyper = dict(meta["hyperparameters"], algo=meta["algo"])
        if env is not None:
            hyper.pop("env_kwargs", None)
        try:
            agent = cls(meta["env_id"] if env is None else env, **hyper)
        except (TypeError, ValueError) as e:
            raise AgentFileError(meta_path, f"cannot rebuild the SB3Agent it describes: {e}") from None
        stats = Path(str(path) + ".vecnormalize.pkl")
        if meta.get("obs_normalization") is None and stats.exists():
            raise AgentFileError(
                stats,
                "holds pickled observation statistics (written by an earlier SB3Agent.save), "
                "which are never unpickled; train the agent again to save it in the current format",
            )
        algo_cls = _algo_class(agent.algo)
        data = _read_zip_data(zip_path)
        _check_algorithm(algo_cls, data, zip_path)
        try:
            entry = agent._zoo_entry()
        except ValueError as e:
            raise AgentFileError(meta_path, f"cannot rebuild the SB3Agent it describes: {e}") from None
        venv = make_vec_env(agent.env_id, 1, 0, agent.env_kwargs, entry.get("env_wrapper"), vec_env="dummy")
        spaces = saved_spaces(meta, meta_path) if "spaces" in meta else (venv.observation_space, venv.action_space)
        if meta.get("obs_normalization") is not None:
            venv = _normalized(venv, meta["obs_normalization"], meta_path)
        custom = _stand_ins(algo_cls, data, entry.get("policy", "MlpPolicy"), spaces, zip_path)
        try:
            agent.model = algo_cls.load(zip_path, env=venv, device="cpu", custom_objects=custom)
        except Exception as e:  # SB3 reports a bad file by assertions, KeyErrors, torch's RuntimeErrors...
            raise AgentFileError(
                zip_path, f"Stable-Baselines3 cannot load it as {algo_cls.__name__}: {type(e).__name__}: {e}"
            ) from None
        agent.num_timesteps = agent.model.num_timesteps
        return agent
