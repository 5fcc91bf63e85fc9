"""The critic of Doya (2000): ``V(x) = v · b(x)`` trained by the continuous-time TD error

    δ(t) = r(t) - V(t) / τ + dV(t)/dt,

written with the backward Euler difference over a control interval ``Δt``:

    δ(t) = r(t) + ((1 - Δt/τ) V(x(t)) - V(x(t - Δt))) / Δt,

where ``r(t)`` is the reward rate over the interval (the environment's integrated reward over
``Δt``).  Two updates:

* ``kappa=None``, **backward Euler** (TD(0)): ``dv/dt = η δ(t) b(x(t - Δt))``;
* ``kappa=κ``, **exponential eligibility traces** (TD(λ)):
  ``de/dt = -e / κ + b(x(t))``, ``dv/dt = η δ(t) e(t)``; discretised as
  ``e <- (1 - Δt/κ) e + Δt b(x(t - Δt))``, the discrete trace with ``γλ = 1 - Δt/κ``.

Both move ``v`` by ``Δt`` times the rate.  Since ``δ`` carries ``1/Δt``, the Euler step is
``η (R + (1 - Δt/τ) V(x(t)) - V(x(t - Δt))) b``: discrete TD(0) with step size ``η``, stable
for ``η |b|² < 2``; the trace ``e`` tends to ``κ b``, so traces take steps of about ``η κ``.  At a termination ``V(x(t)) = 0``; at a time limit the
critic bootstraps (the task goes on; only the trial stops).
"""

from __future__ import annotations

import numpy as np

from rl_envs.validation import positive

from ..linear.ct_actor_critic import ct_td_error


class ContinuousTDCritic:
    """``V = v · b`` on a feature vector ``b`` of length ``size``; ``step(b, R, b_next, terminated)``
    learns from one interval (reward integral ``R``) and returns its TD error ``δ``."""

    def __init__(self, size: int, dt: float, tau: float = 1.0, eta: float = 1.0, kappa: float | None = 0.1):
        self.dt = positive(dt, "dt")
        self.tau = positive(tau, "tau")
        self.eta = positive(eta, "eta")
        self.kappa = None if kappa is None else positive(kappa, "kappa")
        for name, value in (("tau", self.tau), ("kappa", self.kappa)):
            if value is not None and value <= self.dt:
                raise ValueError(
                    f"{name} must exceed dt = {self.dt} (the discrete decay 1 - dt/{name} > 0), got {value}"
                )
        self.v = np.zeros(size)
        self.e = np.zeros(size)

    def value(self, b: np.ndarray) -> np.ndarray | float:
        return b @ self.v

    def td_error(self, b: np.ndarray, R: float, b_next: np.ndarray, terminated: bool) -> float:
        V_next = 0.0 if terminated else float(b_next @ self.v)
        return ct_td_error(R / self.dt, V_next, float(b @ self.v), self.dt, self.tau)

    def step(self, b: np.ndarray, R: float, b_next: np.ndarray, terminated: bool) -> float:
        delta = self.td_error(b, R, b_next, terminated)
        if self.kappa is None:
            self.v += self.eta * delta * b * self.dt
        else:
            self.e *= 1.0 - self.dt / self.kappa
            self.e += self.dt * b
            self.v += self.eta * delta * self.e * self.dt
        return delta

    def new_episode(self) -> None:
        self.e[:] = 0.0
