"""Scoring a trained agent: the mean return of its policy over evaluation episodes, the
environment's reference record (the optimum and the random policy's return), and the normalized
score of a return, 0 at the random policy and 1 at the optimum."""

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


def reference_of(env: gym.Env) -> Reference | None:
    """The environment's reference record (``env.unwrapped.reference()``: the optimum and the
    uniform-random policy's return), or None for an env that declares none (a user's own) or a
    configuration whose reference is not known (:class:`~rl_envs.core.NoReference`)."""
    u: Any = env.unwrapped  # an env's reference is its own method (forwarded from its task)
    if not callable(getattr(u, "reference", None)):
        return None
    try:
        return u.reference()
    except (NoReference, NotImplementedError):
        return None


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
    (equal for an exact optimum), the random policy's value, and the normalized score of ``ret``,
    ``(ret - random) / (reference - random)`` (0: the random policy, 1: the reference), with the
    interval the bounds allow.  None where there is no reference, no return, or no score (a task
    on which every policy is optimal, so reference == random); JSON holds no infinity either."""
    if ref is None:
        return dict.fromkeys(REFERENCE_COLUMNS)
    score = (math.nan,) * 3 if ret is None else ref.normalize(ret)
    values = (ref.value, ref.lower, ref.upper, ref.random, *score)
    return {k: _finite_or_none(v) for k, v in zip(REFERENCE_COLUMNS, values)}
