"""baselines.stats against rliable (Agarwal et al. 2021): its README-style worked example, whose
point estimates are exact and whose intervals depend on the bootstrap draws, and a larger case
whose intervals rliable 1.2.0 computed with 50 000 resamples; and the estimators' definitions
on hand-worked cases."""

import numpy as np
import pytest

from baselines import stats

# rliable's worked example: 5 runs x 3 tasks, and B = A - 0.1.
A = np.array([[0.9, 0.5, 0.1], [0.8, 0.6, 0.2], [1.0, 0.4, 0.0], [0.7, 0.5, 0.3], [0.9, 0.7, 0.1]])
B = A - 0.1


def test_point_estimates_are_rliables_on_its_worked_example():
    # rliable 1.2.0: get_interval_estimates({"A": A, "B": B}, [median, IQM, mean, optimality gap])
    assert stats.all_aggregates(A) == pytest.approx([0.54, 0.52222222, 0.51333333, 0.48666667])
    assert stats.all_aggregates(B) == pytest.approx([0.44, 0.42222222, 0.41333333, 0.58666667])
    assert stats.probability_of_improvement(A, B) == pytest.approx(0.74)
    profile = stats.performance_profile(A, np.linspace(0, 1, 5))
    assert profile == pytest.approx([0.93333333, 0.73333333, 0.46666667, 0.26666667, 0.0])


def test_intervals_are_rliables_on_its_worked_example_within_the_bootstrap_noise():
    # rliable's intervals with 2000 resamples (np.random.seed(0)); another generator's draws move
    # the ends of these small lattices by a step of about 1/45.
    a = stats.interval_estimate(stats.all_aggregates, A, reps=2000)
    assert a.low == pytest.approx([0.46, 0.45555556, 0.46, 0.43333333], abs=0.025)
    assert a.high == pytest.approx([0.64, 0.58888889, 0.56666667, 0.54], abs=0.025)
    b = stats.interval_estimate(stats.all_aggregates, B, reps=2000)
    assert b.low == pytest.approx([0.36, 0.36666667, 0.36666667, 0.54], abs=0.025)
    assert b.high == pytest.approx([0.52, 0.47805556, 0.46, 0.63333333], abs=0.025)
    p = stats.interval_estimate(stats.probability_of_improvement, A, B, reps=1000)
    assert (p.low, p.high) == pytest.approx((0.5532, 0.8933), abs=0.025)


def test_intervals_match_rliable_with_50000_resamples():
    """Scores drawn below; rliable 1.2.0 (numpy 2.4.6, pandas 2.3.3) gave, with reps=50000 after
    np.random.seed(0), the intervals below for the four aggregates of X, P(X > Y) and X's
    performance profile.  With as many resamples the ends agree to the bootstrap's noise."""
    rng = np.random.default_rng(2021)
    x = rng.beta(2, 3, size=(10, 5)) * 1.4 - 0.1  # 10 runs x 5 tasks, some below 0 and above 1
    y = rng.beta(3, 3, size=(8, 5)) * 1.2 - 0.1
    taus = np.linspace(-0.1, 1.2, 6)
    agg = stats.interval_estimate(stats.all_aggregates, x, reps=50_000)
    assert agg.point == pytest.approx([0.43294, 0.3806, 0.41583, 0.58417], abs=1e-5)
    assert agg.low == pytest.approx([0.3208, 0.31635, 0.34843, 0.51426], abs=0.004)
    assert agg.high == pytest.approx([0.51517, 0.46057, 0.48574, 0.65157], abs=0.004)
    poi = stats.interval_estimate(stats.probability_of_improvement, x, y, reps=50_000)
    assert (poi.point, poi.low, poi.high) == pytest.approx((0.3925, 0.275, 0.515), abs=0.004)
    profile = stats.interval_estimate(lambda s: stats.performance_profile(s, taus), x, reps=50_000)
    assert profile.point == pytest.approx([1.0, 0.9, 0.46, 0.14, 0.04, 0.0])
    assert profile.low == pytest.approx([1.0, 0.82, 0.32, 0.06, 0.0, 0.0], abs=0.021)
    assert profile.high == pytest.approx([1.0, 0.98, 0.6, 0.24, 0.1, 0.0], abs=0.021)


def test_the_bootstrap_resamples_runs_within_each_task():
    # Task 0's runs are all 0 and task 1's all 1: a stratified resample keeps one column of each,
    # so the mean is 0.5 in every resample; resampling the pooled scores would spread it.
    scores = np.array([[0.0, 1.0]] * 4)
    est = stats.interval_estimate(stats.aggregate_mean, scores, reps=500)
    assert float(est.low) == float(est.high) == 0.5
    # Seeded: the same interval again; another seed, other draws.
    rng = np.random.default_rng(0)
    noisy = rng.normal(size=(6, 3))
    first, again = (stats.interval_estimate(stats.aggregate_iqm, noisy, reps=500, seed=1) for _ in range(2))
    other = stats.interval_estimate(stats.aggregate_iqm, noisy, reps=500, seed=2)
    assert (first.low, first.high) == (again.low, again.high) != (other.low, other.high)


def test_the_iqm_is_the_mean_of_the_middle_half():
    # 8 scores: the 2 lowest and 2 highest go, the middle 4 (3, 4, 5, 6) average 4.5.
    scores = np.array([[100.0, 3.0], [4.0, -50.0], [5.0, 6.0], [1.0, 7.0]])
    assert stats.aggregate_iqm(scores) == pytest.approx(4.5)
    # a score above 1 does not make up for another's shortfall in the optimality gap
    assert stats.optimality_gap(np.array([[2.0, 0.5]])) == pytest.approx(0.25)


def test_a_sample_efficiency_curve_is_the_iqm_at_each_point():
    curve = np.stack([A, A + 0.1, A + 0.2], axis=-1)  # (runs, tasks, points)
    est = stats.sample_efficiency(curve, reps=500)
    assert est.point == pytest.approx([0.52222222, 0.62222222, 0.72222222])
    assert np.all(est.low <= est.point) and np.all(est.point <= est.high) and np.all(est.low < est.high)
    # each point's interval is the one of that point alone (the same resamples, shifted)
    alone = stats.interval_estimate(stats.aggregate_iqm, A, reps=500)
    assert float(est.low[0]) == float(alone.low) and est.low[2] == pytest.approx(float(alone.low) + 0.2)


def test_one_run_has_no_interval_and_bad_scores_are_refused():
    est = stats.interval_estimate(stats.aggregate_mean, np.array([[0.2, 0.4]]))
    assert float(est.point) == pytest.approx(0.3) and np.isnan(est.low) and np.isnan(est.high)
    with pytest.raises(ValueError, match="finite scores"):
        stats.interval_estimate(stats.aggregate_mean, np.array([[0.2, np.nan], [0.1, 0.3]]))
    with pytest.raises(ValueError, match=r"an array \(runs, tasks, ...\)"):
        stats.interval_estimate(stats.aggregate_mean, np.array([0.2, 0.3]))


def test_regret_and_area_under_the_curve():
    # optimum 1, returns 0, 0.5, 1: regret 1, 1.5, 1.5
    assert stats.cumulative_regret([0.0, 0.5, 1.0], 1.0) == pytest.approx([1.0, 1.5, 1.5])
    # y = x on [0, 2]: area 2 over a span of 2, mean height 1
    assert stats.area_under_curve([0.0, 1.0, 2.0], [0.0, 1.0, 2.0]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="x must increase"):
        stats.area_under_curve([1.0], [1.0])
