"""The agent protocol: what every agent in ``baselines`` does, shaped like a Stable-Baselines3 model.

    agent = SomeAgent(env, seed=None, **hyperparameters)
    agent.learn(total_timesteps, callback=None, progress_bar=False)   # returns agent
    agent.predict(obs, state=None, episode_start=None, deterministic=True)   # (action, state)
    agent.save(path)
    agent = SomeAgent.load(path, env=None)

So SB3's ``evaluate_policy`` and callbacks, the comparison runner and a user's script treat a
tabular Q-learner, a linear actor-critic, a POMDP planner and an SB3 PPO alike.

``learn`` takes ``total_timesteps`` environment steps, so ``num_timesteps`` grows by exactly
that, unless the callback or the agent's own stopping test ends learning first.  A later call
continues the episode in progress.  Two kinds of agent count otherwise:

* ``SB3Agent`` counts as SB3 does (whole rollouts, so at least ``total_timesteps``), and each
  call trains a fresh model;
* planners (the belief agents) solve the env's model instead of interacting: they take no
  environment step, ``num_timesteps`` stays 0, and ``total_timesteps`` (None or an int >= 0,
  checked) is the budget they leave unused.

``callback`` is one of

* an SB3 ``BaseCallback``, or a list of them (a ``CallbackList``): ``init_callback(agent)``,
  ``on_training_start``; for every episode (or the part of one a call runs)
  ``on_rollout_start``, ``on_step`` after every environment step (returning False stops
  training at once) and ``on_rollout_end``; then ``on_training_end``.  ``callback.locals``
  holds SB3's names (``total_timesteps``, ``actions``, ``new_obs``, ``rewards``, ``dones``,
  ``infos``, batched over one env; an episode's last ``info`` carries Monitor's ``"episode"``),
  and ``callback.model`` is the agent, so ``EvalCallback`` and ``StopTrainingOnMaxEpisodes``
  work as on an SB3 model.  A planner calls only the training start and end.
* a function ``callback(agent)``, called after every episode; returning False stops training.

``progress_bar=True`` shows a tqdm bar over the steps.

``predict`` takes one observation or a batch and returns an action of the same batch shape.
``state`` comes back as given (None) for memoryless agents; belief agents keep their beliefs
there, so pass it back each step, with ``episode_start`` marking new episodes, as
``evaluate_policy`` does.  ``deterministic=True`` is the learned (greedy or mean) policy, the
same for the same input; ``False`` samples the behaviour policy.

``save(path)`` writes data only (``.npz`` arrays and a JSON header; SB3Agent a .zip and a
.json) and ``load`` reads nothing but data: see :meth:`Agent.save` and :meth:`Agent.load`.

Writing an agent.  The interaction loop is :meth:`Agent.learn`, the one loop of every
reference agent that learns from experience.  It calls three hooks:

    _behave(obs) -> (action, memo)                        the behaviour policy; memo is what learning needs
    _learn_step(memo, reward, next_obs, terminated, truncated)
    _learn_episode(terminated) -> True to stop learning   after an episode's last step

and each family fills them in one way:

* tabular (:class:`baselines.tabular.base.TabularAgent`): ``_action(s, deterministic)`` is the
  policy, followed by ``learn`` and by ``predict``; the memo is ``(s, a)``.  Agents that learn
  from whole episodes keep the default ``_learn_step``, which records the episode, and read it
  back with ``_take_episode()``.
* linear: :class:`~baselines.linear.linear_gain.LinearGainAgent` (``u = -K x - xi``, memo
  ``(x, xi)``) and ``COPDACQ`` implement the hooks; the bandit actor-critics
  (:class:`~baselines.linear.bandit_agent.BanditActorCritic`) gather batches of steps for
  ``_learn_batch(d, r)``.  ``sigma`` is the behaviour's standard deviation in all of them.
* belief (:class:`baselines.belief.base.BeliefAgent`): ``_plan()`` solves the model,
  ``_belief_policy(beliefs)`` acts; ``learn`` and ``predict`` are the family's.
* SB3 (:class:`baselines.sb3.SB3Agent`): SB3 runs its own loop.

Every agent declares the arrays of its learned state in ``_array_specs()`` (what ``save``
writes and ``load`` checks) and passes its hyperparameters to ``Agent.__init__``.
"""

