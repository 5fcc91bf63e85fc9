"""Recompute the cached reference records of the continuous-control tasks (``rl_envs/dp_references.json``).

    PYTHONPATH=. python benchmarks/bench_dp_references.py [--only MountainCar ...] [--dry-run]

Each record is computed by :func:`rl_envs.dp_reference.compute_reference` (value iteration under
grid refinement, the greedy policy and the random policy measured in the environment, the
certified bound) with the settings below, and written to the package's data file with the
commit it was computed at.  The whole set takes about an hour on two cores shared with other
jobs; the time of each part is in its record (``seconds``).  ``--dry-run`` prints the records without writing.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

from rl_envs import dp_reference
from rl_envs.dp_reference import Settings
from rl_envs.mountain_car import MountainCarRLParkTask
from rl_envs.pendulum_swingup import PendulumSwingUpTask
from rl_envs.puddle_world import PuddleWorldTask
from rl_envs.swing_pendulum import SwingPendulumTask

ROOT = Path(__file__).resolve().parents[1]

# Deterministic tasks from a fixed start need one episode of their deterministic greedy policy.
CAR = {"grids": ((101, 101), (201, 201), (401, 401)), "problem": {"actions": 9, "cells": (1200, 1200), "pieces": 2}}
PENDULUM = {
    "grids": ((100, 101), (200, 201), (400, 401), (800, 801)),
    "problem": {"actions": 9, "cells": (600, 600), "pieces": 4},
}
PUDDLE_GRIDS = (51, 101, 201)
# The Gaussian noise needs more pieces than the uniform (see PuddleWorldTask.dp_problem), so fewer
# pieces of the move: its pieces' widths let the abstraction move further than any real step.
PUDDLE = {
    "offpac": {"actions": 9, "cells": 200, "pieces": 8, "noise_pieces": 2},
    "boyan-moore": {"actions": 9, "cells": 200, "pieces": 2, "noise_pieces": 12},
}
SWING_UP = {
    "grids": ((100, 101), (200, 201), (400, 401), (800, 801)),
    "problem": {"actions": 11, "cells": (600, 600), "pieces": 4},
}

CONFIGS = [
    *(
        (
            MountainCarRLParkTask(start=start, goal_reward=goal),  # type: ignore[arg-type]
            Settings(**CAR, episodes=episodes),  # type: ignore[arg-type]
        )
        for start, episodes in (("fixed", 1), ("random", 100_000))
        for goal in (0.0, -1.0)
    ),
    *(
        (
            SwingPendulumTask(start=start),  # type: ignore[arg-type]
            Settings(**PENDULUM, episodes=episodes, random_episodes=2000),  # type: ignore[arg-type]
        )
        for start, episodes in (("fixed", 1), ("random", 2000))
    ),
    *(
        (
            PuddleWorldTask(variant=variant, actions=actions),  # type: ignore[arg-type]
            Settings(PUDDLE_GRIDS, PUDDLE[variant], random_episodes=2000),
        )
        for variant in ("offpac", "boyan-moore")
        for actions in ("continuous", "discrete")
    ),
    (PendulumSwingUpTask(), Settings(**SWING_UP, episodes=5000)),  # type: ignore[arg-type]
]


def commit() -> str:
    """The checkout's commit, with ``+dirty`` when files differ from it ("unknown" outside git)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--only", action="append", help="only the tasks whose label (class and parameters) contains this (repeatable)"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the records, do not write them")
    args = parser.parse_args(argv)
    version = commit()
    records = []
    for task, settings in CONFIGS:
        label = f"{type(task).__name__}({dp_reference.parameters(task)})"
        if args.only and not any(part in label for part in args.only):
            continue
        print(label, flush=True)
        t = time.perf_counter()
        record = dp_reference.compute_reference(task, settings, log=lambda line: print(line, flush=True))
        record["commit"] = version
        ref = record["reference"]
        print(
            f"  {ref['kind']}: value {ref['value']:.6g} in [{ref['lower']:.6g}, {ref['upper']:.6g}], "
            f"random {ref['random']:.6g}; {time.perf_counter() - t:.0f} s",
            flush=True,
        )
        records.append(record)
        if not args.dry_run:  # written one by one: an interrupted run keeps what it finished
            dp_reference.write_records([record])


if __name__ == "__main__":
    main()
