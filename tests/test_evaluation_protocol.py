"""The evaluation protocol (baselines/seeds.py): every run is tested on its own stream of test
episodes, tuning runs and their episodes are apart from the reported ones, and the records of
compare, sweep and experiments/dpg_fig2.py list seeds that prove it (run here, read back from
their records); the provenance of a results folder."""

import argparse
import importlib.util
import json
from pathlib import Path

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines import compare as cmp, seeds
from baselines.compare.run import cell_test_seeds
from baselines.evaluation import evaluate
from baselines.sweep import sweep_from_config

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("dpg_fig2", ROOT / "experiments" / "dpg_fig2.py")
fig2 = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fig2)


def inside(test_seeds, seed_range: range) -> bool:
    return all(s in seed_range for s in test_seeds)  # a range tests membership without a set of its billion seeds


def test_the_named_ranges_are_disjoint_and_each_run_owns_a_block():
    run_seeds, tests = [seeds.TRAINING, seeds.TUNING], [seeds.REPORTED_TEST, seeds.TUNING_TEST]
    for a in run_seeds + tests:
        for b in run_seeds + tests:
            assert a is b or max(a.start, b.start) >= min(a.stop, b.stop)  # no common seed
    assert seeds.REPORTED_TEST.stop == seeds.TUNING_TEST.start and seeds.TEST.stop < 2**32
    assert seeds.checkpoint_test_seeds(3, 0, 10) == list(range(1_003_000_000, 1_003_000_010))
    assert seeds.checkpoint_test_seeds(3, 2, 10)[0] == 1_003_000_020  # checkpoint 2 starts after 0 and 1
    assert seeds.checkpoint_test_seeds(1000, 0, 1) == [2_000_000_000]  # the first tuning run
    assert seeds.run_of_test_seed(1_003_000_017) == 3
    last = seeds.checkpoint_test_seeds(seeds.TUNING.stop - 1, seeds.EPISODES_PER_RUN - 1, 1)
    assert last == [seeds.TEST.stop - 1]
    with pytest.raises(ValueError, match=r"run_seed must be a training seed \(0..999\) or a tuning seed"):
        seeds.checkpoint_test_seeds(2000, 0)
    with pytest.raises(ValueError, match="runs past the 1,000,000 test episodes a run owns"):
        seeds.checkpoint_test_seeds(0, 100_000, 10)
    with pytest.raises(ValueError, match=r"tuning_seeds must be tuning seeds \(1000..1999\), got 5"):
        seeds.check_seeds([1000, 5], "tuning_seeds", expected="tuning")


def test_check_streams_refuses_the_old_overlapping_seeds():
    # the comparison's former evaluation: episode i of seed s from reset(seed=10_000 + s + i)
    old = [(s, [10_000 + s + i for i in range(5)]) for s in range(3)]
    with pytest.raises(ValueError, match="not in its stream"):
        seeds.check_streams(old)
    shared = [(0, seeds.checkpoint_test_seeds(0, 0, 2)), (0, seeds.checkpoint_test_seeds(0, 0, 2))]
    seeds.check_streams(shared)  # one seed's runs (two agents) share episodes: common random numbers
    with pytest.raises(ValueError, match="not in its stream"):
        seeds.check_streams([(1, seeds.checkpoint_test_seeds(0, 0, 2))])


