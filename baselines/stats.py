"""Aggregate statistics of normalized scores over runs and tasks, as Agarwal et al. (2021),
"Deep Reinforcement Learning at the Edge of the Statistical Precipice", NeurIPS, §4, recommend
and their ``rliable`` package computes them.

Scores come in rliable's layout: an array ``(runs, tasks)`` per agent (0 the random policy's score,
1 the optimum's, see :meth:`rl_envs.core.reference.Reference.normalize`).  Every aggregate is a
function of the last two axes ``(..., runs, tasks)``, so that one call scores a whole batch of
bootstrap resamples:

* :func:`aggregate_median`, :func:`aggregate_iqm`, :func:`aggregate_mean`, :func:`optimality_gap`
  (§4.2: the median over tasks of the run means; the interquartile mean of all run x task
  scores, which drops the lowest and highest 25 %; the mean; the shortfall from ``gamma``);
* :func:`probability_of_improvement` (§4.3: the chance that a run of X beats a run of Y on a task
  drawn at random, the Mann-Whitney U statistic over ``n_x n_y`` averaged over tasks);
* :func:`performance_profile` (§4.1: the fraction of run x task scores above each threshold).

:func:`interval_estimate` gives any of them a stratified-bootstrap confidence interval (§4.1:
runs are resampled with replacement within each task, tasks kept) with
:func:`scipy.stats.bootstrap` (each task's runs a separate sample, which it resamples
independently; percentile intervals, as rliable's default), seeded by a NumPy Generator, so an
interval is reproducible (rliable draws from NumPy's global generator).  Trailing axes after
``(runs, tasks)`` (evaluation points of a learning curve) are kept: :func:`sample_efficiency`
is the IQM with its interval at each point (§4.1's sample-efficiency curves).

:func:`cumulative_regret` and :func:`area_under_curve` score a learning curve against the optimum.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.stats

# Bootstrap resamples for an interval (rliable takes 50 000 for its tables and 2 000 for profiles;
# at 10 000 a 95 % percentile interval's ends move by well under 1 % of its width between seeds).
REPS = 10_000
CONFIDENCE = 0.95


def aggregate_mean(scores: np.ndarray) -> np.ndarray:
    """The mean over tasks of each task's mean over runs."""
    return np.asarray(scores).mean(axis=-2).mean(axis=-1)


def aggregate_median(scores: np.ndarray) -> np.ndarray:
    """The median over tasks of each task's mean over runs."""
    return np.median(np.asarray(scores).mean(axis=-2), axis=-1)


def aggregate_iqm(scores: np.ndarray) -> np.ndarray:
    """The interquartile mean of all run x task scores: the mean of the middle 50 %
    (``scipy.stats.trim_mean`` cutting ``int(0.25 n)`` from each end, as rliable)."""
    scores = np.asarray(scores)
    return scipy.stats.trim_mean(scores.reshape(*scores.shape[:-2], -1), proportiontocut=0.25, axis=-1)


def optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """How far the scores fall short of ``gamma`` (the optimum's normalized score, 1), on average;
    a score above ``gamma`` counts as ``gamma`` (it cannot make up for another's shortfall)."""
    return gamma - np.minimum(np.asarray(scores), gamma).mean(axis=(-2, -1))


AGGREGATES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "median": aggregate_median,
    "IQM": aggregate_iqm,
    "mean": aggregate_mean,
    "optimality gap": optimality_gap,
}


def all_aggregates(scores: np.ndarray) -> np.ndarray:
    """The four aggregates of :data:`AGGREGATES`, stacked on a new first axis."""
    return np.stack([f(scores) for f in AGGREGATES.values()])


