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

import difflib
import inspect
import io
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn, Self

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401  (registers the environment ids make_env takes)
from rl_envs.validation import real

from .agent_files import (
    AGENT_FILE_FORMAT,
    AgentFileError,
    ArraySpec,
    open_agent_file,
    read_arrays,
    read_meta,
    saved_spaces,
    space_to_json,
)
from .callbacks import Callbacks
from .episodes import EpisodeLog
from .io import atomic_write_bytes


def make_env(env: gym.Env | str) -> gym.Env:
    """An env instance, or ``gymnasium.make`` of an id (``rl_envs`` ids register on import)."""
    if isinstance(env, str):
        return gym.make(env)
    if not isinstance(env, gym.Env):
        raise TypeError(f"env must be a gymnasium.Env or an environment id, got {type(env).__name__}")
    return env


# -- constructor arguments -------------------------------------------------------------------------


def agent_arguments(cls: type[Agent], arguments: Mapping[str, Any] | None = None) -> set[str]:
    """The keyword arguments agent class ``cls`` accepts, found without building an environment.

    ``arguments`` matters only where the valid names depend on one of them: ``SB3Agent``'s
    depend on ``algo`` (default ``"ppo"``).
    """
    if not (isinstance(cls, type) and issubclass(cls, Agent)):
        raise TypeError(f"expected an Agent subclass, got {cls!r}")
    return cls._accepted_arguments(dict(arguments or {}))


def closest_name(name: str, valid: Iterable[str]) -> str | None:
    """The valid name closest to a misspelt ``name`` (difflib), or None when none is close."""
    close = difflib.get_close_matches(name, sorted(valid), n=1)
    return close[0] if close else None


def check_agent_arguments(cls: type[Agent], arguments: Mapping[str, Any]) -> None:
    """A TypeError naming every argument ``cls`` does not accept, with the closest valid name."""
    valid = agent_arguments(cls, arguments)
    unknown = [name for name in arguments if name != "env" and name not in valid]
    if not unknown:
        return
    listing = f"{cls.__name__} takes {', '.join(sorted(valid)) or 'no arguments besides env'}"
    hints = {name: closest_name(name, valid) for name in unknown}
    if len(unknown) == 1:
        ((name, close),) = hints.items()
        hint = f"did you mean '{close}'?" if close else listing
        raise TypeError(f"{cls.__name__} got an unexpected argument '{name}'; {hint}")
    named = ", ".join(f"'{name}'" + (f" (did you mean '{close}'?)" if close else "") for name, close in hints.items())
    raise TypeError(f"{cls.__name__} got unexpected arguments {named}; {listing}")


class Agent:
    """Base class: environment handling, episode bookkeeping, save/load.

    Subclasses pass their hyperparameters to ``super().__init__`` so that ``save``/``load``
    round-trip them, and describe the arrays that make up their learned state in
    ``_array_specs`` (what ``save`` writes and ``load`` checks).  Every keyword argument given
    to a constructor is checked against :func:`agent_arguments`, so a misspelt one fails at
    once instead of vanishing into a ``**hyperparameters`` catch-all.
    """

    observation_space: gym.Space
    action_space: gym.Space
    hyperparameters: dict[str, Any]

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

    def __init__(self, env: gym.Env | str | None, seed: int | None = None, **hyperparameters: Any):
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

    def learn(self, total_timesteps: int, callback: Any = None, progress_bar: bool = False) -> Self:
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

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        raise NotImplementedError

    def get_env(self) -> Any:
        """The training env as SB3's callbacks expect it: a one-env ``DummyVecEnv`` around ``env``
        (it steps the same env; ``learn`` does not go through it)."""
        if getattr(self, "_vec_env", None) is None:
            from stable_baselines3.common.vec_env import DummyVecEnv

            self._vec_env = DummyVecEnv([lambda: self.env])
        return self._vec_env

    def get_vec_normalize_env(self) -> None:
        """None: reference agents see raw observations (SB3's callbacks ask)."""
        return None

    @property
    def logger(self) -> Any:
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
        meta = {
            "format": AGENT_FILE_FORMAT,
            "class": type(self).__name__,
            "hyperparameters": self.hyperparameters,
            "num_timesteps": self.num_timesteps,
            "spaces": {
                "observation": space_to_json(self.observation_space),
                "action": space_to_json(self.action_space),
            },
        }
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
        np.savez(buf, **arrays)  # pyright: ignore[reportArgumentType] - no entry is named allow_pickle (its names are attributes)
        atomic_write_bytes(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike, env: gym.Env | str | None = None) -> Self:
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
        with open_agent_file(path) as data:
            meta = read_meta(data, path)
            if meta["class"] != cls.__name__:
                raise AgentFileError(
                    path, f"holds a {meta['class']}, not a {cls.__name__}; load it with {meta['class']}.load"
                )
            if "spaces" in meta:
                saved = saved_spaces(meta, path)
            elif env is None:
                raise AgentFileError(
                    path,
                    (
                        "is in the first agent-file format, which pickled the spaces in '__spaces__'; agent files are "
                        f"never unpickled, so load it with the env it was trained on, {cls.__name__}.load(path, env=...), "
                        "which takes the spaces from the env, and save() it again to convert it"
                    ),
                )
            else:
                saved = None
            env = SpacesOnly(*saved) if env is None else make_env(env)  # pyright: ignore[reportOptionalIterable] - without env, saved (else raised above)
            if saved is not None and (env.observation_space, env.action_space) != saved:
                raise AgentFileError(
                    path,
                    (
                        f"the env's spaces differ from the saved agent's: saved {saved[0]} and {saved[1]}, "
                        f"the env has {env.observation_space} and {env.action_space}"
                    ),
                )
            try:
                agent = cls(env, **meta["hyperparameters"])
            except (TypeError, ValueError) as e:
                raise AgentFileError(path, f"cannot rebuild the {cls.__name__} it describes: {e}") from None
            for name, value in read_arrays(data, agent._array_specs(), path, cls.__name__).items():
                setattr(agent, name, value)
        agent.num_timesteps = meta["num_timesteps"]
        return agent


class SpacesOnly(gym.Env):
    """Stands in for an env when a saved agent is loaded only to predict."""

    def __init__(self, observation_space: gym.Space, action_space: gym.Space):
        self.observation_space = observation_space
        self.action_space = action_space

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> NoReturn:
        raise RuntimeError("this agent was loaded without an env; pass env= to load() to train it")

    def step(self, action: Any) -> NoReturn:
        raise RuntimeError("this agent was loaded without an env; pass env= to load() to train it")


def timesteps(total_timesteps: Any) -> int:
    """``total_timesteps`` as a non-negative int (an integral float such as YAML's 2e4 too)."""
    n = real(total_timesteps, "total_timesteps", low=0, kind="whole number")
    if n != int(n):
        raise ValueError(f"total_timesteps must be a whole number >= 0, got {total_timesteps!r}")
    return int(total_timesteps)
