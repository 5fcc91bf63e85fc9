"""Distributional TD as the dopamine model of Dabney et al. (2020, Nature 577:671, Fig. 1 and
Extended Data Fig. 1): N value predictors ("cells") per state, each with its own learning rates
for positive and negative prediction errors,

    δ_i = r + γ V_j(x′) − V_i(x),      j drawn uniformly from 1..N (no bootstrap after the last step)
    V_i(x) ← V_i(x) + α_i⁺ f(δ_i)  if δ_i > 0,      V_i(x) + α_i⁻ f(δ_i)  otherwise.

With ``f(δ) = δ`` (the physiological choice) predictor i settles where
α_i⁺ E[(Z − V_i)⁺] = α_i⁻ E[(V_i − Z)⁺], the τ_i-expectile of the target Z, with the asymmetry
τ_i = α_i⁺ / (α_i⁺ + α_i⁻); with ``f = sign`` (quantile regression, shown in the paper's Extended
Data Fig. 1 "for clarity") at the τ_i-quantile.  Classical TD is the same population with
α_i⁺ = α_i⁻: every predictor learns the mean.

The sample V_j(x′) is what the model bootstraps from.  Quantiles at evenly spaced levels are
(approximately) samples of the distribution; expectiles are not (Rowland et al. 2019, "Statistics
and samples in distributional reinforcement learning"), so before the last step of a trial the
expectile predictors converge to the expectiles of the distribution of the next state's
predictor values, not of the return: ``tests/test_distributional_td.py`` checks both fixed points.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
import gymnasium as gym

from rl_envs.distributions import expectiles
from rl_envs.validation import integer, real_array

from ..agent_files import ArraySpec
from ..tabular.base import FixedPolicyAgent, check_step_size

#: The asymmetries of the default population (the levels of the paper's exact-reference table).
DEFAULT_TAUS = (0.1, 0.25, 0.5, 0.75, 0.9)


def identity(delta: np.ndarray) -> np.ndarray:
    return delta


def distributional_td_update(
    V: np.ndarray,
    s: int,
    r: float,
    V_next: np.ndarray | None,
    j: np.ndarray | None,
    gamma: float,
    alpha_plus: np.ndarray,
    alpha_minus: np.ndarray,
    f: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """One update of the N predictors ``V[s]`` in place; returns the prediction errors δ.

    ``V_next`` is the next state's predictors and ``j`` the index each predictor samples from
    them (None after the last step: the target is ``r``).
    """
    target = r if V_next is None else r + gamma * V_next[j]
    delta = target - V[s]
    V[s] += np.where(delta > 0, alpha_plus, alpha_minus) * f(delta)
    return delta


def check_taus(taus: ArrayLike) -> np.ndarray:
    """``taus`` as a non-empty array of asymmetries in [0, 1], or a ValueError naming it."""
    taus = real_array(taus, "taus", ndim=1)
    if taus.size == 0 or np.any((taus < 0) | (taus > 1)):
        raise ValueError(f"taus must be a non-empty list of asymmetries in [0, 1], got {taus.tolist()}")
    return taus


def rates_from_taus(taus: ArrayLike, step_size: float) -> tuple[np.ndarray, np.ndarray]:
    """α⁺ = α τ and α⁻ = α (1 − τ): asymmetries ``taus`` at the total rate ``step_size``."""
    taus = check_taus(taus)
    return step_size * taus, step_size * (1.0 - taus)


def check_rates(rates: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """``rates`` as ``(alpha_plus, alpha_minus)`` arrays from a list of ``[α⁺, α⁻]`` pairs."""
    r = real_array(rates, "rates", ndim=2)
    if r.shape[1] != 2 or r.shape[0] == 0 or np.any((r < 0) | (r > 1)) or np.any(r.sum(axis=1) <= 0):
        raise ValueError(
            f"rates must be a non-empty list of [alpha_plus, alpha_minus] pairs in [0, 1], not both 0; got {rates!r}"[
                :300
            ]
        )
    return r[:, 0].copy(), r[:, 1].copy()


def sample_rates(n: int, max_rate: float, rng: np.random.Generator) -> list[list[float]]:
    """``n`` pairs ``[α⁺, α⁻]`` drawn independently from U(0, max_rate), as the textbook's notebook
    draws its 151 cells (with ``max_rate = 0.2``); plain lists, so an agent given them saves them."""
    return rng.uniform(0.0, max_rate, size=(n, 2)).tolist()


def averaged_expectile_sd(values: ArrayLike, probabilities: ArrayLike, tau: float) -> float:
    """The asymptotic standard deviation, per √n, of the average of n successive estimates of
    expectile TD with a small constant step on rewards ``values`` with ``probabilities``: the
    Polyak–Ruppert variance (Polyak & Juditsky 1992) ``E[w² (Z − e)²] / E[w]²`` with the weight
    ``w = τ`` above the τ-expectile ``e`` and ``1 − τ`` below it.  A test of learned expectiles
    needs a tolerance of a few of these over √n: at τ = 0.9 on the variable-magnitude task it is
    14.8, so a 10⁶-reward average still scatters by 0.015.
    """
    x, p = np.asarray(values, dtype=float), np.asarray(probabilities, dtype=float)
    e = expectiles(x, p, tau)
    w = np.where(x > e, tau, 1.0 - tau)
    return float(np.sqrt(p @ (w * w * (x - e) ** 2)) / (p @ w))


class DistributionalTD(FixedPolicyAgent):
    """N predictors per state, learned with :func:`distributional_td_update` while following a fixed
    ``policy`` (default uniform; the variable-reward task has one action).

    Subclasses set the response ``f`` and call :meth:`_set_rates`.  ``predictors(obs)`` gives the
    current values, ``taus`` the asymmetries, and ``td_errors`` the δ_i of the last update (NaN
    before the first), from which :mod:`baselines.distributional.analysis` reads the cells'
    responses trial by trial.
    """

    f: Callable[[np.ndarray], np.ndarray] = staticmethod(identity)

    def _set_rates(self, alpha_plus: np.ndarray, alpha_minus: np.ndarray) -> None:
        self.alpha_plus, self.alpha_minus = alpha_plus, alpha_minus
        self.n_predictors = len(alpha_plus)
        self.V = np.zeros((self.n_states, self.n_predictors))
        self.td_errors = np.full(self.n_predictors, np.nan)

    @property
    def taus(self) -> np.ndarray:
        """The asymmetries τ_i = α_i⁺ / (α_i⁺ + α_i⁻)."""
        return self.alpha_plus / (self.alpha_plus + self.alpha_minus)

    def predictors(self, observation: ArrayLike) -> np.ndarray:
        """The N current values at an observation (shape ``(N,)``), or at a batch (``(batch, N)``)."""
        obs = np.asarray(observation)
        if not np.issubdtype(obs.dtype, np.integer) or np.any((obs < 0) | (obs >= self.n_states)):
            raise ValueError(f"observation must be state indices in [0, {self.n_states}), got {observation!r}")
        return self.V[obs].copy()

    def _array_specs(self):
        return {**super()._array_specs(), "V": ArraySpec((self.n_states, self.n_predictors))}

    def _learn_step(self, memo, r, s2, terminated, truncated):
        s, _ = memo
        if terminated:
            V_next, j = None, None
        else:
            V_next, j = self.V[int(s2)], self.rng.integers(self.n_predictors, size=self.n_predictors)
        self.td_errors = distributional_td_update(
            self.V, s, r, V_next, j, self.gamma, self.alpha_plus, self.alpha_minus, self.f
        )


class ExpectileTD(DistributionalTD):
    """Distributional TD with ``f(δ) = δ``: predictor i learns the τ_i-expectile.

    Arguments: ``taus`` (the asymmetries, default ``DEFAULT_TAUS``) with ``step_size`` α, which
    give α_i⁺ = α τ_i and α_i⁻ = α (1 − τ_i); or ``rates``, a list of ``[α_i⁺, α_i⁻]`` pairs (for
    instance :func:`sample_rates`), instead of both; ``policy`` (default uniform), ``gamma``, ``seed``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        taus: ArrayLike | None = None,
        step_size: float = 0.01,
        rates: ArrayLike | None = None,
        policy: ArrayLike | None = None,
        gamma: float = 1.0,
        seed: int | None = None,
    ):
        super().__init__(env, policy=policy, gamma=gamma, seed=seed, taus=taus, step_size=step_size, rates=rates)
        step_size = check_step_size(step_size, "step_size")
        if rates is not None and taus is not None:
            raise ValueError("give taus (with step_size) or rates, not both")
        if rates is not None:
            self._set_rates(*check_rates(rates))
            self.hyperparameters["rates"] = np.stack([self.alpha_plus, self.alpha_minus], axis=1).tolist()
        else:
            taus = check_taus(DEFAULT_TAUS if taus is None else taus)
            self._set_rates(*rates_from_taus(taus, step_size))
            self.hyperparameters["taus"] = taus.tolist()  # plain data to save, whatever sequence was given