from __future__ import annotations

import contextlib
import difflib
import inspect
import io
import json
import math
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import gymnasium as gym
from gymnasium import spaces


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


class AgentFileError(ValueError):
    """An agent file that cannot be loaded: unreadable, not an agent file, or holding data that
    does not fit the agent (another class, wrong shapes or dtypes, non-finite values)."""

    def __init__(self, path, problem: str):
        self.path, self.problem = Path(path), problem
        super().__init__(f"{path}: {problem}")


# -- constructor arguments -------------------------------------------------------------------------


def agent_arguments(cls, arguments=None) -> set[str]:
    """The keyword arguments agent class ``cls`` accepts, found without building an environment.

    ``arguments`` matters only where the valid names depend on one of them: ``SB3Agent``'s
    depend on ``algo`` (default ``"ppo"``).
    """
    if not (isinstance(cls, type) and issubclass(cls, Agent)):
        raise TypeError(f"expected an Agent subclass, got {cls!r}")
    return cls._accepted_arguments(dict(arguments or {}))


def closest_name(name: str, valid) -> str | None:
    """The valid name closest to a misspelt ``name`` (difflib), or None when none is close."""
    close = difflib.get_close_matches(name, sorted(valid), n=1)
    return close[0] if close else None


def check_agent_arguments(cls, arguments) -> None:
    """A TypeError naming every argument ``cls`` does not accept, with the closest valid name."""
    valid = agent_arguments(cls, arguments)
    unknown = [name for name in arguments if name != "env" and name not in valid]
    if not unknown:
        return
    listing = f"{cls.__name__} takes {', '.join(sorted(valid)) or 'no arguments besides env'}"
    hints = {name: closest_name(name, valid) for name in unknown}
    if len(unknown) == 1:
        (name, close), = hints.items()
        hint = f"did you mean '{close}'?" if close else listing
        raise TypeError(f"{cls.__name__} got an unexpected argument '{name}'; {hint}")
    named = ", ".join(f"'{name}'" + (f" (did you mean '{close}'?)" if close else "") for name, close in hints.items())
    raise TypeError(f"{cls.__name__} got unexpected arguments {named}; {listing}")


# -- agent files -----------------------------------------------------------------------------------

AGENT_FILE_FORMAT = 2  # 1 pickled the spaces in '__spaces__'; 2 describes them in '__meta__'


def _json_numbers(values: np.ndarray) -> list:
    """Array values as JSON numbers, with the non-finite ones as the strings 'inf', '-inf', 'nan'."""
    return [v if isinstance(v, int) or math.isfinite(v) else repr(v) for v in values.ravel().tolist()]


def _numbers_array(values, shape: tuple, dtype: np.dtype, what: str) -> np.ndarray:
    _expect(isinstance(values, list) and len(values) == math.prod(shape),
            f"{what} must be a list of {math.prod(shape)} numbers")
    _expect(all(isinstance(v, (int, float)) and not isinstance(v, bool) or v in ("inf", "-inf", "nan") for v in values),
            f"{what} must hold numbers or 'inf', '-inf', 'nan'")
    try:
        return np.array([float(v) if isinstance(v, str) else v for v in values], dtype=dtype).reshape(shape)
    except (OverflowError, ValueError) as e:
        raise ValueError(f"{what} do not fit {dtype}: {e}") from None


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _shape(value, what: str) -> tuple[int, ...]:
    _expect(isinstance(value, list) and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value),
            f"{what} must be a list of non-negative ints, got {value!r}")
    return tuple(value)


def _dtype(name, kinds: str, what: str) -> np.dtype:
    _expect(isinstance(name, str) and name in {np.dtype(c).name for c in np.typecodes["All"] if np.dtype(c).kind in kinds},
            f"{what} must name a numeric dtype, got {name!r}")
    return np.dtype(name)


