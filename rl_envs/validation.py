"""The argument and action checks every environment shares.

Each check returns the value in the type the environment computes with, or raises
``ValueError`` naming the argument (or the action space) and what is allowed.  Booleans,
strings, complex numbers and ``None`` are never numbers here: ``True`` as a step count, or
``"0.5"`` or ``0.5+1j`` as a control, is almost always a bug that a silent cast would hide.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Collection
from typing import Any

import numpy as np
from gymnasium import spaces

_REAL_KINDS = "iuf"  # numpy dtype kinds of real numbers: signed, unsigned, floating


def describe(value: Any) -> str:
    """A short description of a rejected value: arrays by dtype and shape, others by repr and type."""
    if isinstance(value, np.ndarray) and value.size > 8:
        return f"an array of dtype {value.dtype} and shape {value.shape}"
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{text} ({type(value).__name__})"


def _range_text(low, high, low_open: bool) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low}, {high}]"
    if low is not None:
        return f" {'>' if low_open else '>='} {low}"
    return ""


def _is_real_scalar(value) -> bool:
    if isinstance(value, np.ndarray):
        return value.shape == () and value.dtype.kind in _REAL_KINDS
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def allowed_real(
    low: float | None = None, high: float | None = None, low_open: bool = False, kind: str = "real number"
) -> str:
    """What :func:`real` accepts with these bounds, in words (``a probability in [0, 1]``)."""
    return f"a {kind}{_range_text(low, high, low_open)}"


def real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    kind: str = "real number",
) -> float:
    """A finite real number in ``[low, high]`` (``(low, high]`` with ``low_open``) as a float."""
    allowed = f"{name} must be {allowed_real(low, high, low_open, kind)}"
    if not _is_real_scalar(value):
        raise ValueError(f"{allowed}, got {describe(value)}")
    x = float(value)
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite, got {x!r}")
    if (low is not None and (x <= low if low_open else x < low)) or (high is not None and x > high):
        raise ValueError(f"{allowed}, got {x!r}")
    return x


def positive(value: Any, name: str) -> float:
    """A finite real number > 0."""
    return real(value, name, low=0, low_open=True)


def probability(value: Any, name: str) -> float:
    return real(value, name, low=0, high=1, kind="probability")


def discount(value: Any, name: str = "gamma") -> float:
    """A discount factor in ``[0, 1]``."""
    return real(value, name, low=0, high=1, kind="discount factor")


def is_int(value: Any) -> bool:
    """A Python or NumPy int, not a bool and not a float such as 3.0."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


_INT_KINDS: dict[tuple[int | None, int | None], str] = {(1, None): "a positive int", (0, None): "a non-negative int"}


def allowed_integer(low: int | None = 1, high: int | None = None) -> str:
    """What :func:`integer` accepts with these bounds, in words (``a positive int``, ``an int in [1, 50]``)."""
    return _INT_KINDS.get((low, high)) or "an int" + _range_text(low, high, False)


