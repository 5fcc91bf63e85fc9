"""COPDAC-Q: compatible off-policy deterministic actor-critic with Q-learning (Silver et al. 2014, eqs 19-22).

The critic is Q^w(s, a) = (a - μθ(s))ᵀ ∇θμθ(s)ᵀ w + V_v(s): an advantage that is linear in the
compatible features φ(s, a) = ∇θμθ(s) (a - μθ(s)) (n x 1 for n actor parameters) plus a
state-value baseline.  Behaviour is μθ(s) plus Gaussian noise; the target policy is μθ.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import gymnasium as gym
from gymnasium import spaces
from gymnasium.spaces.utils import flatdim

from rl_envs.validation import discount, real

from ..agent import Agent
from ..agent_files import ArraySpec
from ..features import RBFFeatures
from .approximators import LinearMap, SigmoidMLP


def compatible_features(J: np.ndarray, a: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """φ(s, a) = ∇θμθ(s) (a - μθ(s)); ``J`` is ∇θμθ(s), n x m."""
    return J @ (a - mu)


def copdac_q_update(
    theta: np.ndarray,
    w: np.ndarray,
    v: np.ndarray,
    J: np.ndarray,
    mu: np.ndarray,
    grad_v: np.ndarray,
    V_s: float,
    V_s2: float,
    a: np.ndarray,
    r: float,
    gamma: float,
    alpha_theta: float,
    alpha_w: float,
    alpha_v: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """One COPDAC-Q step; returns the new (θ, w, v) and δ.

    ``J = ∇θμθ(s_t)``, ``grad_v = ∇_v V_v(s_t)`` (= φ(s_t) for a linear V), ``V_s = V_v(s_t)``
    and ``V_s2 = V_v(s_{t+1})`` (0 after a terminal transition).  Under the compatible critic
    Q^w(s', μθ(s')) = V_v(s'), since the advantage vanishes at a = μθ(s').
    """
    phi = compatible_features(J, a, mu)
    delta = float(r + gamma * V_s2 - (phi @ w + V_s))  # (19)
    theta = theta + alpha_theta * (J @ (J.T @ w))  # (20), with w_t
    w = w + alpha_w * delta * phi  # (21)
    v = v + alpha_v * delta * grad_v  # (22)
    return theta, w, v, delta


def per_dimension(obs_scale: float | list[float] | dict[str, float], env: gym.Env) -> float | list[float]:
    """``obs_scale`` as given, or a dict of scales by quantity spread over the dimensions of
    ``env.unwrapped.observation_layout`` (saved so, a loaded agent needs no layout)."""
    if not isinstance(obs_scale, dict):
        return obs_scale
    layout = getattr(env.unwrapped, "observation_layout", None)
    if layout is None:
        raise ValueError(
            f"obs_scale by quantity needs an env with an observation_layout, got {type(env.unwrapped).__name__}"
        )
    missing = sorted(set(layout) - set(obs_scale))
    if missing:
        raise ValueError(f"obs_scale has no scale for {missing} of the env's observation_layout {sorted(layout)}")
    scale = np.empty(flatdim(env.observation_space))
    for name, where in layout.items():
        scale[where] = obs_scale[name]
    return scale.tolist()


def _params_of(approximator: str) -> property:
    """A read/write property for the parameter vector of the approximator held in ``approximator``."""

    def get(self):
        return getattr(self, approximator).params

    def put(self, value):
        getattr(self, approximator).params = np.asarray(value, dtype=np.float64)

    return property(get, put)


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
      the networks (one number, one per dimension, or a dict of one per quantity of the env's
      ``observation_layout``, as OctopusArm has).
    """

    observation_space: spaces.Box
    action_space: spaces.Box

    def __init__(
        self,
        env: gym.Env | str,
        actor: str = "linear",
        critic: str = "linear",
        gamma: float = 0.99,
        sigma: float = 0.1,
        alpha_theta: float = 1e-3,
        alpha_w: float = 1e-2,
        alpha_v: float = 1e-2,
        n_rbf: int = 7,
        actor_hidden: int = 8,
        critic_hidden: int = 40,
        obs_scale: float | list[float] | dict[str, float] = 1.0,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            seed=seed,
            actor=actor,
            critic=critic,
            gamma=gamma,
            sigma=sigma,
            alpha_theta=alpha_theta,
            alpha_w=alpha_w,
            alpha_v=alpha_v,
            n_rbf=n_rbf,
            actor_hidden=actor_hidden,
            critic_hidden=critic_hidden,
        )
        for what, space in (("observation", self.observation_space), ("action", self.action_space)):
            if not isinstance(space, spaces.Box) or len(space.shape) != 1:
                raise TypeError(f"COPDACQ needs a 1-D Box {what} space, got {space}")
        obs_scale = per_dimension(obs_scale, self.env)
        self.hyperparameters["obs_scale"] = np.asarray(obs_scale, dtype=np.float64).tolist()
        self.gamma = discount(gamma)
        self.sigma = real(sigma, "sigma", low=0)
        self.alpha_theta = real(alpha_theta, "alpha_theta", low=0)
        self.alpha_w = real(alpha_w, "alpha_w", low=0)
        self.alpha_v = real(alpha_v, "alpha_v", low=0)
        d, m = self.observation_space.shape[0], self.action_space.shape[0]
        self.low, self.high = self.action_space.low.astype(np.float64), self.action_space.high.astype(np.float64)
        features = None
        if "linear" in (actor, critic):
            lo, hi = self.observation_space.low, self.observation_space.high
            features = RBFFeatures(lo, hi, n_rbf)  # raises for unbounded or high-dimensional observations
        if actor == "linear":
            assert features is not None  # made above for a linear actor or critic
            self.mu = LinearMap(features, m)
        elif actor == "mlp":
            self.mu = SigmoidMLP(d, actor_hidden, m, squash=True, rng=self.rng, input_scale=obs_scale)
        else:
            raise ValueError(f"actor must be 'linear' or 'mlp', got {actor!r}")
        if critic == "linear":
            assert features is not None
            self.V = LinearMap(features, 1)
        elif critic == "mlp":
            self.V = SigmoidMLP(d, critic_hidden, 1, squash=False, rng=self.rng, input_scale=obs_scale, init_scale=0.1)
        else:
            raise ValueError(f"critic must be 'linear' or 'mlp', got {critic!r}")
        self.w = np.zeros(self.mu.params.size)

    def _array_specs(self):
        actor = ArraySpec(self.mu.params.shape)
        return {"theta": actor, "w": actor, "v": ArraySpec(self.V.params.shape)}

    # θ and v live inside the approximators; these properties make them saveable by name.
    theta = _params_of("mu")
    v = _params_of("V")

    def _draw(self, s) -> np.ndarray:
        """A draw from the behaviour N(μθ(s), σ²), not clipped."""
        mu = self.mu(s)
        return mu + self.sigma * self.rng.standard_normal(mu.shape)

    # The loop's hooks.  The critic learns from the raw draw ``a``, so that E[a - μθ(s)] = 0 near
    # the action bounds (clipping would bias the compatible features φ(s, a) there, where sigmoid
    # actors end up); the environment receives it clipped to the action box.

    def _behave(self, obs):
        s = np.asarray(obs, dtype=np.float64)
        a = self._draw(s)
        return np.clip(a, self.low, self.high).astype(self.action_space.dtype), (s, a)

    def _learn_step(self, memo, r, s2, terminated, truncated) -> float:
        """Eqs (19)-(22) on one transition; returns δ."""
        s, a = memo
        mu, J = self.mu.value_and_jacobian(s)
        V_s, grad_v = self.V.value_and_jacobian(s)
        V_s2 = 0.0 if terminated else float(self.V(np.asarray(s2, dtype=np.float64))[0])
        self.theta, self.w, self.v, delta = copdac_q_update(
            self.theta,
            self.w,
            self.v,
            J,
            mu,
            grad_v[:, 0],
            float(V_s[0]),
            V_s2,
            np.asarray(a, dtype=np.float64),
            r,
            self.gamma,
            self.alpha_theta,
            self.alpha_w,
            self.alpha_v,
        )
        return delta

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        obs = np.asarray(observation, dtype=np.float64)
        d = self.observation_space.shape[0]
        if obs.shape[-1:] != (d,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape ({d},) or (N, {d}), got {obs.shape}")
        batch = np.atleast_2d(obs)
        actions = np.stack([self.mu(x) if deterministic else self._draw(x) for x in batch])
        actions = np.clip(actions, self.low, self.high).astype(self.action_space.dtype)
        return (actions if obs.ndim == 2 else actions[0]), state
