"""What a cell costs, measured from finished cells, and a run's wall time estimated before it starts.

The model: a cell of ``agent`` on ``env`` with a budget of ``steps`` takes

    per_step[env, agent] * steps + rest[env, agent]  seconds of processor time,

``per_step`` its training's processor time per environment step (the row's ``train_cpu_s /
steps``) and ``rest`` the processor time outside training (building the agent, the test
episodes, the GIF: ``cell_cpu_s - train_cpu_s``), each the mean over the finished cells of the
pair.  Processor time, not wall time: a cell's processor time hardly depends on what else the
machine runs, while its wall time grows with the load (the shared 2-core machine these costs
were measured on ran at load averages of 3 to 11).  Linear in the steps is an approximation: an
off-policy learner that does not update before ``learning_starts`` costs less per step at a
small budget than at a large one, so costs measured at the quick budgets underestimate the full
leaderboard's off-policy cells by up to that share.  A pair never measured takes the median
per-step cost of the same agent on the other environments (else of every pair) and no rest;
the estimate counts such cells.  A record written before processor times were kept counts its
training wall time and no rest.

The run's wall time (:func:`estimate`) is that of the pool's schedule: the cells in their order,
each given to the first worker that is free (what
:class:`~baselines.compare.run.ProcessPoolBackend` does), the time the last worker finishes on
a machine where each worker has a core of its own; then multiplied by the slowdown the load
brings (:func:`slowdown`: the workers and the other running processes share the cores).

``baselines/compare/cell_costs.json`` holds the costs measured by a quick run on this project's
machine (every comparison writes its own as ``costs.json``: copy it there to refresh them).
"""

from __future__ import annotations

import heapq
import importlib.resources
import json
import math
import os
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..io import atomic_write_bytes
from .config import Cell

PACKAGED_COSTS = Path(str(importlib.resources.files("baselines") / "compare" / "cell_costs.json"))


@dataclass
class CostTable:
    """``costs[(env, agent)] = (per_step_s, rest_s)``; ``measured`` says where and when (the
    provenance of the run that measured them: CPU, load average, date)."""

    costs: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    measured: dict = field(default_factory=dict)

    def per_cell(self, env: str, agent: str, steps: int) -> tuple[float, bool]:
        """``(seconds, measured)`` of one cell: the model's, or the fallback's (measured False)."""
        if (env, agent) in self.costs:
            per_step, rest = self.costs[env, agent]
            return per_step * steps + rest, True
        same_agent = [p for (_, a), (p, _) in self.costs.items() if a == agent]
        pool = same_agent or [p for p, _ in self.costs.values()]
        return (statistics.median(pool) * steps if pool else math.nan), False

    def updated(self, records: Iterable[dict]) -> CostTable:
        """This table with the pairs measured by ``records`` (finished cells) replacing its own."""
        return CostTable({**self.costs, **measure(records).costs}, self.measured)

    def to_json(self) -> dict:
        return {
            "measured": self.measured,
            "costs": [
                {"env": env, "agent": agent, "per_step_s": per_step, "rest_s": rest}
                for (env, agent), (per_step, rest) in sorted(self.costs.items())
            ],
        }


def measure(records: Iterable[dict], measured: dict | None = None) -> CostTable:
    """The costs of every (env, agent) pair among finished cells ``records`` (a record without
    processor times, written before they were kept, counts its training wall time and no rest)."""
    by_pair: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for record in records:
        row = record["row"]
        train = float(row.get("train_cpu_s", row["wall_time_s"]))
        rest = max(0.0, float(row.get("cell_cpu_s", train)) - train)
        by_pair.setdefault((row["env"], row["agent"]), []).append((train / row["steps"], rest))
    return CostTable(
        {pair: (statistics.fmean(p for p, _ in v), statistics.fmean(r for _, r in v)) for pair, v in by_pair.items()},
        dict(measured or {}),
    )


