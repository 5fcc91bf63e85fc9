"""Reversal points and the asymmetry–reversal correlation of simulated dopamine cells, as Dabney
et al. (2020, Nature 577:671, Fig. 2 and Extended Data Fig. 4) analyse their recordings.

A cell's *response* on a trial is its prediction error scaled by its rate for that sign
(:func:`responses`).  Its *reversal point* is the reward at which the response changes sign, and
its *asymmetry* is α⁺ / (α⁺ + α⁻) from the slopes of the response against the reward on either
side of the reversal point, fitted by regression through the origin (the authors'
``EstimateScaleFactors``).  The reversal points and the asymmetries are estimated on two random
halves of the trials, so that their correlation across cells is not circular (the authors'
``splitIndices``); the asymmetries' half fits its own reversal points for the slopes.  Distributional TD predicts a strong positive correlation (an optimistic cell
reverses above the mean); classical TD, where every cell reverses at the mean, predicts none.

The paper places the reversal point by counting the responses of each sign on either side of
each threshold between two reward sizes; here the threshold's position is instead fitted by least
squares of the two-slope model ``a⁺ (r − v)⁺ − a⁻ (v − r)⁺`` over ``v`` in the rewards' range,
which recovers a cell's value exactly from noiseless responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, stats

GRID = 32  # points per interval between two reward sizes, before the bounded refinement


def responses(td_errors: np.ndarray, alpha_plus: np.ndarray, alpha_minus: np.ndarray) -> np.ndarray:
    """The cells' responses ``2 α^± δ / (α⁺ + α⁻)`` to their errors ``td_errors`` (trials x cells):
    the asymmetric scaling of the error, relative to the mean rate, so that a symmetric cell
    responds with δ itself and responses of different cells are on one scale."""
    delta = np.asarray(td_errors, dtype=float)
    a_plus, a_minus = np.asarray(alpha_plus, dtype=float), np.asarray(alpha_minus, dtype=float)
    return 2.0 * np.where(delta > 0, a_plus, a_minus) / (a_plus + a_minus) * delta


def record_trials(agent: Any, n_trials: int) -> tuple[np.ndarray, np.ndarray]:
    """Let ``agent`` (a :class:`~baselines.distributional.agents.DistributionalTD`) learn for
    ``n_trials`` more trials (episodes) and return each trial's return (its reward) and the
    cells' prediction errors at its last step, the outcome (trials x cells)."""
    rewards, errors = [], []

    def record(a) -> bool:
        rewards.append(a.episodes.returns[-1])
        errors.append(a.td_errors.copy())
        return len(rewards) < n_trials

    if n_trials > 0:
        agent.learn(2**62, callback=record)  # until the callback has seen n_trials trials
    return np.array(rewards), np.array(errors).reshape(len(errors), agent.n_predictors)


def _per_size(rewards, responses) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct rewards, the trials at each, and the sum of each cell's responses at each."""
    rewards = np.asarray(rewards, dtype=float)
    y = np.asarray(responses, dtype=float)
    if y.ndim != 2 or y.shape[0] != rewards.shape[0] or rewards.ndim != 1:
        raise ValueError(
            f"responses must be trials x cells with one reward per trial, got rewards of shape "
            f"{rewards.shape} and responses of shape {y.shape}"
        )
    u, index = np.unique(rewards, return_inverse=True)
    if len(u) < 2:
        raise ValueError(f"a reversal point needs rewards of at least two sizes, got {u.tolist()}")
    n = np.bincount(index, minlength=len(u)).astype(float)
    sums = np.zeros((len(u), y.shape[1]))
    np.add.at(sums, index, y)
    return u, n, sums


