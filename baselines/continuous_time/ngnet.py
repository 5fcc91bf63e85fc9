"""The normalized Gaussian network (NGnet) of Doya (2000): a grid of basis functions

    b_k(x) = a_k(x) / sum_l a_l(x),   a_k(x) = exp(-|(x - c_k) / s|^2 / 2),

with centres ``c_k`` on a regular grid and widths ``s`` one grid spacing times ``width``.  On a
grid of separable Gaussians the sum over the grid factorises, so ``b(x)`` is the outer product
of one normalised 1-D Gaussian per dimension: 15 x 15 = 225 features cost 30 exponentials.
A periodic dimension (the pendulum's θ) puts ``n`` centres on the ring ``[low, high)`` and
measures distance the short way round, so ``b`` is periodic in it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from numba import njit

from rl_envs.validation import positive


class NGnet:
    """``b = features(x)`` (shape ``(..., size)``, summing to 1) and ``db/dx = gradient(x)``
    (shape ``(..., size, d)``) for a state ``(d,)`` or a batch ``(N, d)``."""

    def __init__(
        self,
        low: ArrayLike,
        high: ArrayLike,
        n_per_dim: int | Sequence[int],
        periodic: Sequence[bool],
        width: float = 1.0,
    ):
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        if low.shape != high.shape or low.ndim != 1 or not np.all(np.isfinite(low) & np.isfinite(high) & (high > low)):
            raise ValueError(f"NGnet needs finite bounds with high > low, got {low} and {high}")
        d = len(low)
        self.n_per_dim = [int(n) for n in np.broadcast_to(n_per_dim, (d,))]
        if min(self.n_per_dim) < 2 or np.prod(self.n_per_dim, dtype=float) > 1e6:
            raise ValueError(f"n_per_dim must be at least 2 per dimension and at most 1e6 centres, got {n_per_dim}")
        self.periodic = [bool(p) for p in np.broadcast_to(periodic, (d,))]
        self.period = high - low
        self.centres, self.sigma = [], []
        for lo, hi, n, ring in zip(low, high, self.n_per_dim, self.periodic):
            c = lo + (hi - lo) * np.arange(n) / n if ring else np.linspace(lo, hi, n)
            self.centres.append(c)
            self.sigma.append(positive(width, "width") * (c[1] - c[0]))
        self.size = int(np.prod(self.n_per_dim))

    def _factors(self, x: np.ndarray):
        """Per dimension: the normalised 1-D Gaussians ``p`` and their derivatives ``dp/dx_d``."""
        ps, dps = [], []
        flat = x.reshape(-1, x.shape[-1])
        for i, (c, s) in enumerate(zip(self.centres, self.sigma)):
            p, dp = _normalised_gaussians(flat[:, i].copy(), c, s, self.period[i] if self.periodic[i] else 0.0)
            ps.append(p.reshape(*x.shape[:-1], -1))
            dps.append(dp.reshape(*x.shape[:-1], -1))
        return ps, dps

    @staticmethod
    def _outer(factors) -> np.ndarray:
        out = factors[0]
        for f in factors[1:]:
            out = (out[..., :, None] * f[..., None, :]).reshape(*out.shape[:-1], -1)
        return out

    def features(self, x: ArrayLike) -> np.ndarray:
        ps, _ = self._factors(np.asarray(x, dtype=np.float64))
        return self._outer(ps)

    def gradient(self, x: ArrayLike) -> np.ndarray:
        return self.features_and_gradient(x)[1]

    def features_and_gradient(self, x: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        ps, dps = self._factors(np.asarray(x, dtype=np.float64))
        return self._outer(ps), np.stack(
            [self._outer(ps[:i] + [dps[i]] + ps[i + 1 :]) for i in range(len(ps))], axis=-1
        )


@njit(cache=True, error_model="numpy")
def _normalised_gaussians(x, centres, sigma, period):
    """For each ``x[j]``: ``p = a / sum(a)`` with ``a = exp(-z^2 / 2)``, ``z = (x - c) / sigma``
    (the difference wrapped into [-period/2, period/2) when ``period > 0``), and ``dp/dx``."""
    p = np.empty((x.shape[0], centres.shape[0]))
    dp = np.empty_like(p)
    for j in range(x.shape[0]):
        total, mean_dlog = 0.0, 0.0
        for k in range(centres.shape[0]):
            diff = x[j] - centres[k]
            if period > 0.0:
                diff = (diff + 0.5 * period) % period - 0.5 * period
            z = diff / sigma
            p[j, k] = math.exp(-0.5 * z * z)
            dp[j, k] = -z / sigma  # d log a / dx, for now
            total += p[j, k]
        for k in range(centres.shape[0]):
            p[j, k] /= total
            mean_dlog += p[j, k] * dp[j, k]
        for k in range(centres.shape[0]):
            dp[j, k] = p[j, k] * (dp[j, k] - mean_dlog)
    return p, dp
