"""Distributional TD on the variable-reward task (Dabney et al. 2020, Nature 577:671), against
exact references: the task's expectiles and quantiles (the segment formula, cross-checked by a
root finder), the fixed points of the update rule, the reversal-point analysis on noiseless
responses, and the decoding of the exact expectiles (Rowland et al. 2019's imputation).

The 2·10⁶-reward version of the stochastic-approximation check is
``benchmarks/bench_distributional_td.py`` (and the ``slow`` test at the end).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import gymnasium as gym
import pytest
from scipy.optimize import brentq

import rl_envs
from baselines.distributional import (
    ClassicalTD,
    ExpectileTD,
    QuantileTD,
    asymmetry_analysis,
    averaged_expectile_sd,
    decode_by_root,
    decode_expectiles,
    distributional_td_update,
    fit_reversal_points,
    fit_slopes,
    imputation_loss,
    rates_from_taus,
    record_trials,
    responses,
    sample_rates,
)
from baselines.distributional.agents import identity
from rl_envs.core import Reference
from rl_envs.variable_reward import (
    EMPIRICAL_PROBABILITIES,
    EMPIRICAL_UTILITY,
    MAGNITUDES,
    VariableRewardEnv,
    VariableRewardVectorEnv,
    hill_utility,
)

TAUS = [0.1, 0.25, 0.5, 0.75, 0.9]
# The exact references of the variable-magnitude task at the paper's trial frequencies.
MEAN = 5.207829
EXPECTILES = {0.1: 2.004681, 0.25: 3.335271, 0.5: MEAN, 0.75: 7.767110, 0.9: 10.848833}
QUANTILES = [0.3, 1.2, 5.0, 5.0, 10.0]
UTILITY_EXPECTILES = [-2.1489, -1.1817, 0.1669, 1.9139, 3.7698]


def first_order_condition(e, tau):
    """τ E(Z - e)+ - (1 - τ) E(e - Z)+, zero at the τ-expectile."""
    values, p = np.array(MAGNITUDES), np.array(EMPIRICAL_PROBABILITIES)
    return tau * (np.clip(values - e, 0, None) @ p) - (1 - tau) * (np.clip(e - values, 0, None) @ p)


# -- exact expectiles and quantiles ---------------------------------------------------------------


def test_the_expectiles_of_the_variable_magnitude_task():
    e = rl_envs.expectiles(MAGNITUDES, EMPIRICAL_PROBABILITIES, list(EXPECTILES))
    np.testing.assert_allclose(e, list(EXPECTILES.values()), atol=1e-6)
    assert float(np.dot(MAGNITUDES, EMPIRICAL_PROBABILITIES)) == pytest.approx(MEAN, abs=1e-6)
    for tau in [0.001, *EXPECTILES, 0.37, 0.999]:
        root = brentq(first_order_condition, 0.1, 20.0, args=(tau,), xtol=1e-14)
        assert rl_envs.expectiles(MAGNITUDES, EMPIRICAL_PROBABILITIES, tau) == pytest.approx(root, abs=1e-12)


def test_the_quantiles_and_the_utility_expectiles():
    np.testing.assert_array_equal(rl_envs.quantiles(MAGNITUDES, EMPIRICAL_PROBABILITIES, TAUS), QUANTILES)
    np.testing.assert_allclose(
        rl_envs.expectiles(EMPIRICAL_UTILITY, EMPIRICAL_PROBABILITIES, TAUS), UTILITY_EXPECTILES, atol=5e-5
    )


def test_expectile_and_quantile_edge_cases():
    rng = np.random.default_rng(0)
    x, p = rng.normal(size=6), rng.dirichlet(np.ones(6))
    assert rl_envs.expectiles(x, p, 0.5) == pytest.approx(x @ p, abs=1e-12)
    assert rl_envs.expectiles(x, p, [0.0, 1.0]) == pytest.approx([x.min(), x.max()], rel=1e-15)
    assert rl_envs.quantiles(x, p, [0.0, 1.0]).tolist() == [x.min(), x.max()]
    grid = np.linspace(0, 1, 101)
    assert np.all(np.diff(rl_envs.expectiles(x, p, grid)) > 0)
    # unsorted values with repeats are the distribution of their distinct values
    assert rl_envs.expectiles([2.0, 1.0, 2.0], [0.25, 0.5, 0.25], 0.8) == pytest.approx(
        rl_envs.expectiles([1.0, 2.0], [0.5, 0.5], 0.8), abs=1e-15
    )
    assert rl_envs.expectiles([3.0], [1.0], 0.3) == 3.0 and rl_envs.quantiles([3.0], [1.0], 0.3) == 3.0
    assert rl_envs.expectiles(x, p, [[0.2, 0.4]]).shape == (1, 2) and isinstance(rl_envs.quantiles(x, p, 0.2), float)
    # the quantile at a level the CDF reaches exactly is the lower end of the fixed points
    assert rl_envs.quantiles([0.0, 1.0], [0.5, 0.5], 0.5) == 0.0


@pytest.mark.parametrize(
    "args, name",
    [
        (("a", [1.0], 0.5), "values"),
        (([1.0, 2.0], [1.0], 0.5), "probabilities"),
        (([1.0, 2.0], [0.7, 0.7], 0.5), "probabilities"),
        (([1.0, 2.0], [1.5, -0.5], 0.5), "probabilities"),
        (([1.0], [1.0], 1.5), "taus"),
        (([1.0], [1.0], np.nan), "taus"),
        (([], [], 0.5), "values"),
    ],
)
def test_bad_distributions_are_refused_by_name(args, name):
    for fn in (rl_envs.expectiles, rl_envs.quantiles):
        with pytest.raises(ValueError, match=name):
            fn(*args)


def test_the_exact_functions_are_exported_lazily():
    from rl_envs import distributions

    assert rl_envs.expectiles is distributions.expectiles and rl_envs.quantiles is distributions.quantiles
    out = subprocess.run(
        [sys.executable, "-c", "import sys, rl_envs; print('rl_envs.distributions' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


# -- the task --------------------------------------------------------------------------------------


def test_the_reference_is_the_exact_return_distribution():
    ref = gym.make("rl_envs/VariableReward-v0").unwrapped.reference()
    assert ref.value == ref.lower == ref.upper == ref.random == pytest.approx(MEAN, abs=1e-6)
    assert ref.values == MAGNITUDES and ref.probabilities == pytest.approx(EMPIRICAL_PROBABILITIES, abs=1e-15)
    assert (
        isinstance(ref, Reference) and ref.kind == "exact" and ref.gamma == 1.0 and "Dabney et al. 2020" in ref.citation
    )
    np.testing.assert_allclose(ref.expectiles(list(EXPECTILES)), list(EXPECTILES.values()), atol=1e-6)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.value = 0.0


def test_sizes_come_at_the_papers_frequencies():
    n = 40_000
    venv = VariableRewardVectorEnv(n)
    venv.reset(seed=0)
    _, rewards, terminated, _, info = venv.step(np.zeros(n, dtype=np.int64))
    assert terminated.all() and np.array_equal(info["magnitude"], rewards)
    counts = np.array([(rewards == m).sum() for m in MAGNITUDES])
    p = np.array(EMPIRICAL_PROBABILITIES)
    assert counts.sum() == n
    assert np.all(np.abs(counts - n * p) < 5 * np.sqrt(n * p * (1 - p)))


def test_a_trial_is_the_cue_the_delay_and_the_outcome():
    env = VariableRewardEnv(delay=3)
    assert env.observation_space == gym.spaces.Discrete(4) and env.action_space == gym.spaces.Discrete(1)
    obs, _ = env.reset(seed=1)
    seen, rewards = [obs], []
    done = False
    while not done:
        obs, r, terminated, truncated, info = env.step(0)
        seen.append(obs)
        rewards.append(r)
        done = terminated or truncated
    assert seen == [0, 1, 2, 3] and terminated and not truncated  # the background (3) after the outcome
    env.reset(seed=1)
    env.step(0)
    saved = env.state  # one step after the cue: the same two steps follow from it
    assert env.step(0)[0] == 2
    env.state = saved
    assert env.step(0)[0] == 2
    with pytest.raises(ValueError, match=r"state\['t'\]"):
        env.state = {"cue": 0, "t": 4, "outcome": float("nan")}
    assert rewards[:2] == [0.0, 0.0] and rewards[2] in MAGNITUDES and info == {"magnitude": rewards[2]}
    uncued = VariableRewardEnv(delay=3, uncued_probability=1.0)
    assert uncued.reset(seed=0)[0] == 3
    _, r, terminated, _, _ = uncued.step(0)
    assert terminated and r in MAGNITUDES
    for bad in (1, -1, 0.0):
        with pytest.raises(ValueError, match=r"Discrete\(1\)"):
            env.step(bad)


def test_the_probability_variant():
    env = VariableRewardEnv(variant="probability")
    assert env.observation_space.n == 4 and env.cue_probabilities == (0.1, 0.5, 0.9)
    for cue, p in enumerate((0.1, 0.5, 0.9)):
        values, probabilities = env.unwrapped.return_distribution(cue)
        assert values.tolist() == [0.0, 1.0] and probabilities.tolist() == pytest.approx([1 - p, p])
    n = 30_000
    venv = VariableRewardVectorEnv(n, variant="probability")
    cues, _ = venv.reset(seed=0)
    _, rewards, _, _, _ = venv.step(np.zeros(n, dtype=np.int64))
    for cue, p in enumerate((0.1, 0.5, 0.9)):
        trials = cues == cue
        assert abs(trials.mean() - 1 / 3) < 5 * np.sqrt(2 / 9 / n)
        assert abs(rewards[trials].mean() - p) < 5 * np.sqrt(p * (1 - p) / trials.sum())
    assert env.reference().value == pytest.approx(0.5)


def test_utilities():
    env = VariableRewardEnv(utility="empirical")
    assert env.reward_distribution(0)[0].tolist() == list(EMPIRICAL_UTILITY)
    assert env.reference().value == pytest.approx(np.dot(EMPIRICAL_UTILITY, EMPIRICAL_PROBABILITIES))
    np.testing.assert_allclose(env.reference().expectiles(TAUS), UTILITY_EXPECTILES, atol=5e-5)
    env.reset(seed=3)
    _, r, _, _, info = env.step(0)
    assert r == EMPIRICAL_UTILITY[MAGNITUDES.index(info["magnitude"])]
    hill = VariableRewardEnv(utility="hill", hill=(2.0, 1.5, 5.0))
    assert hill.reward_distribution(0)[0].tolist() == pytest.approx(
        [2.0 * m**1.5 / (m**1.5 + 5.0**1.5) for m in MAGNITUDES], rel=1e-14
    )
    assert hill_utility(5.0, 2.0, 1.5, 5.0) == 1.0
    with pytest.raises(ValueError, match="utility='empirical'"):
        VariableRewardEnv(utility="empirical", variant="probability")
    with pytest.raises(ValueError, match="hill"):
        VariableRewardEnv(utility="hill")
    with pytest.raises(ValueError, match="hill"):
        VariableRewardEnv(utility="hill", hill=(1.0, 0.0, 5.0))
    with pytest.raises(ValueError, match="magnitudes must be strictly increasing"):
        VariableRewardEnv(magnitudes=(2.0, 1.0))
    with pytest.raises(ValueError, match="probabilities must sum to 1"):
        VariableRewardEnv(magnitudes=(1.0, 2.0), probabilities=(0.5, 0.6))


def test_the_return_from_every_observation():
    env = VariableRewardEnv(delay=3, uncued_probability=0.2, magnitudes=(1.0, 4.0), probabilities=(0.75, 0.25))
    values, p = env.return_distribution(1, gamma=0.5)  # one step after the cue: the reward comes in 2 steps
    assert values.tolist() == [0.5, 2.0] and p.tolist() == [0.75, 0.25]
    values, p = env.return_distribution(env.background, gamma=0.5)  # an uncued trial: the reward comes next
    assert values.tolist() == [1.0, 4.0]
    assert env.reference().value == pytest.approx(1.75)
    with pytest.raises(ValueError, match="observation"):
        env.return_distribution(4)


def test_rendering_draws_the_predictors():
    env = VariableRewardEnv(render_mode="rgb_array")
    env.reset(seed=0)
    plain = env.render()
    env.predictors = env.reference().expectiles(TAUS)
    assert env.predictors == pytest.approx(tuple(EXPECTILES.values()), abs=1e-6)
    drawn = env.render()
    red = (drawn[..., 0] > 180) & (drawn[..., 1] < 80) & (drawn[..., 2] < 80)
    assert not ((plain[..., 0] > 180) & (plain[..., 1] < 80)).any() and red.any()
    # the predictor at the mean (5.21 µl) is drawn just right of the bar of 5 µl, left of 10 µl's
    columns = np.flatnonzero(red.any(axis=0))
    slot = drawn.shape[1] / 8  # 7 sizes on 8 equal slots
    assert ((columns > 5 * slot) & (columns < 6 * slot)).sum() >= 2
    env.step(0)
    assert not np.array_equal(env.render(), drawn)  # the delivered size is highlighted
    venv = VariableRewardVectorEnv(2, render_mode="rgb_array", predictors=[1.0])
    venv.reset(seed=0)
    assert len(venv.render()) == 2 and venv.predictors == (1.0,)
    with pytest.raises(ValueError, match="predictors"):
        env.predictors = "high"


# -- the update rule ---------------------------------------------------------------------------------


def test_one_update_by_hand():
    V = np.array([[1.0, 1.0, 1.0], [0.0, 2.0, 4.0]])
    a_plus, a_minus = np.array([0.1, 0.5, 0.2]), np.array([0.3, 0.5, 0.4])
    delta = distributional_td_update(V, 0, 1.0, V[1], np.array([2, 0, 1]), 0.5, a_plus, a_minus, identity)
    # targets 1 + 0.5 * [4, 0, 2] = [3, 1, 2]: errors [2, 0, 1], all taken with α⁺ (0 changes nothing)
    assert delta.tolist() == [2.0, 0.0, 1.0] and V[0].tolist() == pytest.approx([1.2, 1.0, 1.2])
    delta = distributional_td_update(V, 0, -1.0, None, None, 0.5, a_plus, a_minus, np.sign)
    assert delta.tolist() == pytest.approx([-2.2, -2.0, -2.2]) and V[0].tolist() == pytest.approx([0.9, 0.5, 0.8])


def average_of_parallel_runs(f, alpha, runs=100, steps=40_000, seed=0):
    """The second-half average of V over ``runs`` independent runs of the update rule on rewards
    of the variable-magnitude task (one reward per step, all runs at once)."""
    rng = np.random.default_rng(seed)
    a_plus, a_minus = (np.tile(a, runs) for a in rates_from_taus(TAUS, alpha))
    V, total = np.zeros((1, runs * len(TAUS))), np.zeros(runs * len(TAUS))
    cdf, sizes = np.cumsum(EMPIRICAL_PROBABILITIES), np.array(MAGNITUDES)
    for step in range(steps):
        r = sizes[np.minimum(np.searchsorted(cdf, rng.random(runs), side="right"), len(sizes) - 1)]
        distributional_td_update(V, 0, np.repeat(r, len(TAUS)), None, None, 1.0, a_plus, a_minus, f)
        if step >= steps // 2:
            total += V[0]
    return (total / (steps - steps // 2)).reshape(runs, len(TAUS)).mean(axis=0)


def test_the_rule_converges_to_the_expectiles_and_with_sign_to_the_quantiles():
    # 100 runs x 20,000 averaged rewards at α = 0.005 (the paper-scale check, 2e6 rewards at
    # α = 0.002 of one run, is benchmarks/bench_distributional_td.py).
    n = 100 * 20_000
    learned = average_of_parallel_runs(identity, 0.005)
    for tau, value in zip(TAUS, learned):
        sd = averaged_expectile_sd(MAGNITUDES, EMPIRICAL_PROBABILITIES, tau) / np.sqrt(n)
        assert abs(value - EXPECTILES[tau]) < max(4 * sd, 0.01), (tau, value)
    # the sign rule jitters within a few steps α of the atom it settles on
    np.testing.assert_allclose(average_of_parallel_runs(np.sign, 0.005), QUANTILES, atol=0.03)


def test_the_averaged_expectile_spread():
    # the Polyak-Ruppert SD is the mean's plain SD at τ = 1/2 (the weights are equal)
    assert averaged_expectile_sd(MAGNITUDES, EMPIRICAL_PROBABILITIES, 0.5) == pytest.approx(
        np.sqrt(np.dot(EMPIRICAL_PROBABILITIES, (np.array(MAGNITUDES) - MEAN) ** 2)), rel=1e-12
    )


# -- the agents --------------------------------------------------------------------------------------


def second_half_average(agent, steps):
    """The agent's predictors (states x predictors) averaged over the trials of the second half of
    ``steps`` steps."""
    agent.learn(steps // 2)
    total, trials = np.zeros_like(agent.V), []

    def add(a):
        total[:] += a.V
        trials.append(1)

    agent.learn(steps - steps // 2, callback=add)
    return total / len(trials)


def test_the_agents_learn_expectiles_quantiles_and_the_mean():
    env = VariableRewardEnv()
    learned = second_half_average(ExpectileTD(env, taus=TAUS, step_size=0.02, seed=0), 30_000)[0]
    sds = [averaged_expectile_sd(MAGNITUDES, EMPIRICAL_PROBABILITIES, t) / np.sqrt(15_000) for t in TAUS]
    assert np.all(np.abs(learned - list(EXPECTILES.values())) < 4 * np.array(sds)), learned
    learned = second_half_average(QuantileTD(env, taus=TAUS, step_size=0.02, seed=0), 30_000)[0]
    np.testing.assert_allclose(learned, QUANTILES, atol=0.12)
    classical = second_half_average(ClassicalTD(env, n_predictors=3, step_size=0.02, seed=0), 30_000)[0]
    assert np.all(np.abs(classical - MEAN) < 4 * np.sqrt(27.775459 / 15_000)) and np.ptp(classical) == 0


def test_before_the_outcome_the_predictors_learn_from_samples_of_the_next_ones():
    # Cue -> wait -> reward.  The wait's predictors learn the reward's expectiles e_j; the cue's
    # learn the expectiles of a uniformly drawn V_j(wait), the distribution of the e_j, which
    # Rowland et al. (2019) point out is not the reward's (expectiles are not samples).
    env = VariableRewardEnv(delay=2)
    agent = ExpectileTD(env, taus=TAUS, step_size=0.02, seed=1)
    learned = second_half_average(agent, 60_000)
    wait = rl_envs.expectiles(MAGNITUDES, EMPIRICAL_PROBABILITIES, TAUS)
    cue = rl_envs.expectiles(wait, np.full(len(TAUS), 1 / len(TAUS)), TAUS)
    np.testing.assert_allclose(learned[1], wait, atol=0.3)
    np.testing.assert_allclose(learned[0], cue, atol=0.3)
    # far more than the tolerance: bootstrapping from V_i(wait) itself would put the cue's at the wait's
    assert np.abs(cue - wait).max() > 1.5


def test_rates_given_three_ways(tmp_path):
    env = VariableRewardEnv()
    agent = ExpectileTD(env, taus=np.array([0.2, 0.8]), step_size=0.5, seed=0)
    assert agent.alpha_plus.tolist() == [0.1, 0.4] and agent.alpha_minus.tolist() == pytest.approx([0.4, 0.1])
    agent.save(tmp_path / "e")  # an array of taus is saved as plain data
    assert np.array_equal(ExpectileTD.load(tmp_path / "e").alpha_plus, agent.alpha_plus)
    rates = sample_rates(151, 0.2, np.random.default_rng(0))
    agent = QuantileTD(env, rates=rates, seed=0)
    assert agent.n_predictors == 151 and agent.taus == pytest.approx([a / (a + b) for a, b in rates])
    assert np.all((np.array(rates) >= 0) & (np.array(rates) < 0.2))
    agent.learn(50)
    agent.save(tmp_path / "q")
    loaded = QuantileTD.load(tmp_path / "q")
    assert np.array_equal(loaded.alpha_plus, agent.alpha_plus) and np.array_equal(
        loaded.predictors(0), agent.predictors(0)
    )
    classical = ClassicalTD(env, step_sizes=[0.1, 0.2])
    assert classical.taus.tolist() == [0.5, 0.5] and classical.predictors([0, 1]).shape == (2, 2)
    for kwargs, name in [
        ({"taus": [0.2], "rates": [[0.1, 0.1]]}, "not both"),
        ({"taus": [1.2]}, "taus"),
        ({"rates": [[0.1, 0.0], [0.0, 0.0]]}, "rates"),
        ({"rates": [0.1, 0.2]}, "rates"),
        ({"step_size": 0.0}, "step_size"),
    ]:
        with pytest.raises(ValueError, match=name):
            ExpectileTD(env, **kwargs)
    with pytest.raises(ValueError, match="not both"):
        ClassicalTD(env, n_predictors=2, step_sizes=[0.1, 0.2])
    with pytest.raises(ValueError, match="n_predictors"):
        ClassicalTD(env, n_predictors=0)
    with pytest.raises(ValueError, match="observation"):
        agent.predictors(2)


# -- reversal points and the asymmetry correlation -----------------------------------------------------


def test_noiseless_responses_give_the_values_and_the_rates_exactly():
    rng = np.random.default_rng(1)
    a_plus, a_minus = rng.uniform(0, 0.2, 40), rng.uniform(0, 0.2, 40)
    values = rl_envs.expectiles(MAGNITUDES, EMPIRICAL_PROBABILITIES, a_plus / (a_plus + a_minus))
    rewards = rng.choice(MAGNITUDES, p=EMPIRICAL_PROBABILITIES, size=3000)
    y = responses(rewards[:, None] - values[None, :], a_plus, a_minus)
    np.testing.assert_allclose(fit_reversal_points(rewards, y), values, atol=1e-5)
    slope_plus, slope_minus = fit_slopes(rewards, y, values)
    mean_rate = (a_plus + a_minus) / 2
    np.testing.assert_allclose(slope_plus, a_plus / mean_rate, rtol=1e-12)
    np.testing.assert_allclose(slope_minus, a_minus / mean_rate, rtol=1e-12)


def population_analysis(agent, noise=1.0, seed=0):
    agent.learn(5_000)
    rewards, errors = record_trials(agent, 1_000)
    assert rewards.shape == (1_000,) and errors.shape == (1_000, agent.n_predictors)
    y = responses(errors, agent.alpha_plus, agent.alpha_minus) + np.random.default_rng(seed).normal(
        0, noise, errors.shape
    )
    return asymmetry_analysis(rewards, y, np.random.default_rng(seed + 1))


def test_the_asymmetry_reversal_correlation_for_distributional_and_classical_td():
    rates = sample_rates(40, 0.2, np.random.default_rng(0))
    distributional = population_analysis(ExpectileTD(VariableRewardEnv(), rates=rates, seed=0))
    assert distributional.correlation > 0.8 and distributional.p_value < 1e-8 and distributional.reliability > 0.8
    classical = population_analysis(
        ClassicalTD(VariableRewardEnv(), step_sizes=np.mean(rates, axis=1).tolist(), seed=0)
    )
    assert abs(classical.correlation) < 0.3 and classical.p_value > 0.05
    assert np.all(np.abs(classical.reversal - MEAN) < 1.0)  # every classical cell reverses near the mean


# -- decoding -----------------------------------------------------------------------------------------


def test_decoding_the_exact_expectiles():
    taus = np.linspace(0.02, 0.98, 40)
    e = rl_envs.expectiles(MAGNITUDES, EMPIRICAL_PROBABILITIES, taus)
    decoded = decode_expectiles(taus, e, bounds=(0.1, 20.0), n_samples=100, restarts=3, rng=np.random.default_rng(0))
    assert decoded.samples.shape == (300,) and np.all((decoded.samples >= 0.1) & (decoded.samples <= 20.0))
    assert decoded.mean == pytest.approx(MEAN, abs=0.05) and decoded.std == pytest.approx(5.2703, abs=0.1)
    # at 100 samples the loss cannot reach 0: the 100 quantile-spaced samples of the true distribution score it
    truth = rl_envs.quantiles(MAGNITUDES, EMPIRICAL_PROBABILITIES, (np.arange(100) + 0.5) / 100)
    assert imputation_loss(truth, taus, e) == pytest.approx(6.74e-5, rel=1e-2)
    assert np.median(decoded.losses) <= 2 * imputation_loss(truth, taus, e)
    z, residual = decode_by_root(taus, e)
    assert residual < 0.01 and z.mean() == pytest.approx(MEAN, abs=0.05)


def test_the_loss_vanishes_at_samples_with_those_expectiles():
    z = np.random.default_rng(0).uniform(0, 20, 50)
    taus = np.linspace(0.05, 0.95, 10)
    e = rl_envs.expectiles(z, np.full(50, 1 / 50), taus)
    assert imputation_loss(z, taus, e) < 1e-28 and imputation_loss(z + 0.1, taus, e) > 1e-5


# -- the paper-scale check ------------------------------------------------------------------------------


@pytest.mark.slow
def test_two_million_rewards():
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_distributional_td

    assert bench_distributional_td.run(2_000_000, seed=0)["problems"] == []