def space_to_json(space: gym.Space) -> dict:
    """A JSON description of a Discrete, Box, MultiBinary, MultiDiscrete, Tuple or Dict space,
    which :func:`space_from_json` turns back into an equal space."""
    if isinstance(space, spaces.Discrete):
        return {"type": "Discrete", "n": int(space.n), "start": int(space.start)}
    if isinstance(space, spaces.Box):
        return {"type": "Box", "shape": list(space.shape), "dtype": space.dtype.name,
                "low": _json_numbers(space.low), "high": _json_numbers(space.high)}
    if isinstance(space, spaces.MultiBinary):
        return {"type": "MultiBinary", "shape": list(space.shape)}
    if isinstance(space, spaces.MultiDiscrete):
        return {"type": "MultiDiscrete", "shape": list(space.shape), "dtype": space.dtype.name,
                "nvec": space.nvec.ravel().tolist(), "start": space.start.ravel().tolist()}
    if isinstance(space, spaces.Tuple):
        return {"type": "Tuple", "spaces": [space_to_json(s) for s in space.spaces]}
    if isinstance(space, spaces.Dict):
        return {"type": "Dict", "spaces": {key: space_to_json(s) for key, s in space.spaces.items()}}
    raise TypeError(f"cannot describe a {type(space).__name__} space in an agent file")


def space_from_json(desc) -> gym.Space:
    """The space :func:`space_to_json` described; ValueError for anything else."""
    _expect(isinstance(desc, dict) and isinstance(desc.get("type"), str), f"a space is a mapping with a 'type', got {desc!r}")
    kind = desc["type"]
    if kind == "Discrete":
        n, start = desc.get("n"), desc.get("start", 0)
        _expect(all(isinstance(v, int) and not isinstance(v, bool) for v in (n, start)) and n > 0,
                f"Discrete needs an int n > 0 and an int start, got {desc!r}")
        return spaces.Discrete(n, start=start)
    if kind == "Box":
        shape = _shape(desc.get("shape"), "Box shape")
        dtype = _dtype(desc.get("dtype"), "fiu", "Box dtype")
        low = _numbers_array(desc.get("low"), shape, dtype, "Box low")
        high = _numbers_array(desc.get("high"), shape, dtype, "Box high")
        _expect(not np.any(low > high), "Box low must not exceed high")
        return spaces.Box(low, high, shape, dtype)
    if kind == "MultiBinary":
        shape = _shape(desc.get("shape"), "MultiBinary shape")
        return spaces.MultiBinary(list(shape) if len(shape) != 1 else shape[0])
    if kind == "MultiDiscrete":
        shape = _shape(desc.get("shape"), "MultiDiscrete shape")
        dtype = _dtype(desc.get("dtype"), "iu", "MultiDiscrete dtype")
        nvec = _numbers_array(desc.get("nvec"), shape, dtype, "MultiDiscrete nvec")
        _expect(np.all(nvec > 0), "MultiDiscrete nvec must be positive")
        return spaces.MultiDiscrete(nvec, dtype=dtype, start=_numbers_array(desc.get("start"), shape, dtype, "MultiDiscrete start"))
    if kind == "Tuple":
        _expect(isinstance(desc.get("spaces"), list), "Tuple needs a list 'spaces'")
        return spaces.Tuple([space_from_json(d) for d in desc["spaces"]])
    if kind == "Dict":
        _expect(isinstance(desc.get("spaces"), dict), "Dict needs a mapping 'spaces'")
        return spaces.Dict({key: space_from_json(d) for key, d in desc["spaces"].items()})
    raise ValueError(f"unknown space type {kind!r}")


