"""``python -m baselines tune``: the plan (every leaderboard pair with a search space, a valid
sweep), the tuned files (written whole, other entries kept, honest when empty), and a real tuning
run end to end on Ray Tune with Optuna: a short one in CI (Q-learning), a short SB3 one whose
zoo-format entry rl_zoo3 trains with (slow)."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from baselines import compare as cmp
from baselines.sb3 import ALGOS, build_model, load_hyperparams
from baselines.sweep import sweep_from_config
from baselines.sweep.tune import PROCEDURE, already_tuned, plan, run_tuning, sweep_folder
from baselines.tuning import (
    SPACES,
    TRIALS,
    TUNED_DIR,
    TUNING_SEEDS,
    read_file,
    read_tuned,
    render,
    tuned_file,
    write_tuned,
)

ROOT = Path(__file__).resolve().parents[1]


def test_the_plan_tunes_every_learning_agent_of_the_leaderboard_the_same_way():
    pairs, left_out = plan()
    rows = cmp.leaderboard_rows()
    expected = {(agent, row["env"]) for row in rows for agent in row["agents"] if agent in SPACES} - {
        (a, "rl_envs/VariableReward-v0") for a in SPACES
    }
    assert {(p.agent, p.env) for p in pairs} == expected
    assert sorted(left_out) == sorted(
        [
            "QMDP on rl_envs/PartiallyObservableMaze-v0: no search space (a planner, nothing learns at a rate)",
            "MOP on rl_envs/FoodGrid-v0: no search space (a planner, nothing learns at a rate)",
            "ExpectileTD on rl_envs/VariableReward-v0: every policy scores the same (one action)",
            "PPO on rl_envs/VariableReward-v0: every policy scores the same (one action)",
        ]
    )
    for pair in pairs:
        row = next(r for r in rows if r["env"] == pair.env)
        record = pair.record()
        # one procedure: the same trials, seeds, metric for everyone, at the row's comparison budget
        assert record["trials"] == TRIALS and record["tuning_seeds"] == list(TUNING_SEEDS)
        assert record["steps"] == row["budget"] and record["space"] == SPACES[pair.agent]
        assert not set(pair.fixed) & set(SPACES[pair.agent])
        sweep = sweep_from_config(pair.config)  # every name of the space is an argument of the agent
        assert sweep.search == "optuna" and sweep.budget == TRIALS and sweep.env_kwargs == row.get("env_kwargs", {})
    with pytest.raises(cmp.ConfigError, match=r"no leaderboard row has the agent\(s\) \['Sarsa'\]"):
        plan(agents=["Sarsa"])


def test_the_packaged_tuned_files_say_what_is_tuned():
    """One file per agent with a space; each either empty and saying so, or every entry with its record."""
    assert sorted(p.stem for p in TUNED_DIR.glob("*.yml")) == sorted(a.lower() for a in SPACES)
    for agent in SPACES:
        path = tuned_file(agent)
        entries, records = read_file(path)
        assert path.read_text() == render(agent, entries, records)
        assert ("No environment is tuned yet." in path.read_text()) == (not entries)
        for env_id, record in records.items():
            assert record["trials"] == TRIALS and record["tuning_seeds"] == list(TUNING_SEEDS), (agent, env_id)


def test_tuned_files_keep_other_entries_and_refuse_half_records(tmp_path):
    record = {"trials": 5, "tuning_seeds": [1000, 1001], "steps": 300}
    write_tuned("PPO", "rl_envs/GridMaze-v0", {"learning_rate": 1e-3, "n_steps": (64)}, {}, record, tmp_path)
    write_tuned(
        "PPO", "rl_envs/LQControl-v0", {"learning_rate": np.float64(2e-4)}, {"max_steps": 100}, record, tmp_path
    )
    grid, lq = read_tuned("ppo", "rl_envs/GridMaze-v0", tmp_path), read_tuned("PPO", "rl_envs/LQControl-v0", tmp_path)
    assert grid is not None and grid.kwargs == {"learning_rate": 1e-3, "n_steps": 64} and grid.env_kwargs == {}
    assert lq is not None and lq.kwargs == {"learning_rate": 2e-4} and lq.env_kwargs == {"max_steps": 100}
    assert lq.record == record and lq.label == "tuned (5 trials)"
    assert read_tuned("PPO", "rl_envs/OctopusArm-v0", tmp_path) is None
    text = (tmp_path / "ppo.yml").read_text()
    assert "No environment is tuned yet" not in text and yaml.safe_load(text)["tuning"]["rl_envs/GridMaze-v0"] == record
    with pytest.raises(ValueError, match="a tuning record needs 'trials'"):
        write_tuned("PPO", "rl_envs/GridMaze-v0", {}, {}, {"steps": 3}, tmp_path)
    (tmp_path / "sac.yml").write_text("rl_envs/GridMaze-v0: {learning_rate: 0.1}\n")
    with pytest.raises(ValueError, match="every entry needs its record under 'tuning'"):
        read_tuned("SAC", "rl_envs/GridMaze-v0", tmp_path)


def best_trial(folder: Path) -> dict:
    with open(folder / "trials.csv") as f:
        trials = [t for t in csv.DictReader(f) if t["status"] == "complete"]
    return max(trials, key=lambda t: float(t["score"]))


def test_tune_chooses_on_the_tuning_seeds_writes_the_entry_and_resumes(local_ray, tmp_path):
    tuned, out = tmp_path / "tuned", tmp_path / "sweeps"
    pairs, _ = plan(["QLearning"], ["rl_envs/GridMaze-v0"], trials=3, steps=3000)
    (pair,) = pairs
    lines: list[str] = []
    result = run_tuning(pairs, out, tuned, progress=False, report=lines.append)
    assert [p.name for p, _ in result.tuned] == ["QLearning on rl_envs/GridMaze-v0"] and not result.skipped
    entry = read_tuned("QLearning", "rl_envs/GridMaze-v0", tuned)
    assert entry is not None and entry.env_kwargs == {"layout": "dyna_maze"}
    assert {k: entry.record[k] for k in PROCEDURE} == pair.record()
    assert entry.record["trials"] == 3 and entry.record["tuning_seeds"] == [1000, 1001, 1002]
    # the chosen setting is the sweep's best trial on the tuning seeds, and its score is those seeds' own
    sweep = sweep_from_config(pair.config)
    folder = sweep_folder(out, pair, sweep)
    best = best_trial(folder)
    assert entry.kwargs == {"alpha": float(best["alpha"]), "epsilon": float(best["epsilon"])}
    assert json.loads((folder / "chosen.json").read_text())["setting"] == entry.kwargs
    finals = [cmp.run_cell(c, film=False)["row"]["return"] for c in sweep.cells(entry.kwargs, list(TUNING_SEEDS))]
    assert entry.record["tuning_score"] == float(np.mean(finals))
    assert already_tuned(pair, tuned) and not already_tuned(
        plan(["QLearning"], ["rl_envs/GridMaze-v0"], 4, 3000)[0][0], tuned
    )
    # the leaderboard reads it, saying at which budget it was tuned
    (grid,) = [r for r in cmp.leaderboard_config("quick", tuned)["runs"] if r["env"] == "rl_envs/GridMaze-v0"]
    assert grid["agents"]["QLearning"] == entry.kwargs
    assert grid["settings"] == {"QLearning": "tuned (3 trials at 3,000 steps)", "PPO": "defaults", "DQN": "defaults"}
    # the same command again: nothing runs, the file stays as it was
    before = (tuned / "qlearning.yml").read_bytes()
    again = run_tuning(pairs, out, tuned, progress=False, report=lines.append)
    assert again.skipped == pairs and not again.tuned and (tuned / "qlearning.yml").read_bytes() == before
    assert lines[-1].endswith("already tuned by this procedure in " + str(tuned / "qlearning.yml"))


@pytest.mark.slow
def test_a_tuned_sb3_entry_is_a_zoo_entry_rl_zoo3_trains_with(local_ray, tmp_path):
    tuned = tmp_path / "tuned"
    pairs, _ = plan(["PPO"], ["rl_envs/QuadraticBandit-v0"], trials=2, steps=256)
    run_tuning(pairs, tmp_path / "sweeps", tuned, progress=False, report=lambda line: None)
    entries, records = read_file(tuned / "ppo.yml")
    entry = entries["rl_envs/QuadraticBandit-v0"]
    untuned = load_hyperparams("ppo", "rl_envs/QuadraticBandit-v0")
    assert set(SPACES["PPO"]) <= set(entry) and entry["n_timesteps"] == 256 and entry["env_kwargs"] == {"dim": 10}
    assert {k: v for k, v in entry.items() if k not in SPACES["PPO"] and k not in ("n_timesteps", "env_kwargs")} == {
        k: v for k, v in untuned.items() if k not in SPACES["PPO"] and k != "n_timesteps"
    }
    assert records["rl_envs/QuadraticBandit-v0"]["trials"] == 2
    assert build_model("ppo", "rl_envs/QuadraticBandit-v0", hyperparams=entry).n_steps == entry["n_steps"]
    zoo = subprocess.run(
        [
            sys.executable,
            "-m",
            "rl_zoo3.train",
            "--algo",
            "ppo",
            "--env",
            "rl_envs/QuadraticBandit-v0",
            "--gym-packages",
            "rl_envs",
            "--conf-file",
            str(tuned / "ppo.yml"),
            "-n",
            "64",
            "-f",
            str(tmp_path / "zoo"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert zoo.returncode == 0, zoo.stderr[-2000:]
    # the settings rl_zoo3 saved beside its model: the tuned entry, every key of it
    (saved,) = (tmp_path / "zoo").rglob("config.yml")
    assert yaml.load(saved.read_text(), Loader=ZooConfigLoader) == entry


class ZooConfigLoader(yaml.SafeLoader):
    """Reads the config.yml rl_zoo3 saves, an OrderedDict in PyYAML's Python tag, as a dict of its
    pairs, without the loader that would build any Python object a file names."""


ZooConfigLoader.add_constructor(
    "tag:yaml.org,2002:python/object/apply:collections.OrderedDict",
    lambda loader, node: dict(loader.construct_sequence(node, deep=True)[0]),
)


def test_the_command_line_tunes_nothing_with_estimate_and_names_the_tuned_file(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "baselines", "tune", "--estimate", "--agents", "PPO", "SAC"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    n = len(plan(["PPO", "SAC"])[0])
    assert f"estimated: {n} sweep(s): about " in run.stdout
    path = subprocess.run(
        [sys.executable, "-m", "baselines", "hyperparams", "ppo", "--tuned"], capture_output=True, text=True, env=env
    )
    assert Path(path.stdout.strip()) == tuned_file("ppo") and all(tuned_file(a).exists() for a in ALGOS)
