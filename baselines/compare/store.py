"""The results folder: cell files checked against what :func:`~baselines.compare.run.run_cell`
writes, bad ones moved aside, outputs checked writable, finished cells read back.

A cell file read back is checked against the schema below; a bad one is named, moved to
``cells/corrupt/`` and run again (or skipped when only plotting).
"""

from __future__ import annotations

import base64
import json
import math
import os
import sys
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

from rl_envs.validation import is_int


def _is_number(x, finite: bool = True) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and (not finite or math.isfinite(x))


def _number(none: bool = False):
    return (lambda x: (none and x is None) or _is_number(x)), "a finite number" + (" or null" if none else "")


def _count(low: int):
    return (lambda x: is_int(x) and x >= low), f"an int >= {low}"


def _seed_list(x) -> bool:
    return isinstance(x, list) and all(is_int(s) and s >= 0 for s in x)


def _of_type(t: type):
    return (lambda x: isinstance(x, t)), {str: "a string", dict: "an object", list: "a list"}[t]


# What run_cell writes (rows written before agent_kwargs was recorded lack it; it reads as "{}").
_CELL_SCHEMA = {
    "env": _of_type(str),
    "agent": _of_type(str),
    "seed": _count(0),
    "steps": _count(1),
    "env_kwargs": _of_type(dict),
    "agent_kwargs": _of_type(dict),
    "eval_episodes": _count(1),
}
_ROW_SCHEMA = {
    "env": _of_type(str),
    "agent": _of_type(str),
    "seed": _count(0),
    "steps": _count(1),
    "return": _number(),
    "return_std": _number(),
    "optimum": _number(none=True),
    "fraction_of_optimum": _number(none=True),
    "wall_time_s": _number(),
    "env_kwargs": _of_type(str),
    # The seeds of the test episodes (baselines/seeds.py); rows written before them are refused:
    # their episodes overlapped across seeds.
    "test_seeds": (_seed_list, "a list of test seeds (non-negative ints)"),
}
# A measure may have no finite return to report (an LQ gain that no longer stabilises).
_MEASURED_ROW_SCHEMA = {**_ROW_SCHEMA, "return": _number(none=True), "return_std": _number(none=True)}
_LOG_SCHEMA = {"end_steps": _of_type(list), "returns": _of_type(list)}


def _schema_problem(obj, schema: dict, where: str) -> str | None:
    if not isinstance(obj, dict):
        return f"{where} is not an object"
    missing = sorted(set(schema) - set(obj))
    if missing:
        return f"{where} lacks {', '.join(missing)}"
    for key, (ok, what) in schema.items():
        if not ok(obj[key]):
            return f"{where}.{key} is {str(obj[key])[:40]!r}, not {what}"
    return None


def record_problem(record: Any) -> str | None:
    """What makes ``record`` other than a finished cell as :func:`run_cell` writes it, or None."""
    if not isinstance(record, dict):
        return f"not a JSON object but a {type(record).__name__}"
    measured = isinstance(record.get("cell"), dict) and bool(record["cell"].get("measure"))
    keys = {"cell", "row", "log", "gif"} | ({"measurements"} if measured else set())
    if set(record) != keys:
        return f"has the keys {', '.join(sorted(record))}, not {', '.join(sorted(keys))}"
    row_schema = _MEASURED_ROW_SCHEMA if measured else _ROW_SCHEMA
    for part, schema in (("cell", _CELL_SCHEMA), ("row", row_schema), ("log", _LOG_SCHEMA)):
        problem = _schema_problem(record[part], schema, part)
        if problem:
            return problem
    cell, row, log = record["cell"], record["row"], record["log"]
    for key in ("env", "agent", "seed", "steps"):
        if row[key] != cell[key]:
            return f"row.{key} is {row[key]!r} but cell.{key} is {cell[key]!r}"
    for key in ("env_kwargs", "agent_kwargs"):
        text = json.dumps(cell[key], sort_keys=True)
        if row.get(key, text) != text:
            return f"row.{key} differs from cell.{key}"
    ends, returns = log["end_steps"], log["returns"]  # a diverging training episode may return inf
    if (
        len(ends) != len(returns)
        or not all(is_int(e) and e >= 0 for e in ends)
        or not all(_is_number(r, False) for r in returns)
    ):
        return "log must hold as many integer end_steps as numeric returns"
    if "terminated" in log and (
        not isinstance(log["terminated"], list)
        or len(log["terminated"]) != len(ends)
        or not all(isinstance(t, bool) for t in log["terminated"])
    ):
        return "log.terminated must hold a bool for each episode"
    if measured and not (isinstance(cell["measure"], dict) and isinstance(record["measurements"], dict)):
        return "cell.measure and measurements must be objects"
    checkpoints = cell.get("eval_at", [])
    if checkpoints or "eval_steps" in log:
        if (
            log.get("eval_steps") != checkpoints
            or not isinstance(log.get("eval_returns"), list)
            or len(log["eval_returns"]) != len(checkpoints)
            or not all(_is_number(r, False) for r in log["eval_returns"])
        ):
            return "log.eval_steps / eval_returns do not match cell.eval_at"
    try:
        base64.b64decode(record["gif"], validate=True)
    except (TypeError, ValueError):
        return "gif is not base64 text"
    return None


