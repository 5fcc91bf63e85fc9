"""experiments/dpg_fig2.py (Silver et al. 2014, Fig. 2) in a short version: the mean-policy test
returns its batch cells record are exact, a run killed by a real signal resumes with only the
missing cells, the tuning seeds are never reported, and a few thousand steps of COPDAC-Q beat a
random policy on mountain car."""

import argparse
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import gymnasium as gym

import rl_envs  # noqa: F401
from baselines import compare as cmp
from baselines.evaluation import evaluate
from baselines.seeds import checkpoint_test_seeds

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("dpg_fig2", ROOT / "experiments" / "dpg_fig2.py")
fig2 = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fig2)

# Mountain car, COPDAC-Q, CI's two settings, one tuning seed, three reported seeds, 3000 steps
SHORT = [
    "--tasks",
    "mountain car",
    "--agents",
    "COPDAC-Q",
    "--grid",
    "ci",
    "--tuning-seeds",
    "1",
    "--seeds",
    "3",
    "--steps-scale",
    "0.03",
    "--test-episodes",
    "2",
    "--workers",
    "1",
]


def test_recorded_test_returns_are_the_mean_policy_of_the_seed_run_alone():
    proto = dict(fig2.protocol("puddle world", 0.004, sweep=False, episodes=2), checkpoints=[0, 150, 400])
    members = [
        (7, {"alpha_theta": 0.001, "alpha_w": 1.0, "alpha_v": 1.0}),
        (3, {"alpha_theta": 0.01, "alpha_w": 0.1, "alpha_v": 0.1}),
    ]
    record = cmp.run_cell(fig2.batch_cell("COPDAC-Q", proto, members))
    assert cmp.record_problem(record) is None and record["cell"]["measure"]["name"] == "seed_batch"
    rec = record["measurements"]
    env_id = proto["env_id"]
    per_member = zip(members, rec["returns"], rec["episode_returns"], rec["member_steps"], rec["test_seeds"])
    for (seed, setting), returns, episodes, steps, test_seeds in per_member:
        assert steps[0] == 0 and 150 <= steps[1] <= 156 and 400 <= steps[2] <= 412
        for i, n in enumerate(steps):
            # each member's own episodes: checkpoint i's of its seed's test stream
            assert test_seeds[i] == checkpoint_test_seeds(seed, i, 2)
            alone = fig2.AGENTS["COPDAC-Q"](gym.make(env_id), seed=seed, gamma=proto["gamma"], **setting)
            if n:
                alone.learn(n)
            replayed = [evaluate(alone, gym.make(env_id), seeds=[s])[0] for s in test_seeds[i]]
            assert episodes[i] == replayed and returns[i] == np.mean(replayed)


def random_policy_return(env_id: str, seed: int, episodes: int = 3) -> float:
    env = gym.make(env_id)
    env.action_space.seed(0)
    total = 0.0
    for _ in range(episodes):
        env.reset(seed=seed)
        done = False
        while not done:
            _, r, terminated, truncated, _ = env.step(env.action_space.sample())
            total += r
            done = terminated or truncated
    return total / episodes


def zero_action_return(env_id: str, seed: int) -> float:
    env = gym.make(env_id)
    env.reset(seed=seed)
    total, done = 0.0, False
    while not done:
        _, r, terminated, truncated, _ = env.step(np.zeros(env.action_space.shape))
        total += r
        done = terminated or truncated
    return total


def files(out: Path) -> dict:
    """The cell files and their times (results.json is rewritten by every call)."""
    return {p: p.stat().st_mtime_ns for p in sorted((out / "cells").glob("*.json"))}


def short_cells() -> tuple:
    """The sweep cell of SHORT's (task, agent), and its final cell with ``chosen``."""
    args = argparse.Namespace(seeds=3, tuning_seeds=1, steps_scale=0.03, grid="ci", sweep_fraction=0.5, test_episodes=2)
    return fig2.sweep_cell("mountain car", "COPDAC-Q", args), lambda chosen: fig2.final_cell(
        "mountain car", "COPDAC-Q", chosen, args
    )


