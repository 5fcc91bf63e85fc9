"""A sweep's configuration and its metrics, checked whole before any trial runs.

A sweep tunes one agent on one environment: a search space over some of the agent's keyword
arguments, the seeds it is tuned on, the seeds the chosen setting is then evaluated on (kept
apart: a setting chosen and scored on the same seeds is scored too well; tuning seeds come from
the tuning range and evaluation seeds from the training range of :mod:`baselines.seeds`, so their
runs and test episodes are disjoint), a metric, a search
algorithm and a budget of trials.  ``[space]`` maps an argument to ``{grid = [...]}``,
``{choice = [...]}`` or ``{loguniform = [low, high]}``; the rest of the keys are those of a
comparison run (``env``, ``env_kwargs``, ``steps``, ``eval_episodes``, ``eval_at``) plus
``agent``, ``agent_kwargs`` (fixed arguments), ``tuning_seeds``, ``evaluation_seeds``,
``metric``, ``search`` ("grid" or "optuna"), ``budget``, ``early_stopping`` ("asha" or none),
``search_seed`` and ``cpus_per_trial``.  Every problem is a :class:`~baselines.compare.ConfigError`.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import gymnasium as gym

from rl_envs.core import Reference
from rl_envs.validation import integer, is_int, real

from ..compare.config import Cell, ConfigError, cells_from_config, checked, require
from ..evaluation import reference_of
from ..seeds import EPISODES_PER_CHECKPOINT, check_seeds

SPACE_KINDS = ("grid", "choice", "loguniform")
SEARCHES = ("grid", "optuna")


@dataclass(frozen=True)
class Metric:
    """How a setting is scored from its seeds' evaluation curves; see :data:`METRICS`."""

    name: str
    first: int | None = None  # the window of checkpoints mean_log_cost averages over
    last: int | None = None
    tolerance: float = 1e-6  # steps_to_optimal: a return within this of the optimum counts

    @property
    def mode(self) -> str:
        return METRICS[self.name][0]

    @property
    def needs(self) -> str | None:
        """What the metric needs of the environment's reference: nothing (None), a normalized
        score (``"score"``) or an exact optimum (``"exact"``)."""
        return METRICS[self.name][1]

    def score(self, steps: list[int], returns: np.ndarray, reference: Reference | None) -> float:
        """The metric of evaluation returns ``returns[seed, checkpoint]`` after ``steps``
        (checkpoints so far: a sweep scores the curve's beginning while it is still running),
        ``reference`` the environment's record (the metrics that need one are checked to have it)."""
        return METRICS[self.name][2](self, np.asarray(steps), np.asarray(returns, dtype=float), reference)


def _mean_log_cost(metric: Metric, steps, returns, reference) -> float:
    # Silver et al. (2014), Fig. 1: the cost of the mean action on a log axis over log-spaced times;
    # the area under that curve is the mean log10 of the seed-mean cost (-return) over the window.
    inside = (steps >= (metric.first or 0)) & (steps <= (metric.last or math.inf))
    cost = -returns[:, inside if inside.any() else slice(None)].mean(axis=0)
    return float(np.mean(np.log10(np.maximum(cost, 1e-300)))) if np.all(np.isfinite(cost)) else math.inf


def _final_return(metric: Metric, steps, returns, reference) -> float:
    return float(returns[:, -1].mean())


def _final_normalized_score(metric: Metric, steps, returns, reference: Reference) -> float:
    # (R - random) / (reference - random) is affine in R: the mean score is the mean return's
    # (a diverged seed's NaN return scores the worst)
    score = reference.normalize(float(returns[:, -1].mean()))[0]
    return score if math.isfinite(score) else -math.inf


def _steps_to_optimal(metric: Metric, steps, returns, reference: Reference) -> float:
    # A seed not at the optimum by the last checkpoint so far counts as one step later; so early on
    # the score is a lower bound that ASHA compares at equal budgets, and in the end a setting that
    # leaves a seed short of the optimum scores past the budget.
    optimum = reference.value
    reached = returns >= optimum - metric.tolerance * max(1.0, abs(optimum))
    first = np.where(reached.any(axis=1), steps[np.argmax(reached, axis=1)], steps[-1] + 1)
    return float(first.mean())


# name: (mode, what it needs of the environment's reference: None, "score" or "exact", score)
METRICS = {
    "mean_log_cost": ("min", None, _mean_log_cost),
    "final_return": ("max", None, _final_return),
    "final_normalized_score": ("max", "score", _final_normalized_score),
    "steps_to_optimal": ("min", "exact", _steps_to_optimal),
}


