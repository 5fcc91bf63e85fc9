"""RMSprop's normalised step direction (Tieleman & Hinton 2012, Lecture 6.5), shared by the
policy-gradient agents that take it (tabular actor-critic, linear REINFORCE)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rl_envs.validation import real


def decay_rate(value: Any, name: str) -> float:
    """``rho``, a real number in (0, 1): at 1 the average never moves from its first gradient."""
    rho = real(value, name, low=0, high=1, low_open=True, kind="decay rate")
    if rho == 1:
        raise ValueError(f"{name} must be a decay rate in (0, 1), got {rho!r}")
    return rho


def rms_normalized(g: np.ndarray, v: np.ndarray, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """RMSprop's direction: ``v = rho v + (1 - rho) g**2``, ``g / sqrt(v)``.

    An entry's ``v`` starts at its first nonzero ``g**2`` (not ``(1 - rho) g**2``), so its first
    step is +-1 rather than +-1/sqrt(1 - rho); entries that have never had a gradient do not
    move.  Steps with it are in parameter units whatever the gradient's scale: an episode's
    gradient grows with its length and return, and the normalised step does not.
    """
    v = np.where(v > 0, rho * v + (1 - rho) * g**2, g**2)
    return np.divide(g, np.sqrt(v), out=np.zeros_like(g), where=v > 0), v
