"""Learning curves over seeds: each run's episode returns on a common grid of steps, smoothed,
then their mean with a 95 % confidence band."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def curve_on_grid(
    end_steps: Sequence[int] | np.ndarray, returns: Sequence[float] | np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """The return of the latest finished episode at each grid step (NaN before the first)."""
    end_steps = np.asarray(end_steps)
    idx = np.searchsorted(end_steps, grid, side="right") - 1
    vals = np.asarray(returns, dtype=float)[np.maximum(idx, 0)] if len(returns) else np.full(len(grid), np.nan)
    return np.where(idx >= 0, vals, np.nan)


def smooth(y: np.ndarray, window: int) -> np.ndarray:
    """Running mean over ``window`` grid points (NaN-aware), to read a noisy curve."""
    out = np.full_like(y, np.nan)
    for i in range(len(y)):
        seg = y[max(0, i - window + 1) : i + 1]
        seg = seg[~np.isnan(seg)]
        if len(seg):
            out[i] = seg.mean()
    return out


def mean_and_band(curves: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """Mean over axis 0 and a normal-approximation 95 % confidence half-width.

    Columns with no value (before any run finished an episode) are NaN in both.
    """
    n = np.sum(~np.isnan(curves), axis=0)
    filled = np.where(np.isnan(curves), 0.0, curves)
    mean = np.where(n > 0, filled.sum(axis=0) / np.maximum(n, 1), np.nan)
    sq = np.where(np.isnan(curves), 0.0, (curves - mean) ** 2).sum(axis=0)
    std = np.sqrt(sq / np.maximum(n - 1, 1))
    return mean, np.where(n > 0, z * std / np.sqrt(np.maximum(n, 1)), np.nan)