@dataclass(frozen=True)
class ArraySpec:
    """What one saved array must be; :meth:`Agent.load` checks every array against its spec.

    ``shape`` holds ints, or names for sizes that only the file tells (such as the number of
    alpha vectors), equal wherever the same name appears.  Arrays hold floats, or integers with
    ``integer``; values are finite, except NaN where ``nan_ok`` (a preference table marks
    forbidden moves so); ``stochastic`` arrays hold probabilities summing to 1 over the last
    axis; ``low`` bounds the values from below and ``high`` from above.  An ``optional`` array
    was added in a later version: older files may lack it, and the agent keeps its
    constructor's value.
    """

    shape: tuple
    integer: bool = False
    nan_ok: bool = False
    stochastic: bool = False
    low: float | None = None
    high: float | None = None
    optional: bool = False

    def problem(self, value: np.ndarray, sizes: dict) -> str | None:
        """What is wrong with ``value``, or None; records the named sizes it fixes in ``sizes``."""
        if value.dtype.kind not in ("iu" if self.integer else "f"):
            return f"has dtype {value.dtype}, expected {'integers' if self.integer else 'floats'}"
        if value.ndim == len(self.shape):
            for n, want in zip(value.shape, self.shape):
                if n != (sizes.setdefault(want, n) if isinstance(want, str) else want):
                    break
            else:
                return self._value_problem(value)
        expected = tuple(sizes.get(n, n) if isinstance(n, str) else n for n in self.shape)
        return f"has shape {value.shape}, expected {expected}".replace("'", "")

    def _value_problem(self, value: np.ndarray) -> str | None:
        if not self.integer:
            nan = np.isnan(value)
            bad = np.isinf(value) | (nan & (not self.nan_ok))
            if bad.any():
                return f"holds {int(bad.sum())} non-finite values (of {value.size})"
            if value.size and nan.all():
                return "is all NaN"
            value = np.where(nan, 0.0, value)
        if self.low is not None and np.any(value < self.low):
            return f"holds values below {self.low}"
        if self.high is not None and np.any(value > self.high):
            return f"holds values above {self.high}"
        if self.stochastic and (np.any(value < 0) or not np.allclose(value.sum(axis=-1), 1.0)):
            return "must hold probabilities (non-negative, summing to 1 over the last axis)"
        return None


@contextlib.contextmanager
def _open_npz(path: Path):
    """The .npz archive at ``path``, opened so that nothing in it is unpickled."""
    try:
        f = open(path, "rb")
    except OSError as e:
        raise AgentFileError(path, f"cannot be opened ({e.strerror or e})") from None
    with f:
        head = f.read(4)
        if not head:
            raise AgentFileError(path, "is empty")
        if head != b"PK\x03\x04":
            raise AgentFileError(path, "is not an agent file: agent files are .npz (zip) archives, and this is not one")
        f.seek(0)
        try:
            data = np.load(f, allow_pickle=False)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
            raise AgentFileError(path, f"is truncated or damaged ({e})") from None
        with data:
            yield data


def _entry(data, name: str, path: Path) -> np.ndarray:
    """One array of an open .npz, or an AgentFileError saying why it cannot be read."""
    try:
        value = data[name]
    except ValueError as e:
        if "allow_pickle" in str(e):
            raise AgentFileError(path, f"entry {name!r} holds pickled Python objects, which are never loaded") from None
        raise AgentFileError(path, f"entry {name!r} is damaged ({e})") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as e:
        raise AgentFileError(path, f"entry {name!r} is truncated or damaged ({e})") from None
    if not isinstance(value, np.ndarray):
        raise AgentFileError(path, f"entry {name!r} is not a NumPy array")
    return value


def _read_meta(data, path: Path) -> dict:
    """The JSON header of an agent file, checked for the fields every format has."""
    names = set(data.files)
    if "__meta__" not in names:
        if {"data", "policy.pth"} <= names:
            raise AgentFileError(path, "is a Stable-Baselines3 model, not a reference agent's file; "
                                       "load it with baselines.sb3.SB3Agent.load")
        raise AgentFileError(path, "has no '__meta__' entry, so Agent.save did not write it")
    raw = _entry(data, "__meta__", path)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise AgentFileError(path, f"'__meta__' must be UTF-8 JSON bytes (uint8), got {raw.dtype} of shape {raw.shape}")
    try:
        meta = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise AgentFileError(path, f"'__meta__' is not UTF-8 JSON ({e})") from None
    problem = (
        "is not a mapping" if not isinstance(meta, dict)
        else "lacks the agent's class name" if not isinstance(meta.get("class"), str)
        else "lacks the hyperparameters mapping" if not isinstance(meta.get("hyperparameters"), dict)
        else "has no non-negative int num_timesteps" if not (type(meta.get("num_timesteps")) is int and meta["num_timesteps"] >= 0)
        else f"is of format {meta['format']!r}, which this version does not read (it reads up to {AGENT_FILE_FORMAT})"
        if meta.get("format", 1) not in range(1, AGENT_FILE_FORMAT + 1)
        else None
    )
    if problem:
        raise AgentFileError(path, f"'__meta__' {problem}")
    return meta


