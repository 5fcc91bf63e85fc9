"""The Ray back-end: every cell a Ray task, on this machine or on a cluster joined by address.

Ray is optional (``pip install 'rl_envs[ray]'``): it is imported when a Ray back-end first runs,
so the base install and the other back-ends never need it.  Results come back to the driver,
which writes the cell files as with any back-end (:func:`~baselines.compare.run.compare`), so
resuming, ``plot`` and merging folders do not care where a cell ran.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

from rl_envs.validation import integer

from ..interrupts import restore_sigterm
from .config import Cell
from .run import limit_threads


class MissingExtra(RuntimeError):
    """An optional dependency this command needs is not installed."""


def require_ray() -> ModuleType:
    """The ``ray`` module, or a :class:`MissingExtra` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise MissingExtra("Ray is not installed; install it with: pip install 'rl_envs[ray]'") from None
    return ray


def connect(address: str | None, **init_kwargs: Any) -> bool:
    """Join the Ray cluster at ``address`` ("auto": the one started on this machine with
    ``ray start``; None: ``$RAY_ADDRESS`` if set, else a new local one), unless this process is
    connected already.  True if this call connected (the caller then disconnects)."""
    ray = require_ray()
    if ray.is_initialized():
        return False
    ray.init(address=address, logging_level=logging.WARNING, **init_kwargs)
    restore_sigterm()  # ray.init's handler exits at once, with a native stack dump
    return True


def run_cell_task(fn: Callable[[Cell], dict], cell: Cell, threads: int) -> tuple[dict, str]:
    """The body of a cell's Ray task (its process title is ``ray::run_cell_task``)."""
    import ray

    limit_threads(threads)
    return fn(cell), ray.get_runtime_context().get_node_id()


class RayBackend:
    """Runs each cell as a Ray task of ``cpus_per_cell`` CPUs (and as many torch and numba
    threads), yielding cells as they finish.

    A task whose worker process or node dies is run again, up to ``max_retries`` times; an
    exception raised by the cell itself is its result (as with the other back-ends), not retried.
    On Ctrl-C (or when the consumer stops) the outstanding tasks are cancelled and their worker
    processes killed; the cells that had finished are yielded, then the KeyboardInterrupt goes
    on.  ``placements`` maps each finished cell's key to the id of the node that ran it.
    """

    def __init__(self, address: str | None = None, cpus_per_cell: int = 1, max_retries: int = 3, **init_kwargs: Any):
        cpus_per_cell = integer(cpus_per_cell, "cpus_per_cell")
        require_ray()  # before any work
        self.address, self.cpus_per_cell, self.max_retries = address, cpus_per_cell, max_retries
        self.init_kwargs = init_kwargs
        self.placements: dict[str, str] = {}

    def map(
        self, fn: Callable[[Cell], dict], cells: list[Cell], started: Callable[[Cell], None] | None = None
    ) -> Iterator[tuple[Cell, dict | BaseException]]:
        """Every cell a task, submitted at once; which of them run at a time is Ray's to decide,
        so ``started`` (the other back-ends' hook) is never called."""
        ray = require_ray()
        if not cells:
            return
        connected = connect(self.address, **self.init_kwargs)
        try:
            task = ray.remote(run_cell_task).options(num_cpus=self.cpus_per_cell, max_retries=self.max_retries)
            of = {task.remote(fn, cell, self.cpus_per_cell): cell for cell in cells}
            pending = list(of)
            try:
                while pending:
                    # A short timeout: the wait returns to Python often enough for Ctrl-C to act at once.
                    ready, pending = ray.wait(pending, num_returns=1, timeout=0.2)
                    for ref in ready:
                        yield of[ref], self._outcome(ray, ref, of[ref])
            except BaseException as e:  # Ctrl-C, or the consumer stopped (GeneratorExit) or failed
                ready, pending = ray.wait(pending, num_returns=len(pending), timeout=0) if pending else ([], [])
                for ref in pending:
                    ray.cancel(ref, force=True)
                if isinstance(e, KeyboardInterrupt):
                    for ref in ready:
                        yield of[ref], self._outcome(ray, ref, of[ref])
                raise
        finally:
            if connected:
                ray.shutdown()

    def _outcome(self, ray, ref, cell: Cell) -> dict | BaseException:
        try:
            record, node = ray.get(ref)
        except ray.exceptions.RayTaskError as e:  # the cell raised: report its own exception
            return e.cause if isinstance(e.cause, Exception) else e
        except ray.exceptions.RayError as e:  # a lost worker or node, retried max_retries times
            return e
        self.placements[cell.key] = node
        return record
