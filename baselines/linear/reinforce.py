"""REINFORCE for a stochastic linear controller, the motor-learning example of
Yamamoto's reinforcement-learning chapter (docs/references.md).

The controller ``u_t = -K x_t - xi_t`` with ``xi_t ~ N(0, sigma^2 I)`` has
``grad_K log pi(u_t | x_t) = xi_t x_t' / sigma^2``, so the eligibility trace and the update
of the expected episode cost ``J = E sum_t c_t`` are

    Z_t = Z_{t-1} + xi_t x_t' / sigma^2          (Z_{-1} = 0, reset every episode)
    Delta K_t = -eta c_t Z_t

the node-perturbation form: the outer product of the noise and the activity.  Summed over an
episode, ``sum_t c_t Z_t`` is the GPOMDP estimate of ``grad_K J`` (a cost only credits the
perturbations before it).  Two standard variance reductions are options: a per-time-step
cost baseline ``b_t`` (``c_t - b_t`` replaces ``c_t``; ``b_t`` is a running mean of the costs
at time ``t`` of earlier episodes, so it does not depend on this episode's noise), and a
normalised per-episode step (RMSprop, Tieleman & Hinton 2012)

    v = rho v + (1 - rho) G**2,    Delta K = -eta G / sqrt(v)      (componentwise)

with ``G = sum_t (c_t - b_t) Z_t``.  ``eta`` is then a step in gain units, and all gains move
at comparable speeds.  This matters on the double integrator: the plain gradient from a small
gain raises the position gain much faster than the velocity gain and runs along the stability
boundary (k1 = k2), where a noisy step crosses it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from rl_envs.validation import positive

from ..agent_files import ArraySpec
from ..rmsprop import decay_rate, rms_normalized
from .linear_gain import LinearGainAgent


def trace_update(Z: np.ndarray, xi: np.ndarray, x: np.ndarray, sigma: float) -> np.ndarray:
    """``Z_t = Z_{t-1} + xi_t x_t' / sigma^2``."""
    return Z + np.outer(xi, x) / sigma**2


def reinforce_step(K: np.ndarray, Z: np.ndarray, c: float, eta: float) -> np.ndarray:
    """``K_t = K_{t-1} - eta c_t Z_t``."""
    return K - eta * c * Z


class LinearReinforce(LinearGainAgent):
    """REINFORCE with an eligibility trace for ``u = -K x - xi`` on a linear-quadratic task.

    Arguments: ``eta`` step size, ``sigma`` exploration standard deviation, ``K0`` initial gain
    (default zero), ``update`` ``"step"`` (that example's online rule, ``K`` changes within the
    episode) or ``"episode"`` (the same sum applied at the episode's end), ``baseline`` (a
    per-time-step running-mean cost baseline), ``baseline_rate`` its averaging rate,
    ``normalize`` (the RMSprop-normalised episode step; needs ``update="episode"``),
    ``rms_decay`` (``rho``), ``seed``.
    The cost is ``c_t = -r_t``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        eta: float = 1e-4,
        sigma: float = 0.1,
        K0: ArrayLike | None = None,
        update: str = "step",
        baseline: bool = False,
        baseline_rate: float = 0.1,
        normalize: bool = False,
        rms_decay: float = 0.9,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            sigma=sigma,
            K0=K0,
            seed=seed,
            eta=eta,
            update=update,
            baseline=baseline,
            baseline_rate=baseline_rate,
            normalize=normalize,
            rms_decay=rms_decay,
        )
        self.eta = positive(eta, "eta")
        if update not in ("step", "episode"):
            raise ValueError(f"update must be 'step' or 'episode', got {update!r}")
        if normalize and update != "episode":
            raise ValueError("normalize needs update='episode' (it normalises the episode's gradient)")
        self.update, self.use_baseline, self.normalize = update, bool(baseline), bool(normalize)
        self.baseline_rate = positive(baseline_rate, "baseline_rate")
        self.rms_decay = decay_rate(rms_decay, "rms_decay")
        self.v = np.zeros_like(self.K)  # running mean of G**2; zero until the first episode
        self.b = np.zeros(0)  # b[t]: running mean of the cost at time t; grows with the horizon
        self._start_episode()

    def _array_specs(self):
        return {**super()._array_specs(), "v": ArraySpec((self.m, self.n), low=0.0), "b": ArraySpec(("horizon",))}

    def _start_episode(self):
        self.Z = np.zeros_like(self.K)
        self.G = np.zeros_like(self.K)
        self._t = 0
        self._costs: list[float] = []

    def _learn_step(self, memo, r, obs2, terminated, truncated):
        x, xi = memo
        c = -r
        self.Z = trace_update(self.Z, xi, x, self.sigma)
        if self.use_baseline:
            if self._t >= len(self.b):  # first visit of time t: no earlier episode to compare with
                self.b = np.append(self.b, c)
            c = c - self.b[self._t]
            self._costs.append(-r)
        self._t += 1
        if self.update == "step":
            self.K = reinforce_step(self.K, self.Z, c, self.eta)
        else:
            self.G += c * self.Z

    def _learn_episode(self, terminated):
        if self.update == "episode" and self.normalize:
            direction, self.v = rms_normalized(self.G, self.v, self.rms_decay)
            self.K = self.K - self.eta * direction
        elif self.update == "episode":
            self.K = reinforce_step(self.K, self.G, 1.0, self.eta)
        if self.use_baseline:
            t = len(self._costs)
            self.b[:t] += self.baseline_rate * (np.array(self._costs) - self.b[:t])
        self._start_episode()
