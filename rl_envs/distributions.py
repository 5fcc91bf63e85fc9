"""Exact expectiles and quantiles of a discrete distribution.

The τ-expectile ``e`` of a random variable ``Z`` (Newey & Powell 1987) is the root of

    τ E[(Z − e)⁺] = (1 − τ) E[(e − Z)⁺],

the fixed point of distributional TD with the identity response, α⁺ = α τ and α⁻ = α (1 − τ)
(Dabney et al. 2020, Nature 577:671, Extended Data Fig. 1); τ = ½ gives the mean.  For atoms
``x_1 < ... < x_K`` the left side minus the right is piecewise linear and decreasing in ``e``, so
on the segment ``x_k <= e <= x_{k+1}`` that holds the root it is, exactly,

    e = [(1 − τ) Σ_{x <= x_k} p x + τ Σ_{x > x_k} p x] / [(1 − τ) Σ_{x <= x_k} p + τ Σ_{x > x_k} p].

With the sign response (quantile regression) the fixed point is the τ-quantile instead.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .validation import describe, real_array


def _atoms(values, probabilities) -> tuple[np.ndarray, np.ndarray]:
    """The distinct atoms, sorted, and their probabilities (those of equal values added; atoms
    of probability 0 dropped), or a ValueError naming the argument."""
    x = real_array(values, "values", ndim=1)
    p = real_array(probabilities, "probabilities", ndim=1)
    if len(x) == 0:
        raise ValueError("values must hold at least one atom, got an empty array")
    if p.shape != x.shape:
        raise ValueError(f"probabilities must have one entry per value ({len(x)}), got shape {p.shape}")
    # rounded probabilities (the 8-digit ones of a paper) are accepted and renormalised
    if np.any(p < 0) or abs(p.sum() - 1.0) > 1e-6:
        raise ValueError(
            f"probabilities must be non-negative and sum to 1, got sum {p.sum()!r}"
            + (" with negative entries" if np.any(p < 0) else "")
        )
    x, inverse = np.unique(x, return_inverse=True)
    p = np.bincount(inverse, weights=p, minlength=len(x))
    keep = p > 0
    return x[keep], p[keep] / p[keep].sum()


def _levels(taus) -> np.ndarray:
    t = real_array(taus, "taus")
    if np.any((t < 0) | (t > 1)):
        raise ValueError(f"taus must be in [0, 1], got {t.tolist() if t.size <= 8 else describe(t)}")
    return t


def expectiles(values: ArrayLike, probabilities: ArrayLike, taus: ArrayLike) -> np.ndarray | float:
    """The exact τ-expectiles of the distribution with atoms ``values`` and ``probabilities``.

    ``taus`` is a number or an array of levels in [0, 1] (0 gives the smallest atom, 1 the
    largest, ½ the mean); the result has its shape (a float for a number).  Values need not be
    sorted or distinct.  Computed by the segment formula of the module docstring.
    """
    x, p = _atoms(values, probabilities)
    t = _levels(taus)
    flat = t.ravel()
    if len(x) == 1:
        out = np.full(flat.shape, x[0])
    else:
        # The segment [x_k, x_{k+1}] holding the root: the last atom where the first-order
        # condition g(e) = τ E(Z-e)+ - (1-τ) E(e-Z)+ is still >= 0 (g decreases).
        above = np.clip(x[None, :] - x[:, None], 0, None) @ p  # E(Z - x_k)+ for each atom k
        below = np.clip(x[:, None] - x[None, :], 0, None) @ p  # E(x_k - Z)+
        g = flat[:, None] * above[None, :] - (1 - flat[:, None]) * below[None, :]
        k = np.clip((g >= 0).sum(axis=1) - 1, 0, len(x) - 2)
        mass_low, first_low = np.cumsum(p), np.cumsum(p * x)  # sums over x <= x_k
        # sums over x > x_k, added from the top rather than subtracted from the total (no cancellation)
        mass_high, first_high = (np.append(np.cumsum(a[::-1])[::-1][1:], 0.0) for a in (p, p * x))
        num = (1 - flat) * first_low[k] + flat * first_high[k]
        den = (1 - flat) * mass_low[k] + flat * mass_high[k]
        out = np.clip(num / den, x[k], x[k + 1])  # rounding may leave the segment by an ulp
    return float(out[0]) if t.ndim == 0 else out.reshape(t.shape)


def quantiles(values: ArrayLike, probabilities: ArrayLike, taus: ArrayLike) -> np.ndarray | float:
    """The exact τ-quantiles ``min{x : P(Z <= x) >= τ}`` of the distribution with atoms ``values``
    and ``probabilities`` (``taus`` and the result as in :func:`expectiles`; τ = 0 gives the
    smallest atom).

    Quantile TD (the sign response) settles on it; where ``P(Z <= x_k) = τ`` exactly, every point
    of ``[x_k, x_{k+1}]`` is a fixed point, and this gives the lower end.
    """
    x, p = _atoms(values, probabilities)
    t = _levels(taus)
    cdf = np.cumsum(p)
    cdf[-1] = 1.0  # so that τ = 1 finds the last atom despite rounding in the sum
    out = x[np.clip(np.searchsorted(cdf, t.ravel(), side="left"), 0, len(x) - 1)]
    return float(out[0]) if t.ndim == 0 else out.reshape(t.shape)


__all__ = ["expectiles", "quantiles"]
