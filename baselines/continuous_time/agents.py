"""Doya's (2000) continuous-time agents for the pendulum swing-up, on one NGnet (15 x 15 over
(θ, ω), periodic in θ) for the critic, the actor and the learned model.

Every agent acts by a squashed drive with exploration noise,

    u(t) = u_max s(D(x(t)) + σ(t) n(t)),    s(z) = (2/π) arctan(π z / 2),

where the noise is low-pass filtered, ``τ_n dn/dt = -n + N(t)`` (stepped exactly as an
Ornstein-Uhlenbeck process of unit variance), and shrinks as the value grows,
``σ = σ_0 min(1, max(0, (V_1 - V(x)) / (V_1 - V_0)))``.  The drive ``D`` is what differs:

* :class:`ContinuousActorCritic`: the actor ``A(x) = w^A · b(x)``, trained by
  ``dw^A/dt = η^A δ(t) σ n(t) b(x)``: the critic's TD error rewards the noise that preceded it.
* :class:`ValueGradientPolicy`: the greedy policy of the HJB equation with a control cost
  ``c ∫ s^{-1}(u / u_max) du``: ``D(x) = (1/c) (∂f/∂u)^T (∂V/∂x)^T``, with the input gain of
  the known model (``env.unwrapped.model``) or of a model learned online, ``dω/dt ≈ w^f · b(x)
  + (w^g · b(x)) u``, fitted by normalised LMS to the observed ``Δω / Δt``.
* :class:`DiscreteActorCritic`: the discrete-time actor-critic on the same features and the
  same ``Δt``: TD error ``δ_k = R_k + γ V(x_{k+1}) - V(x_k)`` with ``γ = 1 - Δt/τ``,
  traces ``e <- γλ e + b`` with ``γλ = 1 - Δt/κ``, per-step rates ``α``, ``α^A``, and
  exploration noise drawn afresh every step (white, ``τ_n -> 0``).

The critic is :class:`~baselines.continuous_time.critic.ContinuousTDCritic` (backward Euler
with ``kappa=None``, exponential eligibility traces otherwise).
"""

from __future__ import annotations

import math
from typing import Any, overload

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym
from gymnasium import spaces

from rl_envs.pendulum_swingup import PendulumModel
from rl_envs.validation import integer, positive, real

from ..agent import Agent
from ..agent_files import ArraySpec
from .critic import ContinuousTDCritic
from .ngnet import NGnet


@overload
def squash(z: float) -> float: ...
@overload
def squash(z: np.ndarray) -> np.ndarray: ...
def squash(z: np.ndarray | float) -> np.ndarray | float:
    """Doya's sigmoid ``s(z) = (2/π) arctan(π z / 2)``: slope 1 at 0, range (-1, 1)."""
    return (2.0 / np.pi) * np.arctan(0.5 * np.pi * z)