def probability_of_improvement(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(X > Y): for each task, the fraction of run pairs in which X's score beats Y's, ties
    counting one half (the Mann-Whitney U over ``n_x n_y``), averaged over tasks; ``x`` is
    ``(..., n_x, tasks)`` and ``y`` ``(..., n_y, tasks)`` on the same tasks."""
    x, y = np.asarray(x)[..., :, None, :], np.asarray(y)[..., None, :, :]
    per_task = ((x > y) + 0.5 * (x == y)).mean(axis=(-3, -2))
    return per_task.mean(axis=-1)


def performance_profile(scores: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """The fraction of run x task scores above each threshold of ``taus``: ``(len(taus), ...)``."""
    scores, taus = np.asarray(scores), np.asarray(taus, dtype=float)
    return (scores[None] > taus.reshape(-1, *[1] * scores.ndim)).mean(axis=(-2, -1))


@dataclass
class Interval:
    """A point estimate with its bootstrap confidence interval (arrays of the statistic's shape;
    NaN ends when a task has a single run, which cannot be resampled)."""

    point: np.ndarray
    low: np.ndarray
    high: np.ndarray


def _check_scores(scores: np.ndarray, name: str) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    if scores.ndim < 2 or 0 in scores.shape[:2]:
        raise ValueError(f"{name} must be an array (runs, tasks, ...) with at least one of each, got {scores.shape}")
    if not np.isfinite(scores).all():
        raise ValueError(f"{name} must hold finite scores (a diverged run has no score: leave it out and say so)")
    return scores


def interval_estimate(
    statistic: Callable[..., np.ndarray],
    *scores: np.ndarray,
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """``statistic`` of the score arrays ``scores`` (each ``(runs, tasks, ...)``, rliable's layout)
    with its stratified-bootstrap percentile interval: every task's runs of every array are
    resampled with replacement on their own (Agarwal et al. 2021, §4.1).  ``statistic`` takes
    arrays ``(..., runs, tasks)`` (trailing axes of ``scores`` move to the front) and returns
    ``(*k, ...)``: vector-valued statistics put their own axes first."""
    arrays = [_check_scores(s, f"scores[{i}]") for i, s in enumerate(scores)]
    # (runs, tasks, *rest) -> (*rest, runs, tasks): the layout the statistic reads
    as_read = [np.moveaxis(a, (0, 1), (-2, -1)) for a in arrays]
    point = np.asarray(statistic(*as_read))
    if min(a.shape[0] for a in arrays) < 2:
        nan = np.full(point.shape, np.nan)
        return Interval(point, nan, nan.copy())
    columns = [a[:, t] for a in arrays for t in range(a.shape[1])]  # each (runs, *rest): one sample a task
    n_tasks = [a.shape[1] for a in arrays]

    def resampled(*cols: np.ndarray, axis: int = -1) -> np.ndarray:
        # scipy hands each sample with its runs last: (*rest, batch, runs); tasks go back on a last axis.
        split = np.cumsum([0, *n_tasks])
        return statistic(*(np.stack(cols[i:j], axis=-1) for i, j in itertools.pairwise(split)))

    per_resample = sum(c.size for c in columns) * max(point.size, 1)
    result = scipy.stats.bootstrap(
        tuple(columns),
        resampled,
        n_resamples=reps,
        batch=max(1, min(reps, 2_000_000 // max(per_resample, 1))),  # a few tens of MB a batch
        vectorized=True,
        paired=False,
        axis=0,
        confidence_level=confidence,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return Interval(point, np.asarray(result.confidence_interval.low), np.asarray(result.confidence_interval.high))


def sample_efficiency(scores: np.ndarray, reps: int = 2_000, seed: int = 0) -> Interval:
    """The IQM and its interval at each evaluation point of ``scores`` ``(runs, tasks, points)``."""
    return interval_estimate(aggregate_iqm, scores, reps=reps, seed=seed)


def cumulative_regret(returns: np.ndarray, optimum: float) -> np.ndarray:
    """The regret after each episode: the sum of ``optimum - return`` over the episodes so far
    (``optimum`` the optimal policy's expected episode return)."""
    return np.cumsum(optimum - np.asarray(returns, dtype=float))


def area_under_curve(x: np.ndarray, y: np.ndarray) -> float:
    """The mean height of the curve ``y(x)`` over ``[x[0], x[-1]]`` (trapezoids): the area under it
    per unit of ``x``, so that budgets of different length compare."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) < 2 or x[-1] <= x[0]:
        raise ValueError(f"x must increase over at least two points, got {x}")
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))