def read_cell(path: Path) -> tuple[dict | None, str | None]:
    """``(record, None)`` for a valid cell file, ``(None, problem)`` for any other."""
    try:
        record = json.loads(path.read_bytes())
    except OSError as e:
        return None, f"unreadable ({e.strerror or e})"
    except (ValueError, RecursionError) as e:  # JSON and UTF-8 decoding errors are ValueErrors
        return None, f"not JSON ({e})" if path.stat().st_size else "empty"
    problem = record_problem(record)
    return (None, problem) if problem else (record, None)


def describe_cell(cell: dict) -> str:
    return f"{cell['env']} {cell['agent']} seed {cell['seed']}"


def move_aside(path: Path) -> Path:
    """Move a bad cell file to ``corrupt/`` next to it (never over an earlier one)."""
    target = path.parent / "corrupt" / path.name
    n = 0
    while target.exists():
        n += 1
        target = path.parent / "corrupt" / f"{path.name}.{n}"
    try:
        target.parent.mkdir(exist_ok=True)
        os.replace(path, target)
    except OSError as e:
        raise OutputError(f"cannot move the bad cell {path} aside to {target}: {e.strerror or e}") from None
    return target


class OutputError(OSError):
    """A results folder that cannot be written."""


def check_writable(
    out: Path,
    folders: tuple[str, ...] = ("cells", "curves", "gifs", "aggregate"),
    files: tuple[str, ...] = (
        "results.csv",
        "results.json",
        "summary.md",
        "provenance.md",
        "aggregate.md",
        "scores.npz",
        "scores.json",
    ),
) -> None:
    """Fail now, naming the path, if ``out`` cannot hold every output (before any cell trains)."""
    out = Path(out)
    for name in folders:
        folder = out / name
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"cannot write results to {out}: {existing} is not a directory")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as e:
            raise OutputError(f"cannot write results to {out}: {e.filename or folder}: {e.strerror or e}") from None
    for name in files:
        if (out / name).is_dir():
            raise OutputError(f"cannot write results to {out}: {out / name} is a directory")


def warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def load_records(
    folders: Iterable[str | Path], envs: Collection[str] | None = None, agents: Collection[str] | None = None
) -> list[dict]:
    """The finished cells of one or more results folders, merged (a cell found twice, under any
    file name, counts once), optionally only those of ``envs`` / ``agents``; ordered by env,
    agent, seed.  An invalid cell file is named in a warning and skipped."""
    records: dict[str, dict] = {}
    skipped = 0
    for folder in folders:
        cell_dir = Path(folder) / "cells"
        paths = sorted(cell_dir.glob("*.json"))
        if not paths:
            raise FileNotFoundError(f"{folder} holds no finished cells ({cell_dir}/*.json)")
        for path in paths:
            record, problem = read_cell(path)
            if record is None:
                warn(f"{path}: {problem}; skipped")
                skipped += 1
            else:
                records.setdefault(json.dumps(record["cell"], sort_keys=True), record)
    if not records:
        raise ValueError(f"no valid cells in {', '.join(map(str, folders))} ({skipped} skipped)")
    chosen = [
        r
        for r in records.values()
        if (not envs or r["row"]["env"] in envs) and (not agents or r["row"]["agent"] in agents)
    ]
    if not chosen:
        raise ValueError(f"no cell matches envs={envs} agents={agents}")
    return sorted(chosen, key=lambda r: (r["row"]["env"], r["row"]["agent"], r["row"]["seed"]))