def write_costs(records: list[dict], path: Path, provenance: dict) -> None:
    """``costs.json``: the costs of ``records`` with the machine, load and date of ``provenance``."""
    keys = ("cpu", "load_average", "started", "wall_time_s", "command")
    measured = {k: provenance[k] for k in keys if k in provenance}
    atomic_write_bytes(path, json.dumps(measure(records, measured).to_json(), indent=1).encode())


def load_costs(path: str | os.PathLike | None = None) -> CostTable:
    """The cost table in ``path`` (by default the packaged one); empty if there is none."""
    path = Path(path) if path is not None else PACKAGED_COSTS
    if not path.exists():
        return CostTable()
    try:
        data = json.loads(path.read_text())
        costs = {(c["env"], c["agent"]): (float(c["per_step_s"]), float(c["rest_s"])) for c in data["costs"]}
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"{path} is not a cost table written by write_costs ({type(e).__name__}: {e})") from None
    return CostTable(costs, dict(data.get("measured") or {}))


@dataclass
class Estimate:
    """A run's estimated wall time: ``idle_seconds`` on a machine where each worker has a core,
    ``seconds`` at the load it was made at (``slowdown`` times longer), the processor time of its
    cells (``cell_seconds``), over ``cells`` cells of which ``unmeasured`` are priced by the
    fallback, and the longest cell (its name and processor seconds)."""

    idle_seconds: float
    cell_seconds: float
    cells: int
    unmeasured: int
    workers: int
    slowdown: float = 1.0
    longest: tuple[str, float] = ("", 0.0)

    @property
    def seconds(self) -> float:
        return self.idle_seconds * self.slowdown

    def text(self) -> str:
        """One line, e.g. ``58 cells: about 12 min on 2 worker(s) of an idle machine (...)``."""
        if not self.cells:
            return "no cell to run"
        if math.isnan(self.idle_seconds):
            return f"{self.cells} cells; no cost is measured, so no estimate of the wall time"
        guess = f"; {self.unmeasured} priced by the agent's cost on other environments" if self.unmeasured else ""
        loaded = f", about {duration(self.seconds)} at the load average now" if self.slowdown > 1 else ""
        return (
            f"{self.cells} cells: about {duration(self.idle_seconds)} on {self.workers} worker(s) of an idle "
            f"machine{loaded} ({self.cell_seconds:,.0f} processor-seconds of cells; the longest cell "
            f"{self.longest[0]}, {duration(self.longest[1])}{guess})"
        )


def slowdown(workers: int, load: float | None = None, cores: int | None = None) -> float:
    """How much longer than on an idle machine ``workers`` workers take while ``load`` other
    processes run (the 1-minute load average, by default now) on ``cores`` cores (by default the
    ones this process may use): they share the cores, ``(load + workers) / cores`` each, at least 1."""
    if load is None:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if cores is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1.0, (load + workers) / cores)


def duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``3.4 h`` or ``2.1 days``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def cell_name(cell: Cell) -> str:
    """A cell as a progress bar names it: ``GridMaze-v0 PPO s1``."""
    return f"{cell.env.rpartition('/')[2]} {cell.agent} s{cell.seed}"


def estimate(cells: list[Cell], costs: CostTable, workers: int, slow: float = 1.0) -> Estimate:
    """The wall time of running ``cells`` on ``workers`` workers, each cell priced by ``costs``,
    scheduled as the pool schedules them (in order, each to the first free worker), each worker
    on a core of its own; ``slow`` the load's slowdown (:func:`slowdown`)."""
    free = [0.0] * max(1, workers)
    total, unmeasured, longest = 0.0, 0, ("", 0.0)
    for cell in cells:
        seconds, measured = costs.per_cell(cell.env, cell.agent, cell.steps)
        unmeasured += not measured
        total += seconds
        if seconds > longest[1]:
            longest = (cell_name(cell), seconds)
        heapq.heappush(free, heapq.heappop(free) + seconds)
    return Estimate(max(free) if cells else 0.0, total, len(cells), unmeasured, max(1, workers), slow, longest)