class NGnetAgent(Agent):
    """What the agents above share: the features, the critic, the noise and the squashed
    action; a subclass implements ``_drive(x, b)`` (and its batch form) and ``_improve``.

    Arguments: ``tau`` (τ, s), ``kappa`` (κ, s; None for the backward-Euler critic), ``eta``
    (critic rate η), ``sigma0``, ``tau_n`` (s), ``V0``, ``V1`` (the noise schedule),
    ``n_per_dim`` (15), ``width`` (basis width in grid spacings), ``omega_max`` (the grid's
    ω range ±omega_max), ``dt`` (the control interval; default the env's), ``seed``.
    """

    observation_space: spaces.Box
    action_space: spaces.Box

    def __init__(
        self,
        env: gym.Env | str,
        tau: float = 1.0,
        kappa: float | None = 0.1,
        eta: float = 1.0,
        sigma0: float = 0.5,
        tau_n: float = 1.0,
        V0: float = -1.0,
        V1: float = 1.0,
        n_per_dim: int = 15,
        width: float = 1.0,
        omega_max: float = 2 * math.pi,
        dt: float | None = None,
        seed: int | None = None,
        **hyperparameters: Any,
    ):
        super().__init__(
            env,
            seed=seed,
            tau=tau,
            kappa=kappa,
            eta=eta,
            sigma0=sigma0,
            tau_n=tau_n,
            V0=V0,
            V1=V1,
            n_per_dim=n_per_dim,
            width=width,
            omega_max=omega_max,
            dt=dt,
            **hyperparameters,
        )
        space = self.action_space
        if not isinstance(space, spaces.Box) or space.shape != (1,) or self.observation_space.shape != (2,):
            raise TypeError(
                f"{type(self).__name__} needs a (θ, ω) observation and a 1-D torque, as "
                f"PendulumSwingUp-v0 has; got {self.observation_space} and {space}"
            )
        self.u_max = float(space.high[0])
        self.dt = positive(dt if dt is not None else getattr(self.env.unwrapped, "dt", 1.0), "dt")
        self.hyperparameters["dt"] = self.dt  # so that an agent loaded without its env keeps it
        n_per_dim = integer(n_per_dim, "n_per_dim", low=2)
        omega_max = positive(omega_max, "omega_max")
        self.features = NGnet([-np.pi, -omega_max], [np.pi, omega_max], n_per_dim, periodic=(True, False), width=width)
        self.critic = self._make_critic(tau, kappa, eta)
        self.sigma0, self.tau_n = real(sigma0, "sigma0", low=0), positive(tau_n, "tau_n")
        if not V1 > V0:
            raise ValueError(f"V1 must exceed V0 (the noise falls from sigma0 at V0 to 0 at V1), got V0={V0}, V1={V1}")
        self.V0, self.V1 = float(V0), float(V1)
        self.n = self.rng.standard_normal()
        self._obs_next = self._b_next = None

    def _make_critic(self, tau, kappa, eta):
        return ContinuousTDCritic(self.features.size, self.dt, tau=tau, eta=eta, kappa=kappa)

    def _array_specs(self):
        return {"v": ArraySpec((self.features.size,))}

    @property
    def v(self) -> np.ndarray:
        return self.critic.v

    @v.setter
    def v(self, value: np.ndarray) -> None:
        self.critic.v = value

    def value(self, x: ArrayLike) -> np.ndarray | float:
        return self.critic.value(self.features.features(x))

    def _noise_decay(self) -> float:
        """``a`` of ``n <- a n + sqrt(1 - a^2) N``: the exact step of the unit-variance low-pass noise."""
        return math.exp(-self.dt / self.tau_n)

    def _behave(self, obs):
        x = np.asarray(obs, dtype=np.float64)
        # the features of the last step's next state, which this state usually is
        b = self._b_next if obs is self._obs_next and self._b_next is not None else self.features.features(x)
        a = self._noise_decay()
        self.n = a * self.n + math.sqrt(1.0 - a * a) * self.rng.standard_normal()
        sigma = self.sigma0 * min(1.0, max(0.0, (self.V1 - float(b @ self.critic.v)) / (self.V1 - self.V0)))
        drive = self._drive(x, b)
        u = self.u_max * squash(drive + sigma * self.n)
        return np.array([u]), (x, b, sigma * self.n, u)

    def _learn_step(self, memo, R, obs2, terminated, truncated):
        x, b, noise, u = memo
        x2 = np.asarray(obs2, dtype=np.float64)
        b2 = self.features.features(x2)
        self._obs_next, self._b_next = obs2, b2
        delta = self.critic.step(b, R, b2, terminated)
        self._improve(x, b, noise, u, delta, x2)

    def _learn_episode(self, terminated):
        self.critic.new_episode()
        self.n = self.rng.standard_normal()

    def _drive(self, x: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The policy's drive before the squash, for one state or a batch (``b`` its features)."""
        raise NotImplementedError

    def _improve(self, x, b, noise, u, delta, x2) -> None:
        """The policy's own learning from one interval (none by default)."""

    def predict(
        self, observation: Any, state: Any = None, episode_start: np.ndarray | None = None, deterministic: bool = True
    ) -> tuple[Any, Any]:
        obs = np.asarray(observation, dtype=np.float64)
        if obs.shape[-1:] != (2,) or obs.ndim > 2:
            raise ValueError(f"observation must have shape (2,) or (N, 2), got {obs.shape}")
        drive = self._drive(obs, self.features.features(obs))
        if not deterministic:
            drive = drive + self.sigma0 * self.rng.standard_normal(np.shape(drive))
        return (self.u_max * squash(np.asarray(drive)))[..., None], state


class ContinuousActorCritic(NGnetAgent):
    """The continuous actor-critic (module docstring); ``eta_A`` is the actor's rate η^A."""

    def __init__(self, env: gym.Env | str, eta_A: float = 5.0, **hyperparameters: Any):
        super().__init__(env, eta_A=eta_A, **hyperparameters)
        self.eta_A = positive(eta_A, "eta_A")
        self.w_A = np.zeros(self.features.size)

    def _array_specs(self):
        return {**super()._array_specs(), "w_A": ArraySpec((self.features.size,))}

    def _drive(self, x, b):
        return b @ self.w_A

    def _improve(self, x, b, noise, u, delta, x2):
        self.w_A += self.eta_A * delta * noise * b * self.dt


class DiscreteActorCritic(ContinuousActorCritic):
    """The discrete-time actor-critic (module docstring): ``alpha`` and ``alpha_A`` are per-step
    rates, ``kappa`` sets ``γλ = 1 - Δt/κ``; the noise is white (``tau_n``, ``eta`` and ``eta_A``,
    the continuous agent's, are not used)."""

    def __init__(self, env: gym.Env | str, alpha: float = 0.02, alpha_A: float = 0.1, **hyperparameters: Any):
        super().__init__(env, alpha=alpha, alpha_A=alpha_A, **hyperparameters)
        self.alpha, self.alpha_A = positive(alpha, "alpha"), positive(alpha_A, "alpha_A")
        self.gamma = 1.0 - self.dt / self.critic.tau
        kappa = self.critic.kappa
        self.gamma_lambda = 0.0 if kappa is None else 1.0 - self.dt / kappa

    def _noise_decay(self) -> float:
        return 0.0

    def _learn_step(self, memo, R, obs2, terminated, truncated):
        _, b, noise, _ = memo
        v, e = self.critic.v, self.critic.e
        b2 = self.features.features(np.asarray(obs2, dtype=np.float64))
        self._obs_next, self._b_next = obs2, b2
        V_next = 0.0 if terminated else float(b2 @ v)
        delta = R + self.gamma * V_next - float(b @ v)
        e *= self.gamma_lambda
        e += b
        v += self.alpha * delta * e
        self.w_A += self.alpha_A * delta * noise * b


class ValueGradientPolicy(NGnetAgent):
    """The value-gradient greedy policy (module docstring).  ``model="known"`` takes the input
    gain from ``env.unwrapped.model.input_gain`` (the default :class:`PendulumModel` for an agent
    loaded without env); ``model="learned"`` fits ``dω/dt`` online at
    rate ``eta_model`` (normalised LMS).  ``c`` is the control-cost scale."""

    def __init__(
        self, env: gym.Env | str, model: str = "known", c: float = 0.1, eta_model: float = 0.5, **hyperparameters: Any
    ):
        super().__init__(env, model=model, c=c, eta_model=eta_model, **hyperparameters)
        if model not in ("known", "learned"):
            raise ValueError(f"model must be 'known' or 'learned', got {model!r}")
        self.model = model
        # an agent loaded without its env knows the task's model by construction
        self.known_model = getattr(self.env.unwrapped, "model", None) or PendulumModel(u_max=self.u_max)
        if model == "known" and not callable(getattr(self.known_model, "input_gain", None)):
            raise ValueError("model='known' needs env.unwrapped.model.input_gain(x) (PendulumSwingUp-v0 has it)")
        self.c, self.eta_model = positive(c, "c"), positive(eta_model, "eta_model")
        self.w_f = np.zeros(self.features.size)  # learned drift of ω
        self.w_g = np.zeros(self.features.size)  # learned input gain of ω

    def _array_specs(self):
        specs = super()._array_specs()
        if self.model == "learned":
            specs.update(w_f=ArraySpec((self.features.size,)), w_g=ArraySpec((self.features.size,)))
        return specs

    def input_gain(self, x: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``∂f/∂u`` at ``x``, shape ``x.shape``: of the known model, or ``(0, w^g · b)`` learned."""
        if self.model == "known":
            return self.known_model.input_gain(x)[..., 0]
        return np.stack([np.zeros(np.shape(b)[:-1]), b @ self.w_g], axis=-1)

    def _drive(self, x, b):
        dV_dx = np.einsum("...kd,k->...d", self.features.gradient(x), self.critic.v)
        return (self.input_gain(x, b) * dV_dx).sum(-1) / self.c

    def _improve(self, x, b, noise, u, delta, x2):
        if self.model == "learned":
            z = np.concatenate([b, u * b])
            error = (x2[1] - x[1]) / self.dt - (b @ self.w_f + u * (b @ self.w_g))
            step = self.eta_model * error / (z @ z)
            self.w_f += step * b
            self.w_g += step * u * b
