"""The experiment scripts that no other test runs end to end (dpg_bandit, distributional_td,
mop_food_grid), each in a tiny version: its results folder says where its numbers come from
(issue 27 item 4, :mod:`baselines.provenance`), and a rerun from the saved results keeps it."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from pathlib import Path

import pytest

from baselines.seeds import EPISODES_PER_RUN, TEST
from provenance_checks import check_provenance

ROOT = Path(__file__).resolve().parents[1]


def run(name: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> float:
    """Run experiments/<name>.py's main in this process; its wall time in seconds."""
    spec = importlib.util.spec_from_file_location(f"{name}_experiment", ROOT / "experiments" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Importable by name for the test's span: a worker process unpickles the script's functions.
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)
    t0 = time.perf_counter()
    module.main(argv)
    return time.perf_counter() - t0


def no_test_episodes(run_seeds: list[list[int]]) -> dict:
    return {
        "training": {"count": sum(b - a + 1 for a, b in run_seeds), "ranges": run_seeds},
        "tuning": {"count": 0, "ranges": []},
        "test": {"count": 0, "ranges": []},
    }


def test_dpg_bandit_records_its_sweep_and_reported_seeds(tmp_path, monkeypatch):
    argv = ["--dims", "10", "--seeds", "1", "--sweep-seeds", "1", "--steps", "100", "--workers", "1"]
    took = run("dpg_bandit", [*argv, "--out", str(tmp_path)], monkeypatch)
    # Each run is tested at step 100 and at the end of training, one episode each, from its own
    # stream: reported seed 0's and sweep seed 1000's.
    tuning = TEST.start + 1000 * EPISODES_PER_RUN
    seeds = {
        "training": {"count": 1, "ranges": [[0, 0]]},
        "tuning": {"count": 1, "ranges": [[1000, 1000]]},
        "test": {"count": 4, "ranges": [[TEST.start, TEST.start + 1], [tuning, tuning + 1]]},
    }
    check_provenance(tmp_path, list(sys.orig_argv), seeds, took)
    chosen = json.loads((tmp_path / "results.json").read_text())["settings"]
    assert {(c["protocol"], c["agent"]) for c in chosen} == {
        ("paper", "COPDAC-B"),
        ("paper", "SAC-B"),
        ("equal", "SAC-B"),
        ("equal", "COPDAC-B"),
        ("defaults", "COPDAC-B"),
    }


def test_distributional_td_records_its_populations_seeds_and_plot_only_keeps_them(tmp_path, monkeypatch):
    argv = ["--rewards", "100", "--seeds", "2", "--cells", "3", "--train", "10", "--trials", "10"]
    took = run("distributional_td", [*argv, "--restarts", "1", "--workers", "1", "--out", str(tmp_path)], monkeypatch)
    entry = check_provenance(tmp_path, list(sys.orig_argv), no_test_episodes([[0, 1]]), took)
    run("distributional_td", ["--plot-only", "--out", str(tmp_path)], monkeypatch)
    assert json.loads((tmp_path / "results.json").read_text())["provenance"] == entry


def test_mop_food_grid_records_its_seed_and_from_results_keeps_it(tmp_path, monkeypatch):
    argv = ["--gains", "2", "--heatmap-gain", "2", "--episodes", "2", "--steps", "100", "--tol", "0.01"]
    took = run("mop_food_grid", [*argv, "--seed", "3", "--out", str(tmp_path)], monkeypatch)
    entry = check_provenance(tmp_path, list(sys.orig_argv), no_test_episodes([[3, 3]]), took)
    run("mop_food_grid", ["--gains", "2", "--heatmap-gain", "2", "--from-results", "--out", str(tmp_path)], monkeypatch)
    assert json.loads((tmp_path / "results.json").read_text())["provenance"] == entry
