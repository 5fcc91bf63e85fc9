"""COPDAC-Q: compatible off-policy deterministic actor-critic with Q-learning (Silver et al. 2014, eqs 19-22).

The critic is Q^w(s, a) = (a - μθ(s))ᵀ ∇θμθ(s)ᵀ w + V_v(s): an advantage that is linear in the
compatible features φ(s, a) = ∇θμθ(s) (a - μθ(s)) (n x 1 for n actor parameters) plus a
state-value baseline.  Behaviour is μθ(s) plus Gaussian noise; the target policy is μθ.
"""

from __future__ import annotations

import numpy as np
from gymnasium import spaces

from ..common import Agent, progress
from ..features import RBFFeatures
from .approximators import LinearMap, SigmoidMLP


def _non_negative(value, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return value


def compatible_features(J: np.ndarray, a: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """φ(s, a) = ∇θμθ(s) (a - μθ(s)); ``J`` is ∇θμθ(s), n x m."""
    return J @ (a - mu)


def copdac_q_update(theta, w, v, J, mu, grad_v, V_s, V_s2, a, r, gamma, alpha_theta, alpha_w, alpha_v):
    """One COPDAC-Q step; returns the new (θ, w, v) and δ.

    ``J = ∇θμθ(s_t)``, ``grad_v = ∇_v V_v(s_t)`` (= φ(s_t) for a linear V), ``V_s = V_v(s_t)``
    and ``V_s2 = V_v(s_{t+1})`` (0 after a terminal transition).  Under the compatible critic
    Q^w(s', μθ(s')) = V_v(s'), since the advantage vanishes at a = μθ(s').
    """
    phi = compatible_features(J, a, mu)
    delta = r + gamma * V_s2 - (phi @ w + V_s)  # (19)
    theta = theta + alpha_theta * (J @ (J.T @ w))  # (20), with w_t
    w = w + alpha_w * delta * phi  # (21)
    v = v + alpha_v * delta * grad_v  # (22)
    return theta, w, v, delta


class COPDACQ(Agent):
    """COPDAC-Q for a 1-D Box action space, actions clipped to the space.

    * ``actor="linear"``: μθ(s) = θᵀφ(s) with RBF features (``n_rbf`` centres per observation
      dimension, for low-dimensional tasks with bounded observations).  ``actor="mlp"``: the
      paper's octopus actor, 8 sigmoid hidden units (``actor_hidden``) and sigmoid outputs
      (for actions in [0, 1]).
    * ``critic="linear"``: V_v(s) = vᵀφ(s) on the same RBF features; ``critic="mlp"``: 40 sigmoid
      hidden units (``critic_hidden``), linear output; its weights v follow eq. (22) with
      ∇_v V_v(s) in place of φ(s).
    * ``sigma``: standard deviation of the Gaussian behaviour noise; ``gamma``; step sizes
      ``alpha_theta``, ``alpha_w``, ``alpha_v``; ``obs_scale`` multiplies observations before
      the networks (one number or one per dimension).
    """

    _saved_arrays = ("theta", "w", "v")

    def __init__(self, env, actor: str = "linear", critic: str = "linear", gamma: float = 0.99,
                 sigma: float = 0.1, alpha_theta: float = 1e-3, alpha_w: float = 1e-2, alpha_v: float = 1e-2,
                 n_rbf: int = 7, actor_hidden: int = 8, critic_hidden: int = 40, obs_scale=1.0,
                 seed: int | None = None):
        obs_scale_saved = np.asarray(obs_scale, dtype=np.float64).tolist()
        super().__init__(env, seed=seed, actor=actor, critic=critic, gamma=gamma, sigma=sigma,
                         alpha_theta=alpha_theta, alpha_w=alpha_w, alpha_v=alpha_v, n_rbf=n_rbf,
                         actor_hidden=actor_hidden, critic_hidden=critic_hidden, obs_scale=obs_scale_saved)
        for what, space in (("observation", self.observation_space), ("action", self.action_space)):
            if not isinstance(space, spaces.Box) or len(space.shape) != 1:
                raise TypeError(f"COPDACQ needs a 1-D Box {what} space, got {space}")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        self.gamma = float(gamma)
        self.sigma = _non_negative(sigma, "sigma")
        self.alpha_theta = _non_negative(alpha_theta, "alpha_theta")
        self.alpha_w = _non_negative(alpha_w, "alpha_w")
        self.alpha_v = _non_negative(alpha_v, "alpha_v")
        d, m = self.observation_space.shape[0], self.action_space.shape[0]
        self.low, self.high = self.action_space.low.astype(np.float64), self.action_space.high.astype(np.float64)
        features = None
        if "linear" in (actor, critic):
            lo, hi = self.observation_space.low, self.observation_space.high
            features = RBFFeatures(lo, hi, n_rbf)  # raises for unbounded observations
        if actor == "linear":
            self.mu = LinearMap(features, m)
        elif actor == "mlp":
            self.mu = SigmoidMLP(d, actor_hidden, m, squash=True, rng=self.rng, input_scale=obs_scale)
        else:
            raise ValueError(f"actor must be 'linear' or 'mlp', got {actor!r}")
        if critic == "linear":
            self.V = LinearMap(features, 1)
        elif critic == "mlp":
            self.V = SigmoidMLP(d, critic_hidden, 1, squash=False, rng=self.rng, input_scale=obs_scale, init_scale=0.1)
        else:
            raise ValueError(f"critic must be 'linear' or 'mlp', got {critic!r}")
        self.w = np.zeros(self.mu.params.size)
        self._obs = None

    # θ and v live inside the approximators; these properties make them saveable by name.
    @property
    def theta(self):
        return self.mu.params

    @theta.setter
    def theta(self, value):
        self.mu.params = np.asarray(value, dtype=np.float64)

    @property
    def v(self):
        return self.V.params

    @v.setter
    def v(self, value):
        self.V.params = np.asarray(value, dtype=np.float64)

    def behaviour(self, s) -> np.ndarray:
        """A draw from N(μθ(s), σ²), not clipped: the env receives it clipped, but the critic
        learns from the draw itself, so that E[a - μθ(s)] = 0 near the action bounds (clipping
        would bias the compatible features φ(s, a) there, where sigmoid actors end up)."""
        mu = self.mu(s)
        return mu + self.sigma * self.rng.standard_normal(mu.shape)

    def update(self, s, a, r, s2, terminated: bool) -> float:
        """Apply eqs (19)-(22) to one transition; returns δ."""
        mu, J = self.mu.value_and_jacobian(s)
        V_s, grad_v = self.V.value_and_jacobian(s)
        V_s2 = 0.0 if terminated else float(self.V(s2)[0])
        self.theta, self.w, self.v, delta = copdac_q_update(
            self.theta, self.w, self.v, J, mu, grad_v[:, 0], float(V_s[0]), V_s2,
            np.asarray(a, dtype=np.float64), r, self.gamma, self.alpha_theta, self.alpha_w, self.alpha_v)
        return delta

    def learn(self, total_timesteps: int, callback=None, progress_bar: bool = False):
        """Interact for ``total_timesteps`` steps with the behaviour policy, learning online.

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
            s = np.asarray(self._obs, dtype=np.float64)
            a = self.behaviour(s)
            s2, r, terminated, truncated, _ = self.env.step(np.clip(a, self.low, self.high).astype(self.action_space.dtype))
            self.num_timesteps += 1
            self._ep_return += float(r)
            self._ep_len += 1
            self.update(s, a, float(r), np.asarray(s2, dtype=np.float64), terminated)
            self._obs = s2
            bar.update()
            if terminated or truncated:
                self.episodes.add(self._ep_return, self._ep_len, self.num_timesteps)
                self._obs, _ = self._reset_env()
                self._ep_return, self._ep_len = 0.0, 0
                if callback is not None and callback(self) is False:
                    break
        bar.close()
        return self

    def predict(self, observation, state=None, episode_start=None, deterministic: bool = True):
        obs = np.asarray(observation, dtype=np.float64)
        d = self.observation_space.shape[0]
        if obs.shape[-1:] != (d,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape ({d},) or (N, {d}), got {obs.shape}")
        batch = np.atleast_2d(obs)
        actions = np.stack([self.mu(x) if deterministic else self.behaviour(x) for x in batch])
        actions = np.clip(actions, self.low, self.high).astype(self.action_space.dtype)
        return (actions if obs.ndim == 2 else actions[0]), state
