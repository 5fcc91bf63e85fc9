"""The results folder: cell files checked against what :func:`~baselines.compare.run.run_cell`
writes, bad ones moved aside, outputs checked writable, one run at a time (:func:`folder_lock`),
finished cells read back.

A cell file read back is checked against the schema below; a bad one is named, moved to
``cells/corrupt/`` and run again (or skipped when only plotting).  A cell written before the
reference columns (its row has ``optimum`` and ``fraction_of_optimum`` instead) is one of them:
its reference and random value cannot be rebuilt from the file alone (the bandit's problem is
not in it), so it is run again.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import fcntl
import json
import math
import os
import shlex
import socket
import sys
import tempfile
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from rl_envs.core.reference import UNIFORM_RANDOM
from rl_envs.validation import is_int

from ..evaluation import REFERENCE_COLUMNS, REFERENCE_NOTES
from ..io import OutputError as OutputError  # raised here too; its home is the writer


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
    **dict.fromkeys(REFERENCE_COLUMNS, _number(none=True)),
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
    if isinstance(record.get("row"), dict) and "fraction_of_optimum" in record["row"]:
        return (
            "row holds fraction_of_optimum: a cell written before the reference columns "
            f"({', '.join(REFERENCE_COLUMNS)}), which a run computes again"
        )
    for part, schema in (("cell", _CELL_SCHEMA), ("row", row_schema), ("log", _LOG_SCHEMA)):
        problem = _schema_problem(record[part], schema, part)
        if problem:
            return problem
    cell, row, log = record["cell"], record["row"], record["log"]
    baseline, gamma = (row.get(key) for key in REFERENCE_NOTES)  # absent from rows written before them
    if not (baseline is None or isinstance(baseline, str)) or not (
        gamma is None or (_is_number(gamma) and 0 < gamma <= 1)
    ):
        return f"row.baseline is {baseline!r} and row.reference_gamma {gamma!r}, not a name and a discount in (0, 1]"
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
    return (None, problem) if problem else (with_reference_notes(record), None)


def with_reference_notes(record: dict) -> dict:
    """``record`` with its row's :data:`~baselines.evaluation.REFERENCE_NOTES`: a row written before
    them gets those of its time, when every baseline was the uniform-random policy and every
    reference in a row was of the undiscounted return (None without a reference)."""
    row = record["row"]
    known = row["reference"] is not None
    row.setdefault("baseline", UNIFORM_RANDOM if known else None)
    row.setdefault("reference_gamma", 1.0 if known else None)
    return record


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
    """Fail now, naming the path, if ``out`` cannot hold every output (before any cell trains).

    A block of data is written in each folder: creating an empty file succeeds on a full disk.
    """
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
            with tempfile.TemporaryFile(dir=folder, buffering=0) as f:
                f.write(bytes(min(os.statvfs(folder).f_frsize or 4096, 1 << 16)))  # one allocation unit
        except OSError as e:
            raise OutputError(f"cannot write results to {out}: {e.filename or folder}: {e.strerror or e}") from None
    for name in files:
        if (out / name).is_dir():
            raise OutputError(f"cannot write results to {out}: {out / name} is a directory")


LOCK_NAME = "run.lock"


class FolderInUse(OutputError):
    """Another run holds the results folder's lock."""


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold ``<out>/run.lock`` for the block: one run per results folder.

    The lock is an advisory ``flock`` on a file that names its holder (pid, host, start time,
    command).  A second run is refused at once with :class:`FolderInUse` naming the holder.  The
    kernel releases the lock when its holder dies, however it dies; a lock file whose lock is free
    is then a stale one, taken over with a warning.  Python opens files non-inheritable, so a
    worker process never keeps the lock of a run that died.
    """
    path = Path(out) / LOCK_NAME
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise OutputError(f"cannot write results to {out}: {path}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(os.read(fd, 4096))
            os.close(fd)
            raise FolderInUse(
                f"{out} is in use by another run ({holder}); wait for it to end, or give another --out"
            ) from None
        # The holder before us may have removed the file between our open and our lock: a lock on
        # a removed file excludes nobody, so lock the file that is there now.
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        stale = os.read(fd, 4096)
        if stale:
            warn(f"{path}: the run that held it ({_lock_holder(stale)}) is no longer running; lock taken over")
        me = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now().isoformat(timespec="seconds"),
            "command": _command(),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
    except OSError as e:
        _release(path, fd)
        raise OutputError(f"cannot write results to {out}: {path}: {e.strerror or e}") from None
    try:
        yield
    finally:
        _release(path, fd)


def _command() -> str:
    """This process's command line as typed (``python -m baselines ...`` rather than the path
    of ``baselines/__main__.py``)."""
    first, *rest = sys.argv or [""]
    if Path(first).name == "__main__.py":
        first = f"-m {Path(first).parent.name}"
    return f"python {first} {shlex.join(rest)}".rstrip()


def _release(path: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)  # before unlocking: a run waiting on this file then locks a new one
    os.close(fd)


def _lock_holder(data: bytes) -> str:
    if not data:
        return "a run that is starting"
    try:
        h = json.loads(data)
        return f"pid {h['pid']} on {h['host']} since {h['started']}: {h['command']}"
    except (ValueError, TypeError, KeyError):
        return "a holder that did not say who it is"


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
