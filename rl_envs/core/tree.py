"""Batched states as trees: an array, or a dict (or tuple) of arrays, each with a leading batch axis.

A task's state, noise and info are such trees, so that the shells can take, put and join the rows of
some sub-environments without knowing what a task keeps.  ``None`` is an empty tree (a task whose step
draws no noise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Tree = Any  # np.ndarray | dict[str, Tree] | tuple[Tree, ...] | None


def tree_map(fn: Callable[..., np.ndarray], tree: Tree, *rest: Tree) -> Tree:
    """``fn`` applied leaf by leaf to ``tree`` (and the matching leaves of ``rest``)."""
    if tree is None:
        return None
    if isinstance(tree, dict):
        return {k: tree_map(fn, v, *(r[k] for r in rest)) for k, v in tree.items()}
    if isinstance(tree, tuple):
        return tuple(tree_map(fn, v, *(r[i] for r in rest)) for i, v in enumerate(tree))
    return fn(tree, *rest)


def take(tree: Tree, index: np.ndarray | slice) -> Tree:
    """The rows ``index`` (a bool mask, an int array or a slice) of every leaf."""
    return tree_map(lambda a: a[index], tree)


def put(tree: Tree, mask: np.ndarray, rows: Tree) -> None:
    """Write ``rows`` into the rows ``mask`` of every leaf, in place."""
    if tree is None:
        return
    if isinstance(tree, dict):
        for k, v in tree.items():
            put(v, mask, rows[k])
    elif isinstance(tree, tuple):
        for v, r in zip(tree, rows):
            put(v, mask, r)
    else:
        tree[mask] = rows


def scatter(tree: Tree, mask: np.ndarray) -> Tree:
    """The rows of ``tree`` placed at the rows ``mask`` of zero arrays of ``len(mask)`` rows."""

    def spread(a: np.ndarray) -> np.ndarray:
        out = np.zeros((len(mask), *a.shape[1:]), dtype=a.dtype)
        out[mask] = a
        return out

    return tree_map(spread, tree)


def concat(trees: list[Tree]) -> Tree:
    """The leaves of ``trees`` joined along the batch axis."""
    first = trees[0]
    if first is None:
        return None
    if isinstance(first, dict):
        return {k: concat([t[k] for t in trees]) for k in first}
    if isinstance(first, tuple):
        return tuple(concat([t[i] for t in trees]) for i in range(len(first)))
    return np.concatenate(trees)
