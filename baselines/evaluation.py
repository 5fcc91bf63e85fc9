"""Scoring a trained agent: the mean return of its policy over evaluation episodes, the exact
optimum of the environment, and the fraction of that optimum a return reaches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import gymnasium as gym


def evaluate(
    agent: Any,
    env: gym.Env,
    n_episodes: int = 1,
    seed: int = 0,
    deterministic: bool = True,
    seeds: Sequence[int] | None = None,
) -> tuple[float, float]:
    """Mean and standard deviation of the episode return of ``agent.predict`` over episodes from
    ``env.reset(seed=s)`` for each ``s`` of ``seeds`` (a run's test seeds,
    :func:`baselines.seeds.checkpoint_test_seeds`), or of ``seed, seed + 1, ...`` (``n_episodes``)."""
    returns = []
    for episode_seed in range(seed, seed + n_episodes) if seeds is None else seeds:
        obs, _ = env.reset(seed=int(episode_seed))
        done, total, state, start = False, 0.0, None, True
        while not done:
            # state/episode_start as SB3's evaluate_policy passes them: belief agents keep their belief there.
            action, state = agent.predict(
                obs, state=state, episode_start=np.array([start]), deterministic=deterministic
            )
            obs, r, terminated, truncated, _ = env.step(action)
            total += float(r)
            done, start = terminated or truncated, False
        returns.append(total)
    return float(np.mean(returns)), float(np.std(returns))


def exact_optimum(env: gym.Env) -> float | None:
    """The best expected return the environment exposes, if it has one.

    ``optimal_return()`` where the environment defines it, else minus ``optimal_cost()`` (LQ
    control reports costs); None for tasks without a known optimum (the octopus arm).
    """
    u: Any = env.unwrapped  # an env's references are its own methods (forwarded from its task)
    if callable(getattr(u, "optimal_return", None)):
        return float(u.optimal_return())
    if callable(getattr(u, "optimal_cost", None)):
        return -float(u.optimal_cost())
    return None


def fraction_of_optimum(ret: float, optimum: float | None) -> float | None:
    """1 at the optimum, smaller when worse: ``ret/opt`` for a positive optimum, ``opt/ret`` for
    a negative one (a cost); undefined for an optimum of 0 or a return of the wrong sign."""
    if optimum is None or optimum == 0 or not math.isfinite(ret):
        return None
    if optimum > 0:
        return ret / optimum
    return optimum / ret if ret < 0 else None