def integer(value: Any, name: str, *, low: int | None = 1, high: int | None = None) -> int:
    """An int (see :func:`is_int`) in ``[low, high]``."""
    if not is_int(value) or (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {allowed_integer(low, high)}, got {describe(value)}")
    return int(value)


def _real_or_none(value) -> np.ndarray | None:
    """``np.asarray(value)`` if it holds real numbers; None for anything else (ragged lists too)."""
    try:
        a = np.asarray(value)
    except ValueError:
        return None
    return a if a.dtype.kind in _REAL_KINDS else None


def real_array(value: Any, name: str, shape: tuple[int, ...] | None = None, ndim: int | None = None) -> np.ndarray:
    """A finite float64 array (of ``shape``, or of ``ndim`` dimensions) from real numbers."""
    a = _real_or_none(value)
    if a is None:
        raise ValueError(
            f"{name} must be an array of real numbers (not bool, str, complex or None), got {describe(value)}"
        )
    if shape is not None and a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got shape {a.shape}")
    if ndim is not None and a.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {a.shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite, got {a.tolist() if a.size <= 8 else describe(a)}")
    return a


def matrix(value: Any, name: str, shape: tuple[int, int] | None = None) -> np.ndarray:
    """A finite float64 2-D array (of ``shape``)."""
    M = real_array(value, name)
    if M.ndim != 2:
        raise ValueError(f"{name} must be a 2-D matrix (a 1 x 1 matrix is written [[x]]), got shape {M.shape}")
    if shape is not None and M.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {M.shape}")
    return M


def symmetric_matrix(M: np.ndarray, name: str, definite: bool) -> np.ndarray:
    """``M`` if it is symmetric and positive definite (semidefinite unless ``definite``, up to
    rounding: the smallest eigenvalue may be -1e-12 of the largest entry)."""
    if not np.allclose(M, M.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name} must be symmetric, got {M.tolist() if M.size <= 16 else describe(M)}")
    lowest = np.linalg.eigvalsh(M).min()
    if lowest <= 0 if definite else lowest < -1e-12 * max(1.0, np.abs(M).max()):
        raise ValueError(
            f"{name} must be positive {'definite' if definite else 'semidefinite'}, "
            f"got smallest eigenvalue {lowest:.6g}"
        )
    return M


def one_of(value: Any, name: str, choices: Collection[str]) -> str:
    """``value`` if it is a str among ``choices`` (so a list or dict is rejected, not an unhashable-type crash)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {describe(value)}")
    return value


# -- actions ---------------------------------------------------------------------------------------


def as_box_action(action: Any, space: spaces.Box, num_envs: int | None = None) -> np.ndarray:
    """``action`` as a float64 array of ``space.shape`` (single or batched), or with ``num_envs``
    the actions of ``num_envs`` envs of the one-env ``space``, of shape ``(num_envs, *space.shape)``;
    or a ValueError naming the space (the batch's): real numbers only (not bool, str, complex or
    None), finite, the right shape; a bare number is taken for a one-element space.  Out-of-range
    values are left to the environment (all of ours clip them)."""
    shape = space.shape if num_envs is None else (num_envs, *space.shape)
    a = _real_or_none(action)
    if a is None:
        raise ValueError(
            f"an action of {_batch_box(space, num_envs)} must be real numbers (not bool, str, complex "
            f"or None), got {describe(action)}"
        )
    if a.shape != shape:
        if a.shape != () or shape != (1,):
            raise ValueError(f"an action of {_batch_box(space, num_envs)} must have shape {shape}, got shape {a.shape}")
        a = a.reshape(1)
    a = a.astype(np.float64)
    # no False (zero byte) among the bools: 0.4 us, where isfinite(a).all() takes 1.4-2 us
    # (a fifth of the octopus env's Python time per step)
    if 0 in np.isfinite(a).tobytes():
        raise ValueError(
            f"an action of {_batch_box(space, num_envs)} must be finite, got {a if a.size <= 8 else 'NaN or inf'}"
        )
    return a


def _batch_box(space: spaces.Box, num_envs: int | None) -> spaces.Box:
    """The Box of ``num_envs`` envs of ``space``, made only to name it in an error: making a Box
    takes longer than a small vector env's step."""
    if num_envs is None:
        return space
    shape = (num_envs, *space.shape)
    return spaces.Box(np.broadcast_to(space.low, shape), np.broadcast_to(space.high, shape), dtype=space.dtype)


def clipped_box_action(action: Any, space: spaces.Box, num_envs: int | None = None) -> np.ndarray:
    """:func:`as_box_action` as a batch of shape ``(num_envs or 1, *space.shape)``, clipped into
    ``space`` (``action_out_of_range = "clip"``, as in every environment here)."""
    return _clip(as_box_action(action, space, num_envs), num_envs, space.low, space.high)


def clipped_box_actions(action: Any, space: spaces.Box, n: int | None, bound: float) -> np.ndarray:
    """:func:`clipped_box_action` for a float32 box of ``[-bound, bound]``, clipped at ``bound`` in
    float64: the box's own float32 bounds can differ from ``bound`` in the last bits."""
    return _clip(as_box_action(action, space, n), n, -bound, bound)


def _clip(a: np.ndarray, num_envs: int | None, low: Any, high: Any) -> np.ndarray:
    """The checked action(s) ``a`` (a new array) as a batch, clipped into ``[low, high]`` in place:
    np.clip's Python wrapper takes as long as a cheap env's step, and a new array as long again."""
    if num_envs is None:
        a = a[None]
    np.maximum(a, low, out=a)
    return np.minimum(a, high, out=a)


def as_discrete_action(action: Any, n: int | np.integer) -> int:
    """``action`` as a Python int in ``range(n)`` (a Python or NumPy int, or a 0-d int array)."""
    # a plain int or an np.int64 (what Discrete.sample and argmax give), the usual actions, skip
    # the slower checks: they are most of a tabular env's step
    if type(action) is np.int64:
        action = int(action)
    elif type(action) is not int:
        if isinstance(action, np.ndarray) and action.shape == () and action.dtype.kind in "iu":
            action = action.item()
        if not is_int(action):
            raise ValueError(f"an action of Discrete({n}) must be an int in [0, {n}), got {describe(action)}")
        action = int(action)
    if not 0 <= action < n:
        raise ValueError(f"an action of Discrete({n}) must be an int in [0, {n}), got {action}")
    return action


def as_discrete_actions(actions: Any, num_envs: int, n: int) -> np.ndarray:
    """``actions`` as an int64 array of shape ``(num_envs,)`` in ``range(n)``, or a ValueError."""
    a = _real_or_none(actions)
    allowed = f"actions of {num_envs} x Discrete({n}) must be an int array of shape ({num_envs},) in [0, {n})"
    if a is None or a.shape != (num_envs,) or a.dtype.kind not in "iu":
        raise ValueError(f"{allowed}, got {describe(actions)}")
    checked = a.astype(np.int64, copy=False)
    # one comparison for both ends: a negative int64 read as a uint64 is above any n
    if np.count_nonzero(checked.view(np.uint64) >= n):
        raise ValueError(f"{allowed}, got {a.tolist()}")
    return checked