@dataclass
class Sweep:
    env: str
    agent: str
    steps: int
    space: dict  # argument -> (kind, values or [low, high])
    tuning_seeds: list[int]
    evaluation_seeds: list[int]
    metric: Metric
    search: str = "grid"
    budget: int = 1
    early_stopping: str | None = None
    env_kwargs: dict = field(default_factory=dict)
    agent_kwargs: dict = field(default_factory=dict)
    eval_episodes: int = EPISODES_PER_CHECKPOINT
    eval_at: list = field(default_factory=list)
    search_seed: int = 0
    cpus_per_trial: int = 1

    def cells(self, setting: dict, seeds: list[int]) -> list[Cell]:
        """The comparison cells of one setting of the swept arguments on ``seeds``."""
        return cells_from_config(self.runs(setting, seeds))

    def runs(self, setting: dict, seeds: list[int]) -> dict:
        return {
            "runs": [
                {
                    "env": self.env,
                    "env_kwargs": self.env_kwargs,
                    "steps": self.steps,
                    "seeds": list(seeds),
                    "eval_episodes": self.eval_episodes,
                    "eval_at": self.eval_at,
                    "agents": {self.agent: {**self.agent_kwargs, **setting}},
                }
            ]
        }

    @property
    def checkpoints(self) -> list[int]:
        """The steps at which a trial reports its score: each of ``eval_at``, then the end."""
        return self.eval_at + ([] if self.eval_at and self.eval_at[-1] == self.steps else [self.steps])

    def reference(self, seed: int | None = None) -> Reference | None:
        """The environment's reference record (after ``reset(seed=seed)``, which may draw the problem)."""
        env = gym.make(self.env, **self.env_kwargs)
        env.reset(seed=seed)
        return reference_of(env)

    def grid_settings(self) -> list[dict]:
        names = list(self.space)
        return [dict(zip(names, values)) for values in itertools.product(*(self.space[n][1] for n in names))]

    def to_json(self) -> str:
        """Everything that decides the sweep's trials (a resumed sweep must be the same one)."""
        d = {k: v for k, v in self.__dict__.items() if k != "metric"}
        return json.dumps({**d, "metric": self.metric.__dict__}, sort_keys=True)


_KEYS = {
    "env",
    "env_kwargs",
    "agent",
    "agent_kwargs",
    "steps",
    "eval_episodes",
    "eval_at",
    "space",
    "tuning_seeds",
    "evaluation_seeds",
    "metric",
    "search",
    "budget",
    "early_stopping",
    "search_seed",
    "cpus_per_trial",
}


def _seeds(config: dict, key: str, expected: str) -> list[int]:
    """``config[key]``: distinct seeds of the range of role ``expected`` (baselines/seeds.py)."""
    seeds: Any = config.get(key)  # a config's data, checked below
    require(
        isinstance(seeds, list)
        and seeds
        and all(is_int(s) and s >= 0 for s in seeds)
        and len(set(seeds)) == len(seeds),
        f"{key} must be a non-empty list of distinct non-negative ints, got {seeds!r}",
    )
    return checked(check_seeds, seeds, key, expected=expected)


def _space(space) -> dict:
    require(
        isinstance(space, dict) and space,
        "space must be a non-empty table of argument = {grid|choice|loguniform = ...}",
    )
    parsed = {}
    for name, spec in space.items():
        where = f"space.{name}"
        require(
            isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in SPACE_KINDS,
            f"{where} must be one of {{grid = [...]}}, {{choice = [...]}}, {{loguniform = [low, high]}}, got {spec!r}",
        )
        kind, values = next(iter(spec.items()))
        require(isinstance(values, list) and values, f"{where}.{kind} must be a non-empty list")
        if kind == "loguniform":
            require(len(values) == 2, f"{where}.loguniform must be [low, high] with 0 < low < high, got {values!r}")
            low, high = (
                checked(real, v, f"{where}.loguniform's {end}", low=0, low_open=True)
                for v, end in zip(values, ("low", "high"))
            )
            require(low < high, f"{where}.loguniform must be [low, high] with 0 < low < high, got {values!r}")
        else:
            require(len({json.dumps(v) for v in values}) == len(values), f"{where}.{kind} repeats a value")
        parsed[name] = (kind, values)
    return parsed


def _metric(spec, sweep_has_curve: bool) -> Metric:
    if isinstance(spec, str):
        spec = {"name": spec}
    require(
        isinstance(spec, dict) and spec.get("name") in METRICS,
        f"metric must be one of {', '.join(METRICS)} (or a table with name = ...), got {spec!r}",
    )
    unknown = set(spec) - {"name", "from", "to", "tolerance"}
    require(not unknown, f"metric: unknown keys {sorted(unknown)}")
    first, last = (
        None if spec.get(key) is None else checked(integer, spec[key], f"metric.{key}") for key in ("from", "to")
    )
    tolerance = checked(real, spec.get("tolerance", 1e-6), "metric.tolerance", low=0)
    metric = Metric(spec["name"], first, last, tolerance)
    require(
        metric.name not in ("mean_log_cost", "steps_to_optimal") or sweep_has_curve,
        f"metric {metric.name} reads a learning curve: give eval_at (the steps to evaluate at)",
    )
    return metric


