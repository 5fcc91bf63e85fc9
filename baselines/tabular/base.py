"""What every tabular agent shares: discrete spaces, the interaction loop, exploration."""

from __future__ import annotations

from typing import Callable

import numpy as np
from gymnasium import spaces

from ..common import Agent, progress


def linear_schedule(start: float, end: float, steps: int) -> Callable[[int], float]:
    """``start`` at step 0, moving linearly to ``end`` at ``steps`` and staying there."""
    if steps <= 0:
        raise ValueError(f"schedule length must be positive, got {steps}")

    def value(t: int) -> float:
        return end + (start - end) * max(0.0, 1.0 - t / steps)

    value.__qualname__ = f"linear_schedule({start}, {end}, {steps})"
    return value


def as_schedule(value, name: str) -> Callable[[int], float]:
    """A constant, a ``(start, end, steps)`` triple, or a callable of the step count."""
    if callable(value):
        return value
    if isinstance(value, (tuple, list)) and len(value) == 3:
        return linear_schedule(float(value[0]), float(value[1]), int(value[2]))
    try:
        const = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, a (start, end, steps) triple or a callable, got {value!r}") from None
    if not np.isfinite(const) or const < 0:
        raise ValueError(f"{name} must be a finite non-negative number, got {value!r}")
    return lambda t: const


def greedy(q_row: np.ndarray, rng: np.random.Generator) -> int:
    """argmax with ties broken at random (a fixed tie-break biases early exploration)."""
    best = np.flatnonzero(q_row == q_row.max())
    return int(best[0] if len(best) == 1 else rng.choice(best))


class TabularAgent(Agent):
    """An agent over ``Discrete`` observations and actions.

    Subclasses implement ``_act(s)`` and ``_observe(s, a, r, s2, terminated, truncated)``;
    ``_end_episode()`` is called after the last step of every episode.
    """

    def __init__(self, env, gamma: float = 1.0, seed: int | None = None, **hyperparameters):
        super().__init__(env, seed=seed, gamma=gamma, **hyperparameters)
        for what, space in (("observation", self.observation_space), ("action", self.action_space)):
            if not isinstance(space, spaces.Discrete):
                raise TypeError(
                    f"{type(self).__name__} is tabular: it needs a Discrete {what} space, got {space}. "
                    "Discretise the space first (e.g. with a wrapper)."
                )
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        self.gamma = float(gamma)
        self.n_states = int(self.observation_space.n)
        self.n_actions = int(self.action_space.n)
        self._obs = None

    def _act(self, s: int) -> int:
        raise NotImplementedError

    def _observe(self, s: int, a: int, r: float, s2: int, terminated: bool, truncated: bool) -> None:
        raise NotImplementedError

    def _end_episode(self) -> None:
        pass

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False):
        """Interact for ``total_timesteps`` steps, learning online.

        ``callback(agent)`` runs after every episode; returning ``False`` stops training.
        """
        if int(total_timesteps) < 0:
            raise ValueError(f"total_timesteps must be non-negative, got {total_timesteps}")
        bar = progress(int(total_timesteps), progress_bar)
        end = self.num_timesteps + int(total_timesteps)
        if self._obs is None:
            self._obs, _ = self._reset_env()
            self._ep_return, self._ep_len = 0.0, 0
        while self.num_timesteps < end:
            s = int(self._obs)
            a = self._act(s)
            s2, r, terminated, truncated, _ = self.env.step(a)
            self.num_timesteps += 1
            self._ep_return += r
            self._ep_len += 1
            self._observe(s, a, float(r), int(s2), terminated, truncated)
            self._obs = s2
            bar.update()
            if terminated or truncated:
                self._end_episode()
                self.episodes.add(self._ep_return, self._ep_len, self.num_timesteps)
                self._obs, _ = self._reset_env()
                self._ep_return, self._ep_len = 0.0, 0
                if callback is not None and callback(self) is False:
                    break
        bar.close()
        return self

    def _policy_action(self, s: int, deterministic: bool) -> int:
        raise NotImplementedError

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        obs = np.asarray(observation)
        if not np.issubdtype(obs.dtype, np.integer):
            raise ValueError(f"observation must be integer state indices, got dtype {obs.dtype}")
        if np.any((obs < 0) | (obs >= self.n_states)):
            raise ValueError(f"observation out of range [0, {self.n_states}): {observation}")
        actions = np.array([self._policy_action(int(s), deterministic) for s in obs.ravel()]).reshape(obs.shape)
        return (int(actions) if obs.ndim == 0 else actions), state