def test_a_killed_run_resumes_and_recomputes_only_what_is_missing(tmp_path):
    out = tmp_path / "run"
    cells = out / "cells"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "experiments" / "dpg_fig2.py"), "--out", str(out), *SHORT],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 300
    while not list(cells.glob("*.json")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()  # still running: the sweep is written, the final not
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    sweep, final_of = short_cells()
    assert [p.name for p in cells.glob("*.json")] == [f"{sweep.key}.json"]

    before = files(out)
    finals = fig2.main(["--out", str(out), *SHORT])
    after = files(out)
    assert all(after[p] == t for p, t in before.items())  # the sweep was not rerun
    rec = finals[("mountain car", "COPDAC-Q")]
    final = final_of(rec["setting"])
    assert [p.name for p in after if p not in before] == [f"{final.key}.json"]

    returns = np.asarray(rec["returns"])
    assert returns.shape == (3, fig2.CHECKPOINTS) and rec["checkpoints"][-1] == 3000 and rec["seeds"] == [0, 1, 2]
    # learning progress: the mean policies of the last 5 checkpoints (each run from its own 2
    # starts a checkpoint) against a random policy from the same starts; the untrained mean
    # policy pushes 0 (it gets out only from a start with the energy to coast to the goal)
    starts = np.asarray(rec["test_seeds"])[:, -5:].ravel()
    baseline = np.mean([random_policy_return(rec["env_id"], int(s), episodes=1) for s in starts])
    untrained = [np.mean([zero_action_return(rec["env_id"], s) for s in run[0]]) for run in rec["test_seeds"]]
    assert returns[:, 0].tolist() == untrained
    assert returns[:, -5:].mean() > baseline + 100, (returns[:, -5:], baseline)
    assert (out / "fig2.png").stat().st_size > 0 and "COPDAC-Q" in (out / "table.md").read_text()
    assert "**yes**" in (out / "sweep.md").read_text()
    provenance = json.loads((out / "results.json").read_text())["provenance"]
    assert provenance["seeds"]["training"]["ranges"] == [[0, 2]] and provenance["seeds"]["tuning"]["ranges"] == [
        [1000, 1000]
    ]
    assert provenance["seeds"]["test"]["count"] == (3 + 1) * fig2.CHECKPOINTS * 2  # 4 runs, 2 episodes a checkpoint
    assert "* seeds: training [[0, 2]]" in (out / "provenance.md").read_text()

    gone = cells / f"{sweep.key}.json"
    content = json.loads(gone.read_text())
    gone.unlink()
    fig2.main(["--out", str(out), *SHORT])
    again = files(out)
    assert [p for p in again if again[p] != after.get(p)] == [gone]  # only the deleted batch ran again
    assert json.loads(gone.read_text())["measurements"] == content["measurements"]


def test_the_tuning_seeds_are_never_reported_and_a_changed_protocol_is_another_cell():
    args = argparse.Namespace(
        seeds=30, tuning_seeds=2, steps_scale=1.0, grid="full", sweep_fraction=0.5, test_episodes=10
    )
    for task in fig2.TASKS:
        for agent in fig2.AGENTS:
            sweep = fig2.sweep_cell(task, agent, args)
            members = sweep.measure["members"]
            assert {s for s, _ in members} == {1000, 1001} and len(members) == 2 * len(fig2.settings(agent, fig2.GRIDS))
            assert sweep.measure["episodes"] == 10  # each run's own test episodes: the tuning runs' are tuning episodes
            assert sweep.steps == fig2.TASKS[task]["steps"] // 2 == sweep.measure["checkpoints"][-1]
            final = fig2.final_cell(task, agent, members[0][1], args)
            assert [s for s, _ in final.measure["members"]] == list(range(30)) and final.steps == fig2.TASKS[task][
                "steps"
            ]
            assert final.agent_kwargs == sweep.agent_kwargs == {"gamma": fig2.TASKS[task]["gamma"]}
            shorter = fig2.sweep_cell(task, agent, argparse.Namespace(**{**vars(args), "steps_scale": 0.5}))
            assert shorter.key != sweep.key
