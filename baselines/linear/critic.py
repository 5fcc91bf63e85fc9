"""The batch critic of Silver et al. 2014, Sec. 5.1: least squares on compatible features plus a bias."""

from __future__ import annotations

import numpy as np


def fit_batch_critic(phi: np.ndarray, r: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares fit of ``r ~ phi w + b`` over one batch; returns ``(w, b)``.

    ``phi`` is ``(N, k)``, ``r`` is ``(N,)``.  The paper recomputes the critic from every
    batch of ``2m`` steps rather than tracking it with TD updates, so it is a plain regression.
    """
    phi = np.asarray(phi, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if phi.ndim != 2 or r.shape != (phi.shape[0],):
        raise ValueError(f"phi must be (N, k) and r (N,), got {phi.shape} and {r.shape}")
    if phi.shape[0] <= phi.shape[1]:
        raise ValueError(f"a batch of {phi.shape[0]} samples cannot determine {phi.shape[1]} weights and a bias")
    X = np.hstack([phi, np.ones((phi.shape[0], 1))])
    coef, *_ = np.linalg.lstsq(X, r, rcond=None)
    return coef[:-1], float(coef[-1])
