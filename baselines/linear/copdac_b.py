"""COPDAC-B, the compatible off-policy deterministic actor-critic on the bandit (Silver et al. 2014, Sec. 5.1).

Target policy ``mu_theta = theta``; behaviour ``beta = N(theta, sigma_beta^2 I)``.  The compatible
features are ``grad_theta mu_theta (a - theta) = a - theta`` (Thm 3), so the critic
``Q^w(a) = (a - theta)^T w + b`` is fitted by least squares from each batch of ``2m`` steps, and
``w`` estimates ``grad_a Q(a)`` at ``a = theta``.  The actor follows the deterministic policy
gradient ``grad_theta mu_theta grad_a Q^w = w`` (eq. 20):

    theta <- theta + alpha_theta * w

Because ``grad_theta mu_theta = I`` here, this is also the natural-gradient form
``theta <- theta + alpha_theta * w`` of Sec. 4.3: the two updates coincide.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from rl_envs.validation import positive

from .bandit_agent import BanditActorCritic
from .critic import fit_batch_critic


def copdac_b_update(theta: np.ndarray, d: np.ndarray, r: np.ndarray, alpha_theta: float) -> np.ndarray:
    """One batch update: ``d`` are the deviations ``a - theta`` (N, m) and ``r`` the rewards (N,)."""
    w, _ = fit_batch_critic(d, r)
    return theta + alpha_theta * w


class COPDACB(BanditActorCritic):
    """COPDAC-B on a continuous bandit.

    Arguments: ``alpha_theta`` actor step size, ``sigma_beta`` the behaviour's standard deviation,
    ``batch_size`` steps per critic fit and actor update (default ``2m``), ``theta_init`` the
    initial mean action (default 0), ``seed``.  The defaults (one setting for m = 10, 25, 50)
    reproduce the plateaus of Fig. 1 of the paper on ``rl_envs/QuadraticBandit-v0`` (see
    ``experiments/dpg_bandit.py``).  In this noise-free bandit the plateau scales with
    ``sigma_beta^2`` (the critic's error comes only from the curvature the linear features
    cannot fit), so a smaller ``sigma_beta`` goes lower; ``alpha_theta`` above 1 diverges
    along eigenvalue-1 directions of ``C``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        alpha_theta: float = 0.7,
        sigma_beta: float = 0.04,
        batch_size: int | None = None,
        theta_init: ArrayLike = 0.0,
        seed: int | None = None,
    ):
        super().__init__(
            env, seed=seed, batch_size=batch_size, theta_init=theta_init, alpha_theta=alpha_theta, sigma_beta=sigma_beta
        )
        self.alpha_theta = positive(alpha_theta, "alpha_theta")
        self.sigma_beta = positive(sigma_beta, "sigma_beta")
        self._check_batch_size(self.m)

    @property
    def sigma(self) -> float:
        return self.sigma_beta

    def _learn_batch(self, d, r):
        self.theta = copdac_b_update(self.theta, d, r, self.alpha_theta)