def sweep_from_config(config: dict) -> Sweep:
    """Validate a sweep configuration (every error before any trial)."""
    require(isinstance(config, dict), "a sweep configuration must be a table/mapping")
    unknown = set(config) - _KEYS
    require(not unknown, f"unknown keys {sorted(unknown)}; a sweep has {', '.join(sorted(_KEYS))}")
    for key in ("env", "agent", "steps", "space", "tuning_seeds", "evaluation_seeds", "metric"):
        require(key in config, f"a sweep needs {key!r}")
    tuning, evaluation = _seeds(config, "tuning_seeds", "tuning"), _seeds(config, "evaluation_seeds", "training")
    space = _space(config["space"])
    fixed = config.get("agent_kwargs", {})
    require(isinstance(fixed, dict), "agent_kwargs must be a table/mapping")
    both = sorted(set(fixed) & set(space))
    require(not both, f"{', '.join(both)}: both swept (space) and fixed (agent_kwargs)")
    search = config.get("search", "grid")
    require(search in SEARCHES, f"search must be one of {', '.join(SEARCHES)}, got {search!r}")
    kinds = {kind for kind, _ in space.values()}
    if search == "grid":
        require(
            "loguniform" not in kinds,
            "search = 'grid' cannot sample a loguniform range: use search = 'optuna' or a grid of values",
        )
    else:
        require("grid" not in kinds, "search = 'optuna' samples; give a grid's values as {choice = [...]}")
    early = config.get("early_stopping")
    require(early in (None, "asha"), f"early_stopping must be 'asha' or absent, got {early!r}")
    budget = checked(integer, config.get("budget", 1), "budget")
    search_seed = checked(integer, config.get("search_seed", 0), "search_seed", low=0)
    cpus_per_trial = checked(integer, config.get("cpus_per_trial", 1), "cpus_per_trial")
    sweep = Sweep(
        env=config["env"],
        agent=config["agent"],
        steps=config["steps"],
        space=space,
        tuning_seeds=tuning,
        evaluation_seeds=evaluation,
        metric=Metric("final_return"),
        search=search,
        budget=budget,
        early_stopping=early,
        env_kwargs=config.get("env_kwargs", {}),
        agent_kwargs=fixed,
        eval_episodes=config.get("eval_episodes", EPISODES_PER_CHECKPOINT),
        search_seed=search_seed,
        cpus_per_trial=cpus_per_trial,
    )
    # The comparison's own checks (environment, agent, budget, checkpoints, each argument's name)
    # on the first setting; then the checkpoints as it expanded them.
    first = {name: values[0] for name, (kind, values) in space.items()}
    cell = (
        sweep.cells(first, tuning[:1])
        if "eval_at" not in config
        else cells_from_config({"runs": [{**sweep.runs(first, tuning[:1])["runs"][0], "eval_at": config["eval_at"]}]})
    )
    sweep.eval_at = cell[0].eval_at
    sweep.metric = _metric(config["metric"], bool(sweep.eval_at))
    require(
        early is None or len(sweep.checkpoints) > 1,
        "early_stopping = 'asha' needs a learning curve to stop on: give eval_at",
    )
    needs = sweep.metric.needs
    if needs:
        try:
            reference, other_seed = sweep.reference(0), sweep.reference(1)
        except (TypeError, ValueError) as e:
            raise ConfigError(f"{sweep.env} with env_kwargs {sweep.env_kwargs}: {e}") from None
        name = sweep.metric.name
        require(reference is not None, f"metric {name} needs the environment's reference, and {sweep.env} has none")
        assert reference is not None
        require(
            reference == other_seed,
            f"metric {name} needs one reference for every seed, and {sweep.env}'s depends on the problem "
            "each seed draws (the bandit's C): fix the problem in env_kwargs, or use final_return",
        )
        if needs == "exact":
            require(
                reference.kind == "exact",
                f"metric {name} needs an exact optimum, and {sweep.env}'s reference is {reference.kind}",
            )
        else:
            require(
                reference.value > reference.random,
                f"metric {name} needs a reference above the random policy's return, and on {sweep.env} "
                f"they are {reference.value} and {reference.random} (every policy scores the same)",
            )
    if search == "grid":
        n = len(sweep.grid_settings())
        require(n <= sweep.budget, f"the grid has {n} settings but the budget is {sweep.budget} trials")
    return sweep
