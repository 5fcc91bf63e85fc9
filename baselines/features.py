"""Shared function-approximation pieces: fixed feature maps of a Box observation."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

MAX_CENTRES = 1_000_000


class RBFFeatures:
    """Normalised Gaussian radial basis functions on a regular grid over ``[low, high]``, plus a bias.

    ``n_per_dim`` centres per dimension (``n_per_dim ** d`` in all: for low-dimensional tasks);
    the width is the grid spacing times ``width``.  ``phi(s)`` takes one state ``(d,)`` or a
    batch ``(N, d)``.
    """

    def __init__(self, low: ArrayLike, high: ArrayLike, n_per_dim: int = 7, width: float = 1.0):
        low, high = np.asarray(low, dtype=np.float64), np.asarray(high, dtype=np.float64)
        if low.shape != high.shape or low.ndim != 1 or not np.all(np.isfinite(low) & np.isfinite(high) & (high > low)):
            raise ValueError(f"RBF features need finite bounds with high > low, got {low} and {high}")
        if int(n_per_dim) < 2:
            raise ValueError(f"n_per_dim must be at least 2, got {n_per_dim}")
        # The grid grows as n_per_dim ** d: refuse it before numpy tries to allocate it.
        if len(low) * np.log(int(n_per_dim)) > np.log(MAX_CENTRES):
            raise ValueError(
                f"a grid of {int(n_per_dim)}^{len(low)} RBF centres exceeds {MAX_CENTRES:,}: "
                "RBF features are for low-dimensional observations"
            )
        grids = np.meshgrid(*[np.linspace(lo, hi, int(n_per_dim)) for lo, hi in zip(low, high)], indexing="ij")
        self.centres = np.stack([g.ravel() for g in grids], axis=1)
        self.sigma = width * (high - low) / (int(n_per_dim) - 1)
        self.size = len(self.centres) + 1

    def __call__(self, s: np.ndarray) -> np.ndarray:
        s = np.asarray(s, dtype=np.float64)
        z = (s[..., None, :] - self.centres) / self.sigma
        k = np.exp(-0.5 * (z**2).sum(-1))
        k = k / k.sum(-1, keepdims=True)
        return np.concatenate([k, np.ones((*k.shape[:-1], 1))], axis=-1)
