"""A continuous-time actor-critic for linear control (Doya 2000).

The critic ``V(x) = v' phi(x)`` on quadratic features is trained by the continuous-time TD
error ``delta = dV/dt - V / tau + r`` in its backward-Euler form over a step ``dt``:

    delta_t = (V(x_{t+1}) - V(x_t)) / dt - V(x_{t+1}) / tau + r_t
            = (r_t dt + gamma V(x_{t+1}) - V(x_t)) / dt,    gamma = 1 - dt / tau,

i.e. discrete TD(0) with the step's reward ``r_t dt`` (what the environment returns) and
discount ``gamma``, scaled by ``1/dt``.  The actor is the gain of ``u = -K x - sigma n`` with
white exploration ``n ~ N(0, I)``; a positive ``delta`` means the perturbation did better than
expected, so the mean control moves towards it:

    v <- v + alpha_v dt delta phi(x_t) / (1 + |phi(x_t)|^2),        K <- K + alpha_K dt delta n x_t'.

The critic's step is normalised (normalised LMS): quadratic features grow like |x|^2, and a
fixed step that suits |x| ~ 1 diverges as soon as the state wanders to |x| ~ 5.  It is stable
for ``alpha_v dt < 2``.

The actor waits ``actor_delay`` steps for the critic: with the initial V = 0 the TD error is
just the (negative) cost rate, and following it shrinks the gain towards the myopic u = 0,
which destabilises an unstable plant before the critic knows better.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from rl_envs.validation import integer, positive, real

from ..agent_files import ArraySpec
from .linear_gain import LinearGainAgent


def ct_td_error(r: float, V: float, V_prev: float, dt: float, tau: float) -> float:
    """Doya's (2000) backward-Euler TD error: ``(V - V_prev)/dt - V/tau + r`` at ``V = V(x(t))``,
    ``V_prev = V(x(t - dt))`` and reward rate ``r``."""
    return (V - V_prev) / dt - V / tau + r


def quadratic_features(x: np.ndarray) -> np.ndarray:
    """``[x_i x_j for i <= j] + [1]``: a quadratic form plus a constant (the noise's share)."""
    i, j = np.triu_indices(len(x))
    return np.append(x[i] * x[j], 1.0)


def quadratic_form(v: np.ndarray, n: int) -> tuple[np.ndarray, float]:
    """``(P, c)`` with ``v' phi(x) = x' P x + c`` (``P`` symmetric)."""
    i, j = np.triu_indices(n)
    P = np.zeros((n, n))
    P[i, j] = v[:-1]
    return (P + P.T) / 2, float(v[-1])


class ContinuousTimeActorCritic(LinearGainAgent):
    """Actor-critic with the continuous-time TD error for ``u = -K x - sigma n``.

    Arguments: ``tau`` the value's time constant, ``alpha_v`` critic rate, ``alpha_K`` actor
    rate (0 evaluates a fixed gain), ``actor_delay`` steps of critic-only learning first,
    ``sigma`` exploration, ``K0`` initial gain, ``dt`` the step (default: the environment's
    ``dt``, 1 for a discrete-time environment), ``seed``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        tau: float = 5.0,
        alpha_v: float = 2.0,
        alpha_K: float = 0.2,
        actor_delay: int = 0,
        sigma: float = 0.2,
        K0: ArrayLike | None = None,
        dt: float | None = None,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            sigma=sigma,
            K0=K0,
            seed=seed,
            tau=tau,
            alpha_v=alpha_v,
            alpha_K=alpha_K,
            actor_delay=actor_delay,
            dt=dt,
        )
        env_dt = getattr(self.env.unwrapped, "dt", None)
        self.dt = positive(dt if dt is not None else (env_dt if env_dt is not None else 1.0), "dt")
        self.tau = positive(tau, "tau")
        if self.tau <= self.dt:
            raise ValueError(f"tau must exceed dt (gamma = 1 - dt/tau > 0), got tau={tau}, dt={self.dt}")
        self.alpha_v = positive(alpha_v, "alpha_v")
        if self.alpha_v * self.dt >= 2.0:
            raise ValueError(
                f"alpha_v * dt must be below 2 (normalised LMS diverges beyond), got {self.alpha_v * self.dt}"
            )
        self.alpha_K = real(alpha_K, "alpha_K", low=0)
        self.actor_delay = integer(actor_delay, "actor_delay", low=0)
        self.v = np.zeros(self.n * (self.n + 1) // 2 + 1)

    def _array_specs(self):
        return {**super()._array_specs(), "v": ArraySpec(self.v.shape)}

    def value(self, x: np.ndarray) -> float:
        return float(self.v @ quadratic_features(x))

    def _learn_step(self, memo, r, obs2, terminated, truncated):
        x, xi = memo
        phi = quadratic_features(x)
        V_next = (
            0.0 if terminated else self.value(np.asarray(obs2, dtype=np.float64))
        )  # a time limit is not the end of the task
        delta = ct_td_error(r / self.dt, V_next, float(self.v @ phi), self.dt, self.tau)
        self.v += self.alpha_v * self.dt * delta * phi / (1.0 + phi @ phi)
        if self.num_timesteps > self.actor_delay:
            self.K += self.alpha_K * self.dt * delta * np.outer(xi / self.sigma, x)
