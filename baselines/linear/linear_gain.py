"""What the agents with a linear state-feedback controller ``u = -K x`` share."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from ..common import Agent, progress


def positive(value, name: str, allow_zero: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} finite number, got {value!r}")
    return value


class LinearGainAgent(Agent):
    """An agent whose behaviour is ``u = -K x - xi`` with Gaussian exploration ``xi ~ N(0, sigma^2 I)``.

    Subclasses implement ``_observe(x, xi, r, x2, terminated, truncated)`` (called after every
    step) and may implement ``_end_episode()``.  ``predict`` returns the deterministic ``-K x``
    for one observation or a batch (SB3's ``evaluate_policy`` passes a batch).
    """

    _saved_arrays = ("K",)

    def __init__(self, env, sigma: float = 0.1, K0=None, seed: int | None = None, **hyperparameters):
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
        self._obs = None

    def _observe(self, x, xi, r, x2, terminated, truncated) -> None:
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
            x = np.asarray(self._obs, dtype=np.float64)
            xi = self.sigma * self.rng.standard_normal(self.m)
            x2, r, terminated, truncated, _ = self.env.step(-self.K @ x - xi)
            self.num_timesteps += 1
            self._ep_return += r
            self._ep_len += 1
            self._observe(x, xi, float(r), np.asarray(x2, dtype=np.float64), terminated, truncated)
            self._obs = x2
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

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        obs = np.asarray(observation, dtype=np.float64)
        if obs.shape[-1:] != (self.n,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape ({self.n},) or (batch, {self.n}), got {obs.shape}")
        u = -obs @ self.K.T
        if not deterministic:
            u = u - self.sigma * self.rng.standard_normal(u.shape)
        return u, state