def test_compare_tests_every_run_on_its_own_episodes(tmp_path):
    config = {
        "runs": [
            {"env": "rl_envs/PuddleWorld-v0", "env_kwargs": {"variant": "boyan-moore", "max_steps": 40}, "steps": 200, "seeds": 3,
             "eval_episodes": 4, "eval_at": [100], "agents": ["TileCOPDACQ"]},
            # a tuning run, as a sweep's trial runs it
            {"env": "rl_envs/PuddleWorld-v0", "env_kwargs": {"variant": "boyan-moore", "max_steps": 40}, "steps": 200, "seeds": [1000],
             "eval_episodes": 4, "eval_at": [100], "agents": ["TileCOPDACQ"]},
        ]
    }  # fmt: skip
    cells = cmp.cells_from_config(config)
    assert all(c.eval_episodes == 4 for c in cells)
    result = cmp.compare(cells, tmp_path, progress_bar=False)
    assert not result.failed
    records = [json.loads((tmp_path / "cells" / f"{c.key}.json").read_text()) for c in cells]
    seeds.check_streams((r["row"]["seed"], r["row"]["test_seeds"]) for r in records)
    for cell, record in zip(cells, records):
        test_seeds = record["row"]["test_seeds"]
        assert test_seeds == cell_test_seeds(cell) and len(set(test_seeds)) == 2 * 4
        assert inside(test_seeds, seeds.REPORTED_TEST if cell.seed in seeds.TRAINING else seeds.TUNING_TEST)
        # the row's return is the mean over the final checkpoint's episodes, replayed here
        agent = cmp.make_agent(cell.agent, cell.env, cell.env_kwargs, cell.seed, cell.agent_kwargs)
        agent.learn(cell.steps)
        ret, _ = evaluate(agent, gym.make(cell.env, **cell.env_kwargs), seeds=test_seeds[4:])
        assert record["row"]["return"] == ret
    # the starts differ between runs: 12 distinct start states over the 3 training runs' final episodes
    env = gym.make("rl_envs/PuddleWorld-v0", variant="boyan-moore")
    starts = {tuple(env.reset(seed=s)[0]) for r in records[:3] for s in r["row"]["test_seeds"][4:]}
    assert len(starts) == 12
    provenance = json.loads((tmp_path / "results.json").read_text())["provenance"]
    assert provenance["seeds"]["training"] == {"count": 3, "ranges": [[0, 2]]}
    assert provenance["seeds"]["tuning"] == {"count": 1, "ranges": [[1000, 1000]]}
    assert provenance["seeds"]["test"]["count"] == 4 * 8
    assert provenance["cells"] == {"ran": 4, "reused": 0, "failed": 0}


def test_a_comparison_refuses_seeds_outside_the_run_ranges():
    run = {"env": "rl_envs/GridMaze-v0", "steps": 10, "agents": ["QLearning"]}
    with pytest.raises(cmp.ConfigError, match=r"runs\[0\]: seed must be a training seed \(0..999\) or a tuning"):
        cmp.cells_from_config({"runs": [{**run, "seeds": [5, 2000]}]})
    with pytest.raises(cmp.ConfigError, match=r"a count of seeds takes the training seeds 0, 1, \.\.\.: at most 1000"):
        cmp.cells_from_config({"runs": [{**run, "seeds": 1001}]})


def maze_sweep(**extra) -> dict:
    return {
        "env": "rl_envs/GridMaze-v0",
        "env_kwargs": {"layout": "book3x3", "slip": 0.2},
        "agent": "QLearning",
        "steps": 300,
        "eval_at": [100, 200],
        "eval_episodes": 3,
        "tuning_seeds": [1000, 1001],
        "evaluation_seeds": [0, 1],
        "metric": "final_return",
        "space": {"alpha": {"grid": [0.1, 0.5]}},
        "budget": 2,
        **extra,
    }


