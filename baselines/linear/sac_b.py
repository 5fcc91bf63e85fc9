"""SAC-B, the stochastic actor-critic on the bandit (Silver et al. 2014, Sec. 5.1).

Policy ``pi_{theta,y} = N(theta, exp(y) I)`` (isotropic, ``y`` the log variance).  With
``d = a - theta`` and ``sigma^2 = exp(y)`` the compatible features are the score

    grad_theta log pi(a) = d / sigma^2,        grad_y log pi(a) = (|d|^2 / sigma^2 - m) / 2,

and the critic ``Q^w(a) = grad log pi(a)^T w + b`` is fitted by least squares from each batch of
``2m`` steps.  For compatible features ``w`` is the natural policy gradient (Kakade 2001; Sec. 4.3
of the paper), and the actor takes one step along it per batch:

    theta <- theta + alpha_theta * w_theta,        y <- y + alpha_y * w_y.

With ``adapt_variance=False`` ``y`` stays fixed and the critic drops its feature.  In this
noise-free bandit ``w_theta`` is then exactly ``sigma^2`` times COPDAC-B's ``w`` (the features are
COPDAC-B's divided by ``sigma^2``), so SAC-B with ``alpha_theta = alpha / sigma^2`` follows
COPDAC-B with step ``alpha`` step for step.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from rl_envs.validation import positive

from ..agent_files import ArraySpec
from .bandit_agent import BanditActorCritic
from .critic import fit_batch_critic


def sac_b_features(d: np.ndarray, y: float, adapt_variance: bool) -> np.ndarray:
    """The score ``grad log pi(a)`` at deviations ``d = a - theta`` (N, m): (N, m) or (N, m + 1)."""
    var = math.exp(y)
    score_theta = d / var
    if not adapt_variance:
        return score_theta
    score_y = 0.5 * (np.einsum("ni,ni->n", d, d) / var - d.shape[1])
    return np.column_stack([score_theta, score_y])


def sac_b_update(
    theta: np.ndarray, y: float, d: np.ndarray, r: np.ndarray, alpha_theta: float, alpha_y: float, adapt_variance: bool
) -> tuple[np.ndarray, float]:
    """One batch update of ``(theta, y)`` from deviations ``d`` (N, m) and rewards ``r`` (N,)."""
    w, _ = fit_batch_critic(sac_b_features(d, y, adapt_variance), r)
    m = len(theta)
    theta = theta + alpha_theta * w[:m]
    if adapt_variance:
        y = y + alpha_y * float(w[m])
    return theta, y


class SACB(BanditActorCritic):
    """SAC-B on a continuous bandit.

    Arguments: ``alpha_theta`` and ``alpha_y`` step sizes of the mean and the log variance,
    ``y_init`` initial log variance, ``adapt_variance`` (False keeps ``exp(y_init)``),
    ``batch_size`` steps per critic fit and actor update (default ``2m``), ``theta_init``
    initial mean action (default 0), ``seed``.  The defaults are the best setting of the
    paper-like sweep in ``experiments/dpg_bandit.py`` (the same for m = 10, 25 and 50).
    """

    def __init__(
        self,
        env: gym.Env | str,
        alpha_theta: float = 10.0,
        alpha_y: float = 1.0,
        y_init: float = math.log(0.1),
        adapt_variance: bool = True,
        batch_size: int | None = None,
        theta_init: ArrayLike = 0.0,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            seed=seed,
            batch_size=batch_size,
            theta_init=theta_init,
            alpha_theta=alpha_theta,
            alpha_y=alpha_y,
            y_init=y_init,
            adapt_variance=adapt_variance,
        )
        self.alpha_theta = positive(alpha_theta, "alpha_theta")
        self.alpha_y = positive(alpha_y, "alpha_y")
        if not math.isfinite(float(y_init)):
            raise ValueError(f"y_init must be finite, got {y_init!r}")
        self.y = float(y_init)
        self.adapt_variance = bool(adapt_variance)
        self._check_batch_size(self.m + self.adapt_variance)

    def _array_specs(self):
        return {**super()._array_specs(), "y": ArraySpec(())}

    @property
    def sigma(self) -> float:
        return math.exp(0.5 * float(self.y))

    def _learn_batch(self, d, r):
        self.theta, self.y = sac_b_update(
            self.theta, float(self.y), d, r, self.alpha_theta, self.alpha_y, self.adapt_variance
        )