def saved_spaces(meta: dict, path: Path) -> tuple[gym.Space, gym.Space]:
    """The (observation, action) spaces of an agent file's parsed header; ``AgentFileError`` if invalid."""
    desc = meta.get("spaces")
    try:
        _expect(isinstance(desc, dict), "'spaces' must be a mapping with 'observation' and 'action'")
        return space_from_json(desc.get("observation")), space_from_json(desc.get("action"))
    except (ValueError, TypeError, RecursionError) as e:
        raise AgentFileError(path, f"its saved spaces are invalid: {e}") from None


class Agent:
    """Base class: environment handling, episode bookkeeping, save/load.

    Subclasses pass their hyperparameters to ``super().__init__`` so that ``save``/``load``
    round-trip them, and describe the arrays that make up their learned state in
    ``_array_specs`` (what ``save`` writes and ``load`` checks).  Every keyword argument given
    to a constructor is checked against :func:`agent_arguments`, so a misspelt one fails at
    once instead of vanishing into a ``**hyperparameters`` catch-all.
    """

    def __new__(cls, *args, **kwargs):
        try:  # positional arguments count too: SB3Agent's valid names depend on its second one
            given = inspect.signature(cls.__init__).bind_partial(None, *args).arguments
        except TypeError:
            given = {}  # too many positional arguments: __init__ says so
        check_agent_arguments(cls, {**{k: v for k, v in given.items() if k != "self"}, **kwargs})
        return super().__new__(cls)

    @classmethod
    def _accepted_arguments(cls, arguments: dict) -> set[str]:
        """The constructors' named arguments, following ``**hyperparameters`` to the parent
        classes; Agent's own catch-all only collects what subclasses pass on."""
        names: set[str] = set()
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None:
                continue
            params = inspect.signature(init).parameters.values()
            names |= {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)} - {"self", "env"}
            if klass is Agent or not any(p.kind is p.VAR_KEYWORD for p in params):
                break
        return names

    def __init__(self, env, seed: int | None = None, **hyperparameters):
        if env is None:
            raise ValueError("an environment is needed (pass env=... or an id such as 'rl_envs/GridMaze-v0')")
        self.env = make_env(env)
        self.observation_space = self.env.observation_space
        self.action_space = self.env.action_space
        self._start(seed, hyperparameters)

    def _start(self, seed: int | None, hyperparameters: dict) -> None:
        """The state every agent has, whether or not it holds an env."""
        self.seed = seed
        self.hyperparameters = dict(hyperparameters, seed=seed)
        self.rng = np.random.default_rng(seed)
        self.num_timesteps = 0
        self.episodes = EpisodeLog()
        self._next_reset_seed = seed
        self._obs = None

    def _array_specs(self) -> dict[str, ArraySpec]:
        """The arrays of the learned state, by attribute name, with what each must be."""
        return {}

    def _reset_env(self):
        """Reset the env, seeding it once from the agent's seed so that a run is reproducible."""
        obs, info = self.env.reset(seed=self._next_reset_seed)
        self._next_reset_seed = None
        return obs, info

    # -- the interaction loop and its hooks (the protocol in the module docstring) ------------

    def _behave(self, obs):
        raise NotImplementedError(f"{type(self).__name__} does not learn by interacting")

    def _learn_step(self, memo, r: float, obs2, terminated: bool, truncated: bool) -> None:
        pass

    def _learn_episode(self, terminated: bool) -> bool | None:
        return None

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False):
        """Interact for ``total_timesteps`` steps, learning online (see the module docstring)."""
        end = self.num_timesteps + timesteps(total_timesteps)
        calls = Callbacks(self, callback, progress_bar, end)
        if self._obs is None:
            self._obs, _ = self._reset_env()
            self._ep_return, self._ep_len = 0.0, 0
        calls.on_training_start()
        go = True
        while go and self.num_timesteps < end:
            action, memo = self._behave(self._obs)
            obs2, r, terminated, truncated, info = self.env.step(action)
            r = float(r)
            self.num_timesteps += 1
            self._ep_return += r
            self._ep_len += 1
            self._learn_step(memo, r, obs2, terminated, truncated)
            self._obs = obs2
            go = calls.on_step(action, obs2, r, terminated, truncated, info)
            if terminated or truncated:
                calls.on_rollout_end()
                stop = self._learn_episode(terminated)
                self.episodes.add(self._ep_return, self._ep_len, self.num_timesteps)
                self._obs, _ = self._reset_env()
                self._ep_return, self._ep_len = 0.0, 0
                go = go and not stop and calls.on_episode_end()
        calls.on_training_end()
        return self

    # -- SB3-shaped interface ------------------------------------------------------------------

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        raise NotImplementedError

    def get_env(self):
        """The training env as SB3's callbacks expect it: a one-env ``DummyVecEnv`` around ``env``
        (it steps the same env; ``learn`` does not go through it)."""
        if getattr(self, "_vec_env", None) is None:
            from stable_baselines3.common.vec_env import DummyVecEnv

            self._vec_env = DummyVecEnv([lambda: self.env])
        return self._vec_env

    def get_vec_normalize_env(self):
        """None: reference agents see raw observations (SB3's callbacks ask)."""
        return None

    @property
    def logger(self):
        """An SB3 ``Logger`` that keeps what callbacks record (EvalCallback's ``eval/*``) in memory."""
        if getattr(self, "_logger", None) is None:
            from stable_baselines3.common.logger import Logger

            self._logger = Logger(folder=None, output_formats=[])
        return self._logger

    def save(self, path: str | os.PathLike) -> None:
        """Write ``path`` (``.npz`` added if missing): the arrays of ``_array_specs`` and a
        UTF-8 JSON ``__meta__`` (class, hyperparameters, step count and the spaces)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_suffix(path.suffix + ".npz") if path.suffix else path.with_suffix(".npz")
        meta = {"format": AGENT_FILE_FORMAT, "class": type(self).__name__, "hyperparameters": self.hyperparameters,
                "num_timesteps": self.num_timesteps,
                "spaces": {"observation": space_to_json(self.observation_space), "action": space_to_json(self.action_space)}}
        try:
            meta_json = json.dumps(meta)
        except TypeError as e:
            raise TypeError(
                f"cannot save {type(self).__name__}: a hyperparameter is not plain data ({e}); "
                "use numbers, strings, lists (e.g. a (start, end, steps) schedule) instead of callables"
            ) from None
        arrays = {name: np.asarray(getattr(self, name)) for name in self._array_specs()}
        arrays["__meta__"] = np.frombuffer(meta_json.encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike, env=None):
        """The agent saved at ``path`` (``.npz`` may be left out); pass ``env`` to train it further.

        The file is read as data only: arrays with ``allow_pickle=False`` and a JSON header.
        Every array is checked against what a ``cls`` over the saved spaces holds (its
        ``_array_specs``), and any misfit raises :class:`AgentFileError` naming the file and the
        problem.  Files of the first format (before AGENT_FILE_FORMAT 2) pickled their spaces in
        ``__spaces__``; that entry is never read: load such a file with ``env`` (the environment
        it was trained on), which supplies the spaces, and ``save`` it again to convert it.
        """
        path = Path(path)
        if not path.exists() and path.with_suffix(".npz").exists():
            path = path.with_suffix(".npz")
        with _open_npz(path) as data:
            meta = _read_meta(data, path)
            if meta["class"] != cls.__name__:
                raise AgentFileError(path, f"holds a {meta['class']}, not a {cls.__name__}; load it with {meta['class']}.load")
            if "spaces" in meta:
                saved = saved_spaces(meta, path)
            elif env is None:
                raise AgentFileError(path, (
                    "is in the first agent-file format, which pickled the spaces in '__spaces__'; agent files are "
                    f"never unpickled, so load it with the env it was trained on, {cls.__name__}.load(path, env=...), "
                    "which takes the spaces from the env, and save() it again to convert it"))
            else:
                saved = None
            env = SpacesOnly(*saved) if env is None else make_env(env)
            if saved is not None and (env.observation_space, env.action_space) != saved:
                raise AgentFileError(path, (
                    f"the env's spaces differ from the saved agent's: saved {saved[0]} and {saved[1]}, "
                    f"the env has {env.observation_space} and {env.action_space}"))
            try:
                agent = cls(env, **meta["hyperparameters"])
            except (TypeError, ValueError) as e:
                raise AgentFileError(path, f"cannot rebuild the {cls.__name__} it describes: {e}") from None
            specs = agent._array_specs()
            unexpected = sorted(set(data.files) - set(specs) - {"__meta__", "__spaces__"})
            if unexpected:
                raise AgentFileError(path, f"holds entries a {cls.__name__} does not save: {unexpected}")
            missing = [name for name, spec in specs.items() if name not in data.files and not spec.optional]
            if missing:
                raise AgentFileError(path, f"lacks the arrays {missing} of a {cls.__name__}")
            sizes: dict[str, int] = {}
            for name, spec in specs.items():
                if name not in data.files:
                    continue  # an optional array (added after the file was written) keeps its constructor value
                value = _entry(data, name, path)
                problem = spec.problem(value, sizes)
                if problem:
                    raise AgentFileError(path, f"array {name!r} {problem}")
                setattr(agent, name, value.astype(np.int64 if spec.integer else np.float64))
        agent.num_timesteps = meta["num_timesteps"]
        return agent


class SpacesOnly(gym.Env):
    """Stands in for an env when a saved agent is loaded only to predict."""

    def __init__(self, observation_space, action_space):
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, *, seed=None, options=None):
        raise RuntimeError("this agent was loaded without an env; pass env= to load() to train it")

    def step(self, action):
        raise RuntimeError("this agent was loaded without an env; pass env= to load() to train it")


def timesteps(total_timesteps) -> int:
    """``total_timesteps`` as a non-negative int (an integral float such as YAML's 2e4 too)."""
    if isinstance(total_timesteps, bool) or not isinstance(total_timesteps, (int, np.integer, float, np.floating)) \
            or total_timesteps != int(total_timesteps) or total_timesteps < 0:
        raise ValueError(f"total_timesteps must be a non-negative integer, got {total_timesteps!r}")
    return int(total_timesteps)


class Callbacks:
    """What one ``learn`` call reports to: its callback (an SB3 ``BaseCallback``, a list of them,
    or a function ``callback(agent)``) and its progress bar, with the calls of the protocol
    (module docstring).  The SB3 part is imported only when an SB3 callback is given."""

    def __init__(self, agent: Agent, callback, progress_bar: bool, total_timesteps: int):
        self.agent, self.per_episode, self.sb3 = agent, None, None
        if isinstance(callback, list):
            from stable_baselines3.common.callbacks import CallbackList

            callback = CallbackList(callback)
        if callable(callback) and not hasattr(callback, "on_step"):
            self.per_episode = callback
        elif callback is not None:
            from stable_baselines3.common.callbacks import BaseCallback

            if not isinstance(callback, BaseCallback):
                raise TypeError("callback must be None, a function callback(agent), an SB3 BaseCallback "
                                f"or a list of them; got {type(callback).__name__}")
            self.sb3 = callback
            callback.init_callback(agent)
        self.locals = {"self": agent, "total_timesteps": total_timesteps, "callback": self.sb3,
                       "progress_bar": progress_bar}
        self.bar = None
        if progress_bar:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_timesteps - agent.num_timesteps, unit="step")
        self.in_rollout = False

    def on_training_start(self) -> None:
        if self.sb3 is not None:
            self.sb3.on_training_start(self.locals, {})

    def on_step(self, action, obs2, r: float, terminated: bool, truncated: bool, info: dict) -> bool:
        """After an environment step; False stops training."""
        if self.bar is not None:
            self.bar.update()
        if self.sb3 is None:
            return True
        if not self.in_rollout:
            self.sb3.on_rollout_start()
            self.in_rollout = True
        done = terminated or truncated
        if done:  # what SB3's Monitor and VecEnv add to the last info of an episode
            info = {**info, "episode": {"r": self.agent._ep_return, "l": self.agent._ep_len},
                    "terminal_observation": obs2, "TimeLimit.truncated": truncated and not terminated}
        self.sb3.update_locals({"actions": np.array([action]), "new_obs": np.array([obs2]), "rewards": np.array([r]),
                                "dones": np.array([done]), "infos": [info]})
        return bool(self.sb3.on_step())

    def on_rollout_end(self) -> None:
        if self.in_rollout:
            self.sb3.on_rollout_end()
            self.in_rollout = False

    def on_episode_end(self) -> bool:
        """After an episode has been learned from and logged; False stops training."""
        return self.per_episode is None or self.per_episode(self.agent) is not False

    def on_training_end(self) -> None:
        self.on_rollout_end()
        if self.sb3 is not None:
            self.sb3.on_training_end()
        if self.bar is not None:
            self.bar.close()