def test_a_sweep_tunes_and_evaluates_on_disjoint_runs_and_episodes():
    sweep = sweep_from_config(maze_sweep())
    runs = []
    # the trials' cells (baselines.sweep.run.trial steps them through cell_stages, as run_cell does,
    # without Ray here), then the chosen setting's on the evaluation seeds
    for setting in sweep.grid_settings():
        for cell in sweep.cells(setting, sweep.tuning_seeds):
            runs.append(("tuning", cell, cmp.run_cell(cell, film=False)["row"]["test_seeds"]))
    for cell in sweep.cells(sweep.grid_settings()[0], sweep.evaluation_seeds):
        runs.append(("evaluation", cell, cmp.run_cell(cell, film=False)["row"]["test_seeds"]))
    seeds.check_streams((cell.seed, test_seeds) for _, cell, test_seeds in runs)
    tuning = {s for kind, _, ts in runs if kind == "tuning" for s in ts}
    reported = {s for kind, _, ts in runs if kind == "evaluation" for s in ts}
    assert len(tuning) == 2 * 3 * 3 and len(reported) == 2 * 3 * 3  # seeds x checkpoints x episodes
    assert inside(tuning, seeds.TUNING_TEST) and inside(reported, seeds.REPORTED_TEST)
    with pytest.raises(cmp.ConfigError, match=r"tuning_seeds must be tuning seeds \(1000..1999\), got 0"):
        sweep_from_config(maze_sweep(tuning_seeds=[0, 1000]))
    with pytest.raises(cmp.ConfigError, match=r"evaluation_seeds must be training seeds \(0..999\), got 1001"):
        sweep_from_config(maze_sweep(evaluation_seeds=[1001]))


def test_fig2_chooses_step_sizes_on_tuning_runs_and_episodes_only():
    args = argparse.Namespace(
        seeds=2, tuning_seeds=1, steps_scale=0.002, grid="ci", sweep_fraction=0.5, test_episodes=2
    )
    sweep = fig2.sweep_cell("puddle world", "COPDAC-Q", args)
    final = fig2.final_cell("puddle world", "COPDAC-Q", sweep.measure["members"][0][1], args)
    assert sweep.measure["episodes"] == final.measure["episodes"] == 2
    records = {"tuning": cmp.run_cell(sweep), "final": cmp.run_cell(final)}
    runs, found = [], {}
    for kind, record in records.items():
        assert cmp.record_problem(record) is None
        by_setting = fig2.by_setting(record)
        for rec in by_setting.values():
            test_seeds = np.asarray(rec["test_seeds"])
            assert test_seeds.shape == (len(rec["seeds"]), fig2.CHECKPOINTS, 2)
            runs += [(seed, ts.ravel().tolist()) for seed, ts in zip(rec["seeds"], test_seeds)]
            found.setdefault(kind, set()).update(test_seeds.ravel().tolist())
        assert sorted(record["row"]["test_seeds"]) == sorted(np.ravel(record["measurements"]["test_seeds"]).tolist())
    seeds.check_streams(runs)
    assert inside(found["tuning"], seeds.TUNING_TEST) and inside(found["final"], seeds.REPORTED_TEST)
    assert len(found["final"]) == 2 * fig2.CHECKPOINTS * 2  # every run and checkpoint its own episodes
    # the script refuses seeds that would leave their ranges
    with pytest.raises(SystemExit):
        fig2.main(["--seeds", "1001", "--plot-only", "--out", "unused"])


def test_provenance_says_what_ran_where():
    from baselines.provenance import Provenance, text

    entry = Provenance().record(seeds.seed_summary([0, 1, 1000], seeds.checkpoint_test_seeds(0, 0, 3)), note=1)
    assert entry["git"]["commit"] and len(entry["git"]["commit"]) == 40 and isinstance(entry["git"]["dirty"], bool)
    assert entry["packages"]["numpy"] == np.__version__ and entry["packages"]["gymnasium"] == gym.__version__
    assert entry["cpu"]["cores"] >= 1 and len(entry["load_average"]["start"]) == 3 and entry["wall_time_s"] >= 0
    assert entry["seeds"]["training"]["ranges"] == [[0, 1]] and entry["seeds"]["tuning"]["count"] == 1
    assert entry["seeds"]["test"] == {"count": 3, "ranges": [[1_000_000_000, 1_000_000_002]]} and entry["note"] == 1
    lines = text(entry)
    assert any(line.startswith("* code: " + entry["git"]["commit"]) for line in lines)
    assert any("3 test episodes [[1000000000, 1000000002]]" in line for line in lines)
