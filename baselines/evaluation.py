"""Scoring a trained agent: the mean return of its policy over evaluation episodes, the
environment's reference record (the optimum and a baseline policy's return, the uniform-random
policy's unless the record names another), and the normalized score of a return, 0 at the
baseline and 1 at the optimum."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import gymnasium as gym

from rl_envs.core import NoReference, Reference


class Diverged(ValueError):
    """A return that is not a finite number, or an episode that the environment ended at its
    divergence bound (``info["diverged"]`` on its last step, as LQ control's ``max_state_norm``)."""


def evaluate(
    agent: Any,
    env: gym.Env,
    n_episodes: int = 1,
    seed: int = 0,
    deterministic: bool = True,
    last_infos: list[dict] | None = None,
    seeds: Sequence[int] | None = None,
) -> tuple[float, float]:
    """Mean and standard deviation of the episode return of ``agent.predict`` over episodes from
    ``env.reset(seed=s)`` for each ``s`` of ``seeds`` (a run's test seeds,
    :func:`baselines.seeds.checkpoint_test_seeds`), or of ``seed, seed + 1, ...`` (``n_episodes``);
    the last info of each episode appended to ``last_infos`` if given."""
    returns = []
    for episode_seed in range(seed, seed + n_episodes) if seeds is None else seeds:
        obs, _ = env.reset(seed=int(episode_seed))
        done, total, state, start = False, 0.0, None, True
        while not done:
            # state/episode_start as SB3's evaluate_policy passes them: belief agents keep their belief there.
            action, state = agent.predict(
                obs, state=state, episode_start=np.array([start]), deterministic=deterministic
            )
            obs, r, terminated, truncated, info = env.step(action)
            total += float(r)
            done, start = terminated or truncated, False
        returns.append(total)
        if last_infos is not None:
            last_infos.append(info)
    return float(np.mean(returns)), float(np.std(returns))


def reference_of(env: gym.Env, discounted: bool = False) -> Reference | None:
    """The environment's reference record (``env.unwrapped.reference()``: the optimum and the
    baseline policy's return), or None for an env that declares none (a user's own) or a
    configuration whose reference is not known (:class:`~rl_envs.core.NoReference`).

    Only a reference of the undiscounted return (``gamma == 1``), the quantity :func:`evaluate`
    measures, unless ``discounted``: the partially observable maze's is the discounted return of
    the POMDP literature, which a measure of discounted reward compares with, not an episode return.
    """
    u: Any = env.unwrapped  # an env's reference is its own method (forwarded from its task)
    if not callable(getattr(u, "reference", None)):
        return None
    try:
        ref = u.reference()
    except (NoReference, NotImplementedError):
        return None
    return ref if discounted or ref.gamma == 1 else None


#: The columns :func:`reference_columns` adds to a comparison row, in order.
REFERENCE_COLUMNS = (
    "reference",
    "reference_low",
    "reference_high",
    "random_return",
    "normalized_score",
    "normalized_low",
    "normalized_high",
)


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def reference_columns(ret: float | None, ref: Reference | None) -> dict[str, float | None]:
    """A row's reference columns (:data:`REFERENCE_COLUMNS`): the reference value and its bounds
    (equal for an exact optimum), the baseline policy's value, and the normalized score of ``ret``,
    ``(ret - random) / (reference - random)`` (0: the baseline, 1: the reference), with the
    interval the bounds allow.  None where there is no reference, no return, or no score (a task
    on which every policy is optimal, so reference == random); JSON holds no infinity either."""
    if ref is None:
        return dict.fromkeys(REFERENCE_COLUMNS)
    score = (math.nan,) * 3 if ret is None else ref.normalize(ret)
    values = (ref.value, ref.lower, ref.upper, ref.random, *score)
    return {k: _finite_or_none(v) for k, v in zip(REFERENCE_COLUMNS, values)}


#: What a row's reference columns are of (:func:`reference_notes`).
REFERENCE_NOTES = ("baseline", "reference_gamma")


def reference_notes(ref: Reference | None) -> dict[str, str | float | None]:
    """What a row's reference columns are of (:data:`REFERENCE_NOTES`): ``baseline``, the policy
    whose value ``random_return`` is (:attr:`~rl_envs.core.Reference.baseline`), and
    ``reference_gamma``, the discount of the quantity (1: the episode return; the partially
    observable maze's reference is a discounted return, which only a measure of it reports).
    None where there is no reference."""
    return {"baseline": None if ref is None else ref.baseline, "reference_gamma": None if ref is None else ref.gamma}


def undiscounted_reference(row: dict) -> bool:
    """Whether ``row`` has a reference of the undiscounted episode return, the quantity its
    training log records (a row written before :data:`REFERENCE_NOTES` has no other)."""
    return row.get("reference") is not None and row.get("reference_gamma", 1.0) == 1.0
