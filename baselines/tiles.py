"""Hashed tile coding of a batch of states, in the style of Sutton's ``tiles3`` (Sutton & Barto
2018, §9.5.4; Sutton 1996 used tile coding for mountain car and puddle world).

``n_tilings`` grids of ``tiles_per_dim`` tiles across ``[low, high]`` in every dimension, each
shifted by a fraction of a tile: tiling ``t`` is displaced by ``t (2i + 1) / n_tilings`` tiles
in dimension ``i`` (the asymmetric offsets of ``tiles3``, displacement vector 1, 3, 5, ...),
which generalises more evenly than shifting every dimension alike.  A state lies in one tile
of each tiling; the tile's integer coordinates, with the tiling's number, are hashed into
``[0, size)``.  The features of a state are those ``n_tilings`` indices (binary features
that are 1 there): ``tiles(states)`` returns them as an ``(N, n_tilings)`` int64 array.

The hash is a 64-bit multiply-xorshift mix (splitmix64's finaliser) in wrapping uint64
arithmetic, compiled with numba over the whole batch.
Two distinct tiles share an index with probability about ``1 / size`` (as for a random map):
keep ``size`` well above the number of tiles a task visits, ``n_tilings (tiles_per_dim + 1)^d``
at most.  :func:`tiles_loop` is the same coder, state by state in plain Python (the reference
of the tests and of ``benchmarks/bench_tiles.py``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from numba import njit

from rl_envs.validation import integer, real_array

_MASK = (1 << 64) - 1
_MULTIPLIER = 0x100000001B3  # the FNV-1a 64-bit prime: spreads each coordinate over the word
_MIX = (0xBF58476D1CE4E5B9, 0x94D049BB133111EB)  # splitmix64's finaliser constants
MAX_SIZE = 1 << 40


@njit(cache=True)
def _hash_tiles(
    states: np.ndarray, low: np.ndarray, scale: np.ndarray, offsets: np.ndarray, size: int, out: np.ndarray
) -> None:
    """``out[k, t]``: the index of state ``k``'s tile in tiling ``t`` (``q``: the state's
    coordinates in 1/n_tilings of a tile).  Every operand of the hash is uint64, so products
    wrap mod 2^64."""
    n_tilings, d = offsets.shape
    multiplier, mix0, mix1 = np.uint64(_MULTIPLIER), np.uint64(_MIX[0]), np.uint64(_MIX[1])
    s30, s27, s31 = np.uint64(30), np.uint64(27), np.uint64(31)
    q = np.empty(d, dtype=np.int64)
    for k in range(states.shape[0]):
        for i in range(d):
            q[i] = np.int64(math.floor((np.float64(states[k, i]) - low[i]) * scale[i]))
        for t in range(n_tilings):
            h = np.uint64(t)
            for i in range(d):
                h = h * multiplier + np.uint64((q[i] + offsets[t, i]) // n_tilings)
                h ^= h >> s30
                h *= mix0
                h ^= h >> s27
                h *= mix1
                h ^= h >> s31
            out[k, t] = np.int64(h % np.uint64(size))


def _mix_int(h: int) -> int:
    h ^= h >> 30
    h = (h * _MIX[0]) & _MASK
    h ^= h >> 27
    h = (h * _MIX[1]) & _MASK
    return h ^ (h >> 31)


class TileCoder:
    """Hashed tile coding of states in ``[low, high]`` (see the module docstring).

    States outside the bounds are coded too (their tiles continue the grids).
    ``tiles(states)`` takes a batch ``(N, d)`` or one state ``(d,)``.
    """

    def __init__(
        self, low: ArrayLike, high: ArrayLike, n_tilings: int = 10, tiles_per_dim: int = 10, size: int = 1 << 16
    ):
        low, high = real_array(low, "low", ndim=1), real_array(high, "high", ndim=1)
        if low.shape != high.shape or not np.all(high > low):
            raise ValueError(f"low and high must be bounds of the same length with high > low, got {low} and {high}")
        self.low, self.high = low, high
        self.n_tilings = integer(n_tilings, "n_tilings")
        self.tiles_per_dim = integer(tiles_per_dim, "tiles_per_dim")
        self.size = integer(size, "size", low=self.n_tilings, high=MAX_SIZE)
        self.dim = len(low)
        # a state's coordinate in units of 1 / n_tilings of a tile
        self._scale = self.tiles_per_dim * self.n_tilings / (high - low)
        tilings = np.arange(self.n_tilings, dtype=np.int64)[:, None]
        self._offsets = tilings * (2 * np.arange(self.dim, dtype=np.int64) + 1)  # (n_tilings, d)

    def tiles(self, states: ArrayLike) -> np.ndarray:
        """The active tile indices of each state: ``(N, n_tilings)`` int64 (``(n_tilings,)`` for one)."""
        s = real_array(states, "states")
        if s.ndim not in (1, 2) or s.shape[-1] != self.dim:
            raise ValueError(f"states must have shape ({self.dim},) or (N, {self.dim}), got shape {s.shape}")
        index = self.index(np.atleast_2d(s))
        return index[0] if s.ndim == 1 else index

    def index(self, states: np.ndarray) -> np.ndarray:
        """:meth:`tiles` of a checked ``(N, d)`` float array, without the checks (a learner's
        inner loop codes its env's observations, which are such an array)."""
        index = np.empty((len(states), self.n_tilings), dtype=np.int64)
        _hash_tiles(states, self.low, self._scale, self._offsets, self.size, index)
        return index

    def features(self, states: ArrayLike) -> np.ndarray:
        """The feature vectors, ``(N, size)`` float64 (``(size,)`` for one state): 1 at each active
        tile (2 where two of a state's tiles collide), for tests and small tables; learners index
        with :meth:`tiles` instead."""
        index = self.tiles(states)
        rows = np.atleast_2d(index)
        phi = np.zeros((len(rows), self.size))
        np.add.at(phi, (np.arange(len(rows))[:, None], rows), 1.0)
        return phi[0] if index.ndim == 1 else phi


def tiles_loop(coder: TileCoder, state: Sequence[float] | np.ndarray) -> list[int]:
    """One state's tile indices by ``tiles3``'s loop, in plain Python (the coder's reference)."""
    q = [int(np.floor((float(x) - lo) * sc)) for x, lo, sc in zip(state, coder.low, coder._scale)]
    indices = []
    for tiling in range(coder.n_tilings):
        h, b = tiling, tiling
        for qi in q:
            h = _mix_int((h * _MULTIPLIER + ((qi + b) // coder.n_tilings)) & _MASK)
            b += 2 * tiling
        indices.append(h % coder.size)
    return indices
