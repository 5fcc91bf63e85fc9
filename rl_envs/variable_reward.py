"""The variable-reward task of Dabney et al. (2020), "A distributional code for value in
dopamine-based reinforcement learning", Nature 577:671: a cue, then one reward of random size.
It is the task on which distributional TD's predictors converge to the expectiles (or, with the
sign response, the quantiles) of the reward distribution, which :mod:`rl_envs.distributions`
computes exactly.
"""

from __future__ import annotations

import bisect
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from gymnasium import spaces

from .core import Reference, SingleEnv, Task, VectorEnv
from .distributions import expectiles
from .validation import describe, discount, integer, one_of, probability, real_array

#: Reward sizes of the variable-magnitude task (µl of juice), Dabney et al. 2020, Fig. 2.
MAGNITUDES = (0.1, 0.3, 1.2, 2.5, 5.0, 10.0, 20.0)
#: Trials of each size in the recordings of the paper's 40 dopamine neurons (8877 trials): no
#: designed probability table is published, so the task draws sizes at these frequencies.
TRIAL_COUNTS = (587, 807, 1318, 1375, 2766, 1340, 684)
EMPIRICAL_PROBABILITIES = tuple(c / sum(TRIAL_COUNTS) for c in TRIAL_COUNTS)
#: The paper's empirical utility of each size: the mean baseline-subtracted response of the
#: population (spikes/s), the axis on which its reversal points and decoding are expressed.
EMPIRICAL_UTILITY = (-3.5768, -3.2884, -2.7648, -1.7588, 0.2421, 4.4284, 8.3242)
#: The variable-probability task (Dabney et al. 2020, Extended Data Figs. 7 and 9): three cues
#: predict a reward with these probabilities.
CUE_REWARD_PROBABILITIES = (0.1, 0.5, 0.9)
VARIANTS = ("magnitude", "probability")
UTILITIES = ("identity", "empirical", "hill")
CITATION = "Dabney et al. 2020, Nature 577:671 (task); trial frequencies of the paper's recordings"


@dataclass(frozen=True)
class ReturnDistribution(Reference):
    """The task's reference record (:class:`rl_envs.core.Reference`) with the exact distribution of
    the (undiscounted) return of a trial: its atoms ``values`` and their ``probabilities``.  There
    is one action, so every policy's expected return is ``value``, the random policy's too."""

    values: tuple[float, ...] = ()
    probabilities: tuple[float, ...] = ()

    def expectiles(self, taus: ArrayLike) -> np.ndarray | float:
        """The exact τ-expectiles of the return (see :func:`rl_envs.expectiles`)."""
        return expectiles(self.values, self.probabilities, taus)


def hill_utility(r: ArrayLike, r_max: float, n: float, k: float) -> np.ndarray:
    """The Hill function ``r_max r^n / (r^n + k^n)`` (saturating in the reward size ``r >= 0``)."""
    rn = np.power(r, n)
    return r_max * rn / (rn + k**n)


def _tuple(value, name: str, *, low: float | None = None) -> tuple[float, ...]:
    """A non-empty 1-D array of finite reals (``>= low``) as a tuple of floats."""
    a = real_array(value, name, ndim=1)
    if a.size == 0:
        raise ValueError(f"{name} must hold at least one number, got an empty array")
    if low is not None and np.any(a < low):
        raise ValueError(f"{name} must be >= {low}, got {a.tolist()}")
    return tuple(a.tolist())


