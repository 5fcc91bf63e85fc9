"""Where a results folder's numbers come from: the ``provenance`` entry of its ``results.json``.

A run starts a :class:`Provenance` before its first cell and calls :meth:`Provenance.record` when
it writes its outputs: the code (git commit, and whether the tree had changes not committed),
the package and dependency versions, the machine (CPU model, cores, load average at the start
and at the end: a loaded machine's wall times are longer), the command line, the seeds (training,
tuning and test, :func:`baselines.seeds.seed_summary`) and the wall time.  Enough to rerun the
command on the same code and to judge its timings.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from .io import atomic_write_bytes

SOURCE = Path(__file__).resolve().parents[1]
# Always listed, whether or not rl_envs declares them (the interpreter's numerics and plotting).
CORE_PACKAGES = ("rl_envs", "numpy", "scipy", "gymnasium", "numba", "matplotlib")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (None where the system has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):
        return None


@functools.cache
def cpu() -> dict:
    """The CPU model (from /proc/cpuinfo on Linux, else ``platform.processor()``), the cores the
    machine has and the cores this process may use."""
    model = platform.processor() or None
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        model = found.group(1).strip() if found else model
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"model": model, "cores": os.cpu_count(), "usable_cores": usable}


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=SOURCE, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None


def git_state() -> dict:
    """The commit of the source tree the packages were imported from and whether it had changes
    (tracked or untracked files not ignored); nulls when it is not a git checkout."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain") if commit else None
    return {
        "commit": commit.strip() if commit else None,
        "dirty": None if status is None else bool(status.strip()),
        "source": str(SOURCE),
    }


@functools.cache
def package_versions() -> dict[str, str | None]:
    """The version of rl_envs and of every package it declares (its extras included) that is
    installed, and of :data:`CORE_PACKAGES` (null: not installed)."""
    try:
        declared = metadata.requires("rl_envs") or []
    except metadata.PackageNotFoundError:
        declared = []
    names: list[str] = list(CORE_PACKAGES)
    for requirement in declared:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if name and name.group(0) not in names:
            names.append(name.group(0))
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return dict(sorted(versions.items(), key=lambda kv: kv[0].lower()))


@dataclass
class Provenance:
    """Started when made (time, load average, and the code: a commit made while the run goes on
    is not the one that ran); :meth:`record` adds the rest when the run ends."""

    started: str = field(default_factory=_now)
    load_at_start: list[float] | None = field(default_factory=load_average)
    git: dict = field(default_factory=git_state)
    _t0: float = field(default_factory=time.perf_counter, repr=False)

    def record(self, seeds: dict, **extra: Any) -> dict:
        """The ``provenance`` entry: everything above, ``seeds`` (:func:`baselines.seeds.seed_summary`)
        and ``extra`` (e.g. the cells run and reused)."""
        return {
            "command": list(getattr(sys, "orig_argv", sys.argv)),
            "cwd": os.getcwd(),
            "started": self.started,
            "finished": _now(),
            "wall_time_s": round(time.perf_counter() - self._t0, 3),
            "load_average": {"start": self.load_at_start, "end": load_average()},
            "cpu": cpu(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "git": self.git,
            "packages": package_versions(),
            "seeds": seeds,
            **extra,
        }


def text(provenance: dict) -> list[str]:
    """Markdown lines that show ``provenance`` on a report page."""
    git, cpu_, load, seeds = provenance["git"], provenance["cpu"], provenance["load_average"], provenance["seeds"]
    commit = git["commit"] or "not a git checkout"
    if git["commit"] and git["dirty"]:
        commit += " (with changes not committed)"
    versions = ", ".join(f"{k} {v}" for k, v in provenance["packages"].items() if v is not None)
    lines = [
        f"* command: `{' '.join(provenance['command'])}`",
        f"* code: {commit}; Python {provenance['python']} on {provenance['platform']}",
        f"* machine: {cpu_['model']}, {cpu_['cores']} cores ({cpu_['usable_cores']} usable); load average "
        f"(1, 5, 15 min) {load['start']} at the start, {load['end']} at the end",
        f"* time: {provenance['started']} to {provenance['finished']}, {provenance['wall_time_s']:.0f} s",
        f"* seeds: training {seeds['training']['ranges']}, tuning {seeds['tuning']['ranges']}, "
        f"{seeds['test']['count']} test episodes {seeds['test']['ranges']}",
        f"* packages: {versions}",
    ]
    if provenance.get("missing"):  # a run that ended with cells missing (baselines.compare)
        lines.append(f"* incomplete, missing cells: {len(provenance['missing'])}")
    if provenance.get("earlier"):  # a resumed comparison: the invocations whose cells it reused
        cells = provenance.get("cells", {})
        lines.append(
            f"* resumed: this invocation ran {_cells(cells.get('ran', 0))} and reused {cells.get('reused', 0)} "
            "that these earlier invocations of the same folder ran:"
        )
        lines += [f"    * {_invocation(earlier)}" for earlier in provenance["earlier"]]
    return lines


def _cells(n: int) -> str:
    return f"{n} cell" if n == 1 else f"{n} cells"


def _invocation(entry: dict) -> str:
    """One line for an earlier invocation of a resumed run."""
    git, load, cells = entry.get("git", {}), entry.get("load_average", {}), entry.get("cells", {})
    commit = (git.get("commit") or "not a git checkout") + (" (with changes not committed)" if git.get("dirty") else "")
    ran = f", ran {_cells(cells['ran'])}" if "ran" in cells else ""
    return (
        f"{entry.get('started')} to {entry.get('finished')}, {entry.get('wall_time_s', 0):.0f} s{ran}; code {commit}; "
        f"load average {load.get('start')} at the start, {load.get('end')} at the end"
    )


def read(folder: Path) -> dict | None:
    """The provenance that the results folder's ``results.json`` holds, or None where there is
    none (no file, or one without a ``provenance`` entry)."""
    try:
        return json.loads((folder / "results.json").read_text())["provenance"]
    except (FileNotFoundError, KeyError, ValueError):
        return None


def write_markdown(out: Path, provenance: dict) -> None:
    """Write :func:`text` of ``provenance`` to ``provenance.md`` in the folder ``out``, for a
    report page to include (docs/publish_tables.py copies it under docs/tables/)."""
    atomic_write_bytes(out / "provenance.md", ("\n".join(text(provenance)) + "\n").encode())
