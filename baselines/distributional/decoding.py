"""Decoding a reward distribution from expectiles (Dabney et al. 2020, Nature 577:671, Fig. 5):
find samples ``z_1..z_M`` whose τ_i-expectiles are the given ``e_i`` by minimising the
expectile-imputation loss of Rowland et al. (2019), "Statistics and samples in distributional
reinforcement learning", §4:

    L(z) = (1/N) Σ_i [ (1/M) Σ_m ½ |τ_i − 1{z_m <= e_i}| (z_m − e_i) ]²,

the mean squared gradient of the expectile losses, zero exactly when every e_i is the
τ_i-expectile of the samples' empirical distribution.  As in the paper: the samples are
constrained to the range of the rewards (box bounds, so ``scipy.optimize.minimize`` runs
L-BFGS-B), each restart starts from the best of many uniform candidate sets, and the restarts'
samples are pooled.  :func:`decode_by_root` is a deterministic cross-check: it solves the N
first-order conditions for N samples with Levenberg–Marquardt, started at the expectiles.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize


def _pairs(taus, expectiles) -> tuple[np.ndarray, np.ndarray]:
    taus, e = np.asarray(taus, dtype=float), np.asarray(expectiles, dtype=float)
    if taus.ndim != 1 or taus.shape != e.shape or taus.size == 0:
        raise ValueError(f"taus and expectiles must be 1-D of one length, got shapes {taus.shape} and {e.shape}")
    if np.any((taus < 0) | (taus > 1)) or not np.all(np.isfinite(e)):
        raise ValueError("taus must be in [0, 1] and expectiles finite")
    return taus, e


def _conditions(z: np.ndarray, taus: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first-order conditions ``(1/M) Σ_m ½ |τ_i − 1{z_m <= e_i}| (z_m − e_i)`` per expectile,
    and their weights ``|τ_i − 1{z_m <= e_i}|`` (expectiles x samples)."""
    w = np.abs(taus[:, None] - (z[None, :] <= e[:, None]))
    return 0.5 * (w * (z[None, :] - e[:, None])).mean(axis=1), w


def imputation_loss(samples: ArrayLike, taus: ArrayLike, expectiles: ArrayLike) -> float:
    """The loss ``L(z)`` of the module docstring."""
    taus, e = _pairs(taus, expectiles)
    g, _ = _conditions(np.asarray(samples, dtype=float), taus, e)
    return float((g * g).mean())


def _loss_and_gradient(z, taus, e):
    g, w = _conditions(z, taus, e)
    # dL/dz_m = (2/N) Σ_i g_i ½ w_im / M (the indicator is constant almost everywhere)
    return float((g * g).mean()), (g[:, None] * w).sum(axis=0) / (len(e) * len(z))


@dataclass(frozen=True)
class Decoded:
    """The pooled samples of every restart and each restart's final loss."""

    samples: np.ndarray
    losses: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.samples.mean())

    @property
    def std(self) -> float:
        return float(self.samples.std())


def decode_expectiles(
    taus: ArrayLike,
    expectiles: ArrayLike,
    bounds: tuple[float, float],
    n_samples: int = 100,
    restarts: int = 10,
    candidates: int = 1000,
    rng: np.random.Generator | None = None,
) -> Decoded:
    """Samples whose expectiles at ``taus`` are ``expectiles`` (see the module docstring):
    ``restarts`` runs of L-BFGS-B on ``n_samples`` samples within ``bounds``, each from the best
    of ``candidates`` uniform draws; the samples of all runs pooled."""
    taus, e = _pairs(taus, expectiles)
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        raise ValueError(f"bounds must be (low, high) with low < high, got {bounds!r}")
    rng = np.random.default_rng() if rng is None else rng
    pooled, losses = [], []
    for _ in range(restarts):
        draws = rng.uniform(lo, hi, size=(candidates, n_samples))
        start = np.sort(min(draws, key=lambda z: _loss_and_gradient(z, taus, e)[0]))
        fit = optimize.minimize(_loss_and_gradient, start, args=(taus, e), jac=True, bounds=[(lo, hi)] * n_samples)
        pooled.append(fit.x)
        losses.append(fit.fun)
    return Decoded(np.concatenate(pooled), np.array(losses))


def decode_by_root(taus: ArrayLike, expectiles: ArrayLike) -> tuple[np.ndarray, float]:
    """N samples solving the N first-order conditions (``scipy.optimize.root``, Levenberg–Marquardt,
    from the expectiles themselves, unbounded) and the largest condition left unsolved."""
    taus, e = _pairs(taus, expectiles)
    fit = optimize.root(lambda z: _conditions(z, taus, e)[0], e.copy(), method="lm")
    return fit.x, float(np.abs(_conditions(fit.x, taus, e)[0]).max())