def _explained(v, u, n, sums) -> np.ndarray:
    """The part of the responses' sum of squares the two slopes through ``(v, 0)`` explain (to be
    maximised): ``Σ_side (Σ (r − v) y)² / Σ (r − v)²`` for every cell; ``v`` has shape (points,)."""
    x = u[None, :] - np.asarray(v, dtype=float)[:, None]  # (points, sizes)
    total = 0.0
    for side in (x < 0, x > 0):
        xs = np.where(side, x, 0.0)
        cross = xs @ sums  # (points, cells)
        square = (n * xs * xs).sum(axis=1)[:, None]
        total = total + np.divide(cross * cross, square, out=np.zeros_like(cross), where=square > 0)
    return total


def fit_reversal_points(rewards: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """Each cell's reversal point (see the module docstring): ``rewards`` one per trial,
    ``responses`` trials x cells."""
    u, n, sums = _per_size(rewards, responses)
    fractions = (np.arange(GRID) + 0.5) / GRID
    grid = (u[:-1, None] + np.diff(u)[:, None] * fractions).ravel()
    best = np.argmax(_explained(grid, u, n, sums), axis=0) // GRID  # the interval of each cell's best grid point
    out = np.empty(sums.shape[1])
    for cell, k in enumerate(best):
        fit = optimize.minimize_scalar(
            lambda v, cell=cell: -_explained([v], u, n, sums[:, cell : cell + 1])[0, 0],
            bounds=(u[k], u[k + 1]),
            method="bounded",
            options={"xatol": 1e-10},
        )
        out[cell] = fit.x
    return out


def fit_slopes(rewards: np.ndarray, responses: np.ndarray, reversal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's ``(α⁺, α⁻)``: the slopes of its responses against ``reward − reversal`` above and
    below its reversal point, by regression through the origin (NaN where a side has no trial)."""
    u, n, sums = _per_size(rewards, responses)
    x = u[:, None] - np.asarray(reversal, dtype=float)[None, :]  # (sizes, cells)
    slopes = []
    for side in (x > 0, x < 0):
        xs = np.where(side, x, 0.0)
        square = (n[:, None] * xs * xs).sum(axis=0)
        slopes.append(np.divide((xs * sums).sum(axis=0), square, out=np.full(len(square), np.nan), where=square > 0))
    return slopes[0], slopes[1]


@dataclass(frozen=True)
class AsymmetryAnalysis:
    """The paper's analysis of a population: per cell, the reversal point (from one half of the
    trials) and the asymmetry (from the other); across cells, the Pearson correlation of the two
    and its two-sided p-value, and the reliability of the reversal points (their correlation
    between the two halves).  Cells whose asymmetry is undefined (a side without trials) are
    left out of the correlations."""

    reversal: np.ndarray
    tau: np.ndarray
    alpha_plus: np.ndarray
    alpha_minus: np.ndarray
    correlation: float
    p_value: float
    reliability: float
    reliability_p_value: float


def asymmetry_analysis(rewards: np.ndarray, responses: np.ndarray, rng: np.random.Generator) -> AsymmetryAnalysis:
    """Split the trials at random into two halves, fit the reversal points on the first and the
    asymmetries on the second, and correlate them across cells."""
    rewards = np.asarray(rewards, dtype=float)
    y = np.asarray(responses, dtype=float)
    order = rng.permutation(len(rewards))
    first, second = order[: len(order) // 2], order[len(order) // 2 :]
    reversal = fit_reversal_points(rewards[first], y[first])
    # the slopes go through the second half's own reversal points: through the first half's, a
    # cell whose reversal point came out too high would look optimistic for that reason alone
    again = fit_reversal_points(rewards[second], y[second])
    a_plus, a_minus = fit_slopes(rewards[second], y[second], again)
    tau = a_plus / (a_plus + a_minus)
    ok = np.isfinite(tau)
    r, p = stats.pearsonr(tau[ok], reversal[ok])
    r_rel, p_rel = stats.pearsonr(reversal, again)
    return AsymmetryAnalysis(reversal, tau, a_plus, a_minus, float(r), float(p), float(r_rel), float(p_rel))  # pyright: ignore[reportArgumentType] - scipy types pearsonr's pair as objects