class QuantileTD(ExpectileTD):
    """Distributional TD with ``f(δ) = sign(δ)``: predictor i learns the τ_i-quantile (the
    arguments of :class:`ExpectileTD`).  Each update moves a predictor by α_i^± in reward units."""

    f = staticmethod(np.sign)  # pyright: ignore[reportAssignmentType] - numpy's stub types sign by its scalar overload


class ClassicalTD(DistributionalTD):
    """The null model: N predictors with symmetric rates α_i⁺ = α_i⁻ = α_i, each learning the mean.

    Arguments: ``n_predictors`` (default 5) with one ``step_size``, or ``step_sizes`` (one per
    predictor, for instance the mean of a distributional population's two rates) instead of
    both; ``policy``, ``gamma``, ``seed``.
    """

    def __init__(
        self,
        env: gym.Env | str,
        n_predictors: int | None = None,
        step_size: float = 0.01,
        step_sizes: ArrayLike | None = None,
        policy: ArrayLike | None = None,
        gamma: float = 1.0,
        seed: int | None = None,
    ):
        super().__init__(
            env,
            policy=policy,
            gamma=gamma,
            seed=seed,
            n_predictors=n_predictors,
            step_size=step_size,
            step_sizes=step_sizes,
        )
        if step_sizes is None:
            n = integer(len(DEFAULT_TAUS) if n_predictors is None else n_predictors, "n_predictors")
            alpha = np.full(n, check_step_size(step_size, "step_size"))
        else:
            if n_predictors is not None:
                raise ValueError("give n_predictors (with step_size) or step_sizes, not both")
            alpha = real_array(step_sizes, "step_sizes", ndim=1)
            if alpha.size == 0 or not np.all((alpha > 0) & (alpha <= 1)):
                raise ValueError(
                    f"step_sizes must be a non-empty list of step sizes in (0, 1], got {alpha.tolist()}"[:300]
                )
            self.hyperparameters["step_sizes"] = alpha.tolist()
        self._set_rates(alpha, alpha.copy())
