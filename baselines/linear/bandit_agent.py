"""What the bandit actor-critics of Silver et al. 2014 (Sec. 5.1) share: Gaussian exploration
around a mean action ``theta``, batches of one-step episodes, one actor update per batch."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym
from gymnasium import spaces

from ..agent import Agent
from ..agent_files import ArraySpec


class BanditActorCritic(Agent):
    """A stateless-task agent whose behaviour is ``a = theta + sigma * xi``, ``xi ~ N(0, I)``.

    Every step is an episode.  The deviations ``d = a - theta`` and rewards of ``batch_size``
    steps (default ``2m``) are handed to ``_learn_batch(d, r)``, which moves ``theta`` (and
    whatever else the subclass adapts).  Subclasses define ``sigma`` (the behaviour's standard
    deviation) and ``_learn_batch``.
    ``predict`` returns the mean action ``theta``, the policy the paper scores.
    """

    def __init__(
        self,
        env: gym.Env | str,
        seed: int | None = None,
        batch_size: int | None = None,
        theta_init: ArrayLike = 0.0,
        **hyperparameters: Any,
    ):
        theta_init = np.asarray(theta_init, dtype=np.float64)
        super().__init__(env, seed=seed, batch_size=batch_size, theta_init=theta_init.tolist(), **hyperparameters)
        if not isinstance(self.action_space, spaces.Box) or len(self.action_space.shape) != 1:
            raise TypeError(f"{type(self).__name__} needs a 1-D Box action space, got {self.action_space}")
        self.m = int(self.action_space.shape[0])
        self.theta = np.broadcast_to(theta_init, (self.m,)).astype(np.float64)
        self.batch_size = 2 * self.m if batch_size is None else int(batch_size)
        self._d: list[np.ndarray] = []
        self._r: list[float] = []

    def _array_specs(self):
        return {"theta": ArraySpec((self.m,))}

    @property
    def sigma(self) -> float:
        raise NotImplementedError

    def _learn_batch(self, d: np.ndarray, r: np.ndarray) -> None:
        raise NotImplementedError

    def _check_batch_size(self, n_critic_weights: int) -> None:
        if self.batch_size <= n_critic_weights + 1:
            raise ValueError(
                f"batch_size must exceed the critic's {n_critic_weights} weights and bias, got {self.batch_size}"
            )

    # The loop's hooks (every step is a one-step episode).  A batch left unfinished is continued
    # by the next ``learn`` call.

    def _behave(self, obs):
        d = self.sigma * self.rng.standard_normal(self.m)
        return self.theta + d, d

    def _learn_step(self, d, r, obs2, terminated, truncated):
        self._d.append(d)
        self._r.append(r)
        if len(self._r) == self.batch_size:
            self._learn_batch(np.array(self._d), np.array(self._r))
            self._d, self._r = [], []

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        obs = np.asarray(observation)
        shape = self.observation_space.shape
        if obs.shape == shape:
            n = None
        elif obs.shape[1:] == shape:
            n = obs.shape[0]
        else:
            raise ValueError(f"observation must have shape {shape} or (n, *{shape}), got {obs.shape}")
        size = (self.m,) if n is None else (n, self.m)
        action = np.broadcast_to(self.theta, size).copy()
        if not deterministic:
            action += self.sigma * self.rng.standard_normal(size)
        return action, state