@dataclass(frozen=True)
class VariableRewardTask(Task):
    """The task's parameters and batched dynamics (documented on :class:`VariableRewardEnv`)."""

    variant: str = "magnitude"
    magnitudes: tuple[float, ...] | None = None
    probabilities: tuple[float, ...] | None = None
    cue_probabilities: tuple[float, ...] | None = None
    uncued_probability: float = 0.0
    delay: int = 1
    utility: str = "identity"
    hill: tuple[float, float, float] | None = None
    predictors: tuple[float, ...] | None = None
    max_steps: int = 100
    # Set by __post_init__, not arguments (as are the spaces):
    reward_values: np.ndarray = field(init=False, repr=False, compare=False)
    n_cues: int = field(init=False, repr=False, compare=False)
    background: int = field(init=False, repr=False, compare=False)
    _cdf: np.ndarray = field(init=False, repr=False, compare=False)
    _chance: np.ndarray = field(init=False, repr=False, compare=False)
    _sizes: np.ndarray = field(init=False, repr=False, compare=False)
    _cdf_list: list[float] = field(init=False, repr=False, compare=False)
    _values_list: list[float] = field(init=False, repr=False, compare=False)

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 4}
    canvas_size = (480, 320)

    def __post_init__(self):
        magnitude_task = one_of(self.variant, "variant", VARIANTS) == "magnitude"
        magnitudes = (
            (MAGNITUDES if magnitude_task else (1.0,))
            if self.magnitudes is None
            else _tuple(self.magnitudes, "magnitudes")
        )
        if np.any(np.diff(magnitudes) <= 0):
            raise ValueError(f"magnitudes must be strictly increasing, got {list(magnitudes)}")
        if self.probabilities is not None:
            p = _tuple(self.probabilities, "probabilities", low=0.0)
        else:
            p = EMPIRICAL_PROBABILITIES if magnitudes == MAGNITUDES else (1 / len(magnitudes),) * len(magnitudes)
        if len(p) != len(magnitudes):
            raise ValueError(
                f"probabilities must give one probability per magnitude ({len(magnitudes)}), got {list(p)}"
            )
        if abs(sum(p) - 1.0) > 1e-6:
            raise ValueError(f"probabilities must sum to 1, got sum {sum(p)!r}")
        cues = (
            ((1.0,) if magnitude_task else CUE_REWARD_PROBABILITIES)
            if self.cue_probabilities is None
            else _tuple(self.cue_probabilities, "cue_probabilities", low=0.0)
        )
        if max(cues) > 1:
            raise ValueError(f"cue_probabilities must be probabilities in [0, 1], got {list(cues)}")
        probability(self.uncued_probability, "uncued_probability")
        integer(self.delay, "delay")
        one_of(self.utility, "utility", UTILITIES)
        hill = None if self.hill is None else _tuple(self.hill, "hill")
        if hill is not None and (len(hill) != 3 or min(hill) <= 0):
            raise ValueError(f"hill must be (r_max, n, k), three positive numbers, got {list(hill)}")
        predictors = None if self.predictors is None else _tuple(self.predictors, "predictors")
        integer(self.max_steps, "max_steps")
        omitted = min(cues) < 1 and self.uncued_probability < 1
        if self.utility == "empirical":
            if magnitudes != MAGNITUDES or omitted:
                raise ValueError(
                    "utility='empirical' is the paper's table over the magnitudes "
                    f"{list(MAGNITUDES)}, with every trial rewarded; got magnitudes {list(magnitudes)}"
                    + (f" and cue_probabilities {list(cues)}" if omitted else "")
                )
            values = np.array(EMPIRICAL_UTILITY)
        elif self.utility == "hill":
            if hill is None:
                raise ValueError("utility='hill' needs hill=(r_max, n, k): u(r) = r_max r^n / (r^n + k^n)")
            if magnitudes[0] < 0:
                raise ValueError(f"utility='hill' needs magnitudes >= 0, got {list(magnitudes)}")
            values = hill_utility(np.array(magnitudes), *hill)
        else:
            values = np.array(magnitudes)
        n_cues = len(cues)
        p = tuple((np.array(p) / sum(p)).tolist())
        self._derive(
            magnitudes=magnitudes,
            probabilities=p,
            cue_probabilities=cues,
            hill=hill,
            predictors=predictors,
            reward_values=values,
            n_cues=n_cues,
            background=n_cues * self.delay,
            observation_space=spaces.Discrete(n_cues * self.delay + 1),
            action_space=spaces.Discrete(1),
            _cdf=np.cumsum(p),
            _chance=np.array((*cues, 1.0)),
            _sizes=np.array(magnitudes),
        )
        self._derive(_cdf_list=self._cdf.tolist(), _values_list=values.tolist())

    # -- the dynamics ------------------------------------------------------------------------

    def initial_state(self, rng: np.random.Generator, n: int, options: dict | None = None) -> dict[str, np.ndarray]:
        q = self.uncued_probability
        if self.n_cues == 1 and q == 0:
            cue = np.zeros(n, dtype=np.int64)  # the one cue: nothing to draw
        else:
            # one uniform per trial: below uncued_probability it is uncued, else it picks the cue
            u = rng.random(n)
            cue = (
                np.minimum(((u - q) / (1 - q) * self.n_cues).astype(np.int64), self.n_cues - 1)
                if q < 1
                else np.zeros(n, dtype=np.int64)
            )
            cue[u < q] = -1
        return {"cue": cue, "t": np.zeros(n, dtype=np.int64), "outcome": np.full(n, np.nan)}

    def sample_noise(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.random((n, 2))  # per trial: whether a cued reward comes, and its size

    def transition(
        self, state: dict[str, np.ndarray], action: np.ndarray, noise: np.ndarray
    ) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray, dict]:
        cue, t = state["cue"], state["t"] + 1
        outcome = (cue < 0) | (t >= self.delay)
        rewarded = noise[:, 0] < self._chance[cue]  # cue -1 (uncued) reads the last entry, 1
        size = np.minimum(np.searchsorted(self._cdf, noise[:, 1], side="right"), len(self._sizes) - 1)
        magnitude = np.where(rewarded, self._sizes[size], 0.0)
        reward = np.where(outcome & rewarded, self.reward_values[size], 0.0)
        state = {"cue": cue, "t": t, "outcome": np.where(outcome, reward, np.nan)}
        # as Gymnasium's vector envs hold it: no entry when no trial has an outcome, 0 where masked
        info = {"magnitude": np.where(outcome, magnitude, 0.0), "_magnitude": outcome} if outcome.any() else {}
        return state, reward, outcome, info

    def step_one(
        self, state: dict[str, np.ndarray], action: np.ndarray, rng: np.random.Generator
    ) -> tuple[dict[str, np.ndarray], Any, float, bool, dict]:
        """:meth:`transition` of one trial in plain Python (a trial is one or a few steps, so
        NumPy's per-call cost would dominate), drawing and computing exactly the same."""
        u_reward, u_size = rng.random(2).tolist()
        cue, t = int(state["cue"][0]), int(state["t"][0]) + 1
        outcome = cue < 0 or t >= self.delay
        rewarded = u_reward < self._chance[cue]
        size = min(bisect.bisect_right(self._cdf_list, u_size), len(self._sizes) - 1)
        reward = self._values_list[size] if outcome and rewarded else 0.0
        state = {"cue": state["cue"], "t": np.array([t]), "outcome": np.array([reward if outcome else np.nan])}
        obs = np.int64(self.background if outcome or cue < 0 else cue * self.delay + t)
        info = {"magnitude": self._sizes[size].item() if rewarded else 0.0} if outcome else {}
        return state, obs, reward, outcome, info

    def observe(self, state: dict[str, np.ndarray]) -> np.ndarray:
        cue = state["cue"]
        obs = cue * self.delay + state["t"]
        obs[(cue < 0) | (state["outcome"] == state["outcome"])] = (
            self.background
        )  # uncued, or after the outcome (not NaN)
        return obs

    def state_from(self, value: Any) -> dict[str, np.ndarray]:
        """A trial's state as ``env.unwrapped.state`` gives it: ``{"cue": -1 (uncued) or a cue,
        "t": steps since the start, "outcome": the reward of the outcome, or NaN before it}``."""
        if not isinstance(value, dict) or set(value) != {"cue", "t", "outcome"}:
            raise ValueError(f"state must be a dict with the keys 'cue', 't' and 'outcome', got {describe(value)}")
        item = {
            k: np.asarray(v).item() if np.ndim(v) == 0 and isinstance(v, (np.ndarray, np.generic)) else v
            for k, v in value.items()
        }
        cue = integer(item["cue"], "state['cue']", low=-1, high=self.n_cues - 1)
        t = integer(item["t"], "state['t']", low=0, high=0 if cue < 0 else self.delay)
        outcome = item["outcome"]
        if not isinstance(outcome, (int, float)) or isinstance(outcome, bool):
            raise ValueError(f"state['outcome'] must be a number (NaN before the outcome), got {describe(outcome)}")
        return {"cue": np.array([cue]), "t": np.array([t]), "outcome": np.array([float(outcome)])}

    # -- exact references ------------------------------------------------------------------------

    def reward_distribution(self, cue: int | None) -> tuple[np.ndarray, np.ndarray]:
        """The atoms (in reward units, after the utility; increasing) and probabilities of the
        reward of a trial with cue ``cue`` (None: an uncued trial); an omitted reward is 0."""
        values, probabilities = np.array(self.reward_values), np.array(self.probabilities)
        if cue is not None:
            chance = self._chance[integer(cue, "cue", low=0, high=self.n_cues - 1)].item()
            values, probabilities = np.append(values, 0.0), np.append(chance * probabilities, 1.0 - chance)
        keep = probabilities > 0
        values, inverse = np.unique(
            values[keep], return_inverse=True
        )  # a size of 0 and the omitted reward are one atom
        return values, np.bincount(inverse, weights=probabilities[keep], minlength=len(values))

    def return_distribution(self, observation: int | None = None, gamma: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """The atoms and probabilities of the return ``Σ_k γ^k r_{t+k+1}`` from ``observation``
        (None: from the start of a trial, over the draws of its cue).  The background
        observation is the start of an uncued trial."""
        gamma = discount(gamma)
        if observation is None:
            q = self.uncued_probability
            parts = [self.return_distribution(k * self.delay, gamma) for k in range(self.n_cues)]
            weights = [(1 - q) / self.n_cues] * self.n_cues
            if q > 0:
                parts.append(self.reward_distribution(None))
                weights.append(q)
            return (np.concatenate([v for v, _ in parts]), np.concatenate([w * p for w, (_, p) in zip(weights, parts)]))
        observation = integer(observation, "observation", low=0, high=self.background)
        if observation == self.background:
            return self.reward_distribution(None)
        cue, t = divmod(observation, self.delay)
        values, probabilities = self.reward_distribution(cue)
        return gamma ** (self.delay - 1 - t) * values, probabilities

    def reference(self) -> ReturnDistribution:
        """The exact distribution of a trial's return and its mean (see :class:`ReturnDistribution`)."""
        values, probabilities = self.return_distribution()
        mean = float(values @ probabilities)
        return ReturnDistribution(
            "exact",
            mean,
            mean,
            mean,
            mean,
            mean,
            mean,
            "undiscounted return of a trial from the documented start distribution",
            1.0,
            "exact: the sum over the reward atoms of each cue",
            CITATION,
            tuple(values.tolist()),
            tuple(probabilities.tolist()),
        )

    def optimal_return(self) -> float:
        """The expected return of a trial, the same for every policy (one action)."""
        return self.reference().value

    # -- drawing -------------------------------------------------------------------------------

    def paint(self, pg: Any, surface: Any, state: dict[str, np.ndarray], trail: list[dict[str, np.ndarray]]) -> None:
        w, h = surface.get_size()
        cue = int(state["cue"][0])
        values, probs = self.reward_distribution(None if cue < 0 else cue)
        slot = w / (len(values) + 1)
        centres = slot * (np.arange(len(values)) + 1)
        base, top = h - 30, 50
        scale = (base - top) / probs.max()
        delivered = float(state["outcome"][0])  # the reward of the outcome, NaN before it
        for v, p, x in zip(values, probs, centres):
            hit = v == delivered
            pg.draw.rect(
                surface,
                (235, 140, 30) if hit else (150, 160, 175),
                pg.Rect(round(x - slot * 0.35), round(base - p * scale), round(slot * 0.7), round(p * scale) + 1),
            )
        pg.draw.line(surface, (40, 40, 40), (0, base + 1), (w, base + 1), 2)
        # the trial's progress: the cue (a colour per cue, grey when uncued), then one dot per step
        colours = [(60, 110, 200), (40, 160, 90), (190, 60, 160), (200, 170, 40)]
        pg.draw.rect(surface, (170, 170, 170) if cue < 0 else colours[cue % len(colours)], pg.Rect(12, 12, 24, 24))
        steps = 1 if cue < 0 else self.delay
        for i in range(steps):
            filled = i < int(state["t"][0])
            pg.draw.circle(surface, (40, 40, 40), (56 + 18 * i, 24), 6, 0 if filled else 2)
        if self.predictors is not None:
            # the axis is piecewise linear between the atoms (equally spaced bars, as in the paper's
            # figures), so a predictor between two sizes is drawn between their bars
            xs = np.interp(self.predictors, values, centres, left=centres[0] - slot / 2, right=centres[-1] + slot / 2)
            for x in xs:
                pg.draw.line(surface, (210, 30, 30), (round(x), top - 20), (round(x), base), 2)


class VariableRewardEnv(SingleEnv):
    """Dabney et al. 2020: distributional TD, exact expectiles.

    ## Description

    The variable-reward task of Dabney et al. (2020, *Nature* 577:671), on which they showed that
    dopamine neurons code a distribution of reward, not only its mean.  Each episode is one trial:
    an odour cue, then, ``delay`` steps later, one reward whose size is drawn from
    0.1, 0.3, 1.2, 2.5, 5, 10 or 20 µl of juice with the frequencies of the paper's recordings
    (0.066, 0.091, 0.148, 0.155, 0.312, 0.151, 0.077: ``TRIAL_COUNTS`` / 8877).  There is nothing
    to choose: the task is for *predicting* the reward's distribution.

    Distributional TD (``baselines.distributional``) keeps N predictors ``V_i`` per observation,
    each updated with its own rates for positive and negative errors,
    ``V_i ← V_i + α_i^± f(δ_i)``, ``δ_i = r + γ V_j(x′) − V_i(x)``.  With ``f(δ) = δ`` predictor
    ``i`` converges to the τ_i-expectile of the return, τ_i = α_i⁺ / (α_i⁺ + α_i⁻); with
    ``f = sign``, to the τ_i-quantile.  ``env.unwrapped.return_distribution(obs)`` gives the
    exact return distribution from an observation, and ``rl_envs.expectiles`` /
    ``rl_envs.quantiles`` its exact expectiles and quantiles: for the default task the mean is
    5.207829 µl and the 0.1-, 0.25-, 0.75- and 0.9-expectiles are 2.004681, 3.335271, 7.767110 and
    10.848833 µl.

    Variants:

    * ``variant="magnitude"`` (default): one cue, the seven sizes above.
    * ``variant="probability"``: the variable-probability task, three cues that predict a reward
      with probability 0.1, 0.5 and 0.9 (``cue_probabilities``), drawn with equal chance; the
      reward's size is ``magnitudes`` (default one size, 1).
    * ``uncued_probability``: the fraction of trials with no cue, whose reward (always given, of
      the ``magnitudes`` distribution) comes on the first step, from the background observation.
      The paper pools its cued and uncued trials after shifting the uncued responses to the same
      mean; in this discrete-time task an agent's values of the background predict the uncued
      reward as those of the cue predict the cued one.
    * ``utility``: the reward the agent receives is ``u(size)``: ``"identity"`` (µl), the
      paper's ``"empirical"`` utility (the population's mean response to each size, in spikes/s:
      −3.5768, −3.2884, −2.7648, −1.7588, 0.2421, 4.4284, 8.3242; its reversal points and
      decoding are in these units), or ``"hill"``, ``u(r) = r_max rⁿ / (rⁿ + kⁿ)`` with
      ``hill=(r_max, n, k)`` (dopamine responses saturate with reward size, Eshel et al. 2016).

    ## Action Space

    ``Discrete(1)``: the one action, "wait".  Any other value raises ``ValueError`` naming the
    action space.

    ## Observation Space

    ``Discrete(n_cues * delay + 1)``: ``cue * delay + t`` at step ``t`` after cue ``cue``, and
    ``n_cues * delay`` (the background) at the start of an uncued trial and after the outcome.

    ## Rewards

    ``u(size)`` on the outcome step (0 when a cue's reward is omitted), 0 on the other steps.
    ``info["magnitude"]`` holds the size in µl on the outcome step.

    ## Starting State

    The cue, drawn with equal chance among the cues; or, with probability
    ``uncued_probability``, the background.

    ## Episode End

    * Termination: the outcome, ``delay`` steps after the cue (one step after the start of an
      uncued trial).
    * Truncation: ``max_steps`` steps (default 100, never reached unless ``delay >= 100``).

    Stepping after the end raises ``ResetNeeded``.

    ## Arguments

    * ``variant``: ``"magnitude"`` (default) or ``"probability"`` (sets the defaults of the
      next three).
    * ``magnitudes``: the reward sizes, increasing (default the seven above; ``(1,)`` in the
      probability variant).
    * ``probabilities``: the probability of each size (default the paper's frequencies for the
      paper's sizes, equal probabilities for others; must sum to 1 within 1e-6, then renormalised).
    * ``cue_probabilities``: per cue, the probability that its trial is rewarded (default ``(1,)``;
      ``(0.1, 0.5, 0.9)`` in the probability variant).
    * ``uncued_probability``: the fraction of uncued trials (default 0).
    * ``delay``: steps from the cue to the outcome (default 1).  With ``delay > 1`` a predictor
      at the cue learns from a sample ``V_j(x′)`` of the next observation's predictors.
    * ``utility``: ``"identity"`` (default), ``"empirical"`` or ``"hill"``; ``hill``: ``(r_max, n, k)``.
    * ``predictors``: values to draw over the bars (rendering only): set
      ``env.unwrapped.predictors = agent.predictors(obs)`` while an agent learns.
    * ``max_steps``: the step limit (default 100).
    * ``render_mode``: ``"human"`` or ``"rgb_array"``: the current trial's reward distribution as
      bars on equally spaced sizes (the delivered size in orange), its cue and steps at the top
      left, and the predictors as red lines (the axis is piecewise linear between the sizes).

    ## References

    ``env.unwrapped.reference()`` gives the exact distribution of a trial's return and its mean
    (every policy's expected return, also ``optimal_return()``); ``return_distribution(obs,
    gamma)`` that from any observation.

    ```python
    import rl_envs
    env = gymnasium.make("rl_envs/VariableReward-v0")
    ref = env.unwrapped.reference()
    print(ref.value, rl_envs.expectiles(ref.values, ref.probabilities, [0.1, 0.9]))
    ```
    """

    task_type = VariableRewardTask
    task: VariableRewardTask

    @property
    def predictors(self) -> tuple[float, ...] | None:
        return self.task.predictors

    @predictors.setter
    def predictors(self, values: Any) -> None:
        self.task = dataclasses.replace(self.task, predictors=values)


class VariableRewardVectorEnv(VectorEnv):
    """``num_envs`` trials of the variable-reward task stepped as one array (see
    :class:`VariableRewardEnv` and :mod:`rl_envs.core.vector`); with ``num_envs=1`` it reproduces
    the single env bit for bit; ``render_mode="rgb_array"`` renders a tuple of frames, one per
    trial, each with the ``predictors`` (set ``venv.predictors = values``)."""

    task_type = VariableRewardTask

    predictors = VariableRewardEnv.predictors


__all__ = [
    "VariableRewardEnv",
    "VariableRewardVectorEnv",
    "VariableRewardTask",
    "ReturnDistribution",
    "MAGNITUDES",
    "TRIAL_COUNTS",
    "EMPIRICAL_PROBABILITIES",
    "EMPIRICAL_UTILITY",
]
