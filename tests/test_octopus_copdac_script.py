"""experiments/octopus_copdac.py (Silver et al. 2014, Fig. 3) end to end in a short version: the
seeds run as comparison cells, the table and figure are assembled from the cell records, and a
second run reuses every cell."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from baselines.seeds import TEST
from provenance_checks import check_provenance

ROOT = Path(__file__).resolve().parents[1]


def command(out: Path) -> list[str]:
    script = str(ROOT / "experiments" / "octopus_copdac.py")
    return [sys.executable, script, "--steps", "600", "--seeds", "2", "--workers", "1", "--out", str(out)]


def run(out: Path) -> str:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "MPLBACKEND": "Agg"}
    proc = subprocess.run(command(out), capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_short_run_writes_table_and_resumes(tmp_path):
    out = tmp_path / "oct"
    t0 = time.perf_counter()
    first = run(out)
    took = time.perf_counter() - t0
    table = (out / "table.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and line[2].isdigit()]
    # 600 steps of an arm that cannot reach the target yet: two 300-step episodes per seed.
    assert [row.split(" | ")[:3] for row in rows] == [["| 0", "2", "0"], ["| 1", "2", "0"]]
    assert "600 steps per seed" in table and "met in 0 of 2 seeds" in table
    assert (out / "fig3.png").stat().st_size > 0
    cells = sorted((out / "cells").glob("*.json"))
    assert len(cells) == 2
    # Seeds 0 and 1, each tested on one episode at the end of training, the first of its stream.
    seeds = {
        "training": {"count": 2, "ranges": [[0, 1]]},
        "tuning": {"count": 0, "ranges": []},
        "test": {"count": 2, "ranges": [[TEST.start, TEST.start], [TEST.start + 10**6, TEST.start + 10**6]]},
    }
    check_provenance(out, command(out), seeds, took)
    stamps = [c.stat().st_mtime_ns for c in cells]
    second = run(out)
    assert [c.stat().st_mtime_ns for c in cells] == stamps
    assert (out / "table.md").read_text() == table
    assert first.splitlines()[-1] == second.splitlines()[-1]
