"""The reference record every environment declares: the best possible result and a baseline policy's.

Scores are normalized as ``(R - random) / (value - random)``: 0 is the baseline policy, 1 the
optimum (Agarwal et al. 2021 normalize by a baseline and a reference the same way).  The baseline
is the uniform-random policy unless the record names another (``baseline``): a task on which the
uniform-random policy is so far below every sensible one that all of them score 1 to many digits
declares a documented policy instead (LQ control: the zero control).  Where the optimum is only
known within bounds, the normalized score is given with the interval those bounds imply."""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass

KINDS = ("exact", "bounds", "best-known")
#: The baseline policy of a record that names no other.
UNIFORM_RANDOM = "uniform random"


class NoReference(ValueError):
    """Raised by ``reference()`` for a configuration whose reference is not known (the octopus arm
    off the settings its record was measured on); the comparison then leaves the columns empty."""


@dataclass(frozen=True)
class Reference:
    """What the best and the baseline policy achieve on one task, and how that is known.

    * ``kind``: ``"exact"`` (``lower == value == upper``), ``"bounds"`` (the optimum lies in
      ``[lower, upper]``; ``value`` is the best estimate) or ``"best-known"`` (no certificate:
      ``value`` is the best result measured, not an optimum).
    * ``random``: the baseline policy's expected return, within ``[random_lower, random_upper]``
      (equal to it when exact); ``baseline`` names that policy, the uniform-random one unless the
      task documents another.
    * ``quantity``: what the numbers measure (e.g. "undiscounted episode return from the
      documented start distribution"), ``gamma`` its discount, ``method`` how they were obtained
      (one line) and ``citation`` where the method or number comes from.
    """

    kind: str
    value: float
    lower: float
    upper: float
    random: float
    random_lower: float
    random_upper: float
    quantity: str
    gamma: float
    method: str
    citation: str = ""
    _: KW_ONLY  # a keyword, so that records (and subclasses' fields) given by position keep their places
    baseline: str = UNIFORM_RANDOM

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {self.kind!r}")
        for name in ("value", "lower", "upper", "random", "random_lower", "random_upper", "gamma"):
            if not isinstance(getattr(self, name), (int, float)) or math.isnan(getattr(self, name)):
                raise ValueError(f"{name} must be a number, got {getattr(self, name)!r}")
        if not isinstance(self.baseline, str) or not self.baseline.strip():
            raise ValueError(f"baseline must name the baseline policy (a non-empty string), got {self.baseline!r}")
        if not self.lower <= self.value <= self.upper:
            raise ValueError(f"lower <= value <= upper must hold, got {self.lower} <= {self.value} <= {self.upper}")
        if self.kind == "exact" and not self.lower == self.value == self.upper:
            raise ValueError("an exact reference has lower == value == upper")
        if not self.random_lower <= self.random <= self.random_upper:
            raise ValueError(
                f"random_lower <= random <= random_upper must hold, got "
                f"{self.random_lower} <= {self.random} <= {self.random_upper}"
            )
        if not self.random <= self.upper:
            raise ValueError(
                f"the baseline policy's ({self.baseline}) value {self.random} exceeds the optimum's upper bound {self.upper}"
            )

    def normalize(self, ret: float) -> tuple[float, float, float]:
        """``(score, low, high)``: ``ret`` as ``(ret - random) / (value - random)``, with the range the
        bounds on the optimum allow (``low == score == high`` for an exact reference)."""

        def at(best: float) -> float:
            span = best - self.random
            return (ret - self.random) / span if span > 0 else math.nan

        scores = (at(self.value), at(self.upper), at(self.lower))
        return scores[0], min(scores[1:]), max(scores[1:])
