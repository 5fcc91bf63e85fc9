"""What the agents with a linear state-feedback controller ``u = -K x`` share."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym
from gymnasium import spaces

from rl_envs.validation import positive

from ..agent import Agent
from ..agent_files import ArraySpec


class LinearGainAgent(Agent):
    """An agent whose behaviour is ``u = -K x - xi`` with Gaussian exploration ``xi ~ N(0, sigma^2 I)``.

    Subclasses implement the loop's ``_learn_step`` (the memo is ``(x, xi)``) and may implement
    ``_learn_episode``.  ``predict`` returns the
    deterministic ``-K x`` for one observation or a batch (SB3's ``evaluate_policy`` passes a batch).
    """

    observation_space: spaces.Box
    action_space: spaces.Box

    def __init__(
        self,
        env: gym.Env | str,
        sigma: float = 0.1,
        K0: ArrayLike | None = None,
        seed: int | None = None,
        **hyperparameters: Any,
    ):
        K0_list = None if K0 is None else np.asarray(K0, dtype=np.float64).tolist()
        super().__init__(env, seed=seed, sigma=sigma, K0=K0_list, **hyperparameters)
        for what, space in (("observation", self.observation_space), ("action", self.action_space)):
            if not isinstance(space, spaces.Box) or len(space.shape) != 1:
                raise TypeError(f"{type(self).__name__} needs a 1-D Box {what} space, got {space}")
        self.n, self.m = self.observation_space.shape[0], self.action_space.shape[0]
        self.sigma = positive(sigma, "sigma")
        self.K = np.zeros((self.m, self.n)) if K0 is None else np.asarray(K0, dtype=np.float64).reshape(self.m, self.n)
        if not np.all(np.isfinite(self.K)):
            raise ValueError(f"K0 must be finite, got {K0}")

    def _array_specs(self):
        return {"K": ArraySpec((self.m, self.n))}

    def _behave(self, obs):
        x = np.asarray(obs, dtype=np.float64)
        xi = self.sigma * self.rng.standard_normal(self.m)
        return -self.K @ x - xi, (x, xi)

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        obs = np.asarray(observation, dtype=np.float64)
        if obs.shape[-1:] != (self.n,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape ({self.n},) or (batch, {self.n}), got {obs.shape}")
        u = -obs @ self.K.T
        if not deterministic:
            u = u - self.sigma * self.rng.standard_normal(u.shape)
        return u, state
