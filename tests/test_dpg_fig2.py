"""experiments/dpg_fig2.py (Silver et al. 2014, Fig. 2) in a short version: the mean-policy test
returns its batch cells record are exact, a run killed by a real signal resumes with only the
missing cells, the step sizes are chosen on tuning runs and episodes only, a few thousand steps of
COPDAC-Q beat a random policy on mountain car, and each table row is scored against its own
task's reference, the paper set beside the fixed-start mountain car only."""

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
from baselines.seeds import REPORTED_TEST, TUNING_TEST, checkpoint_test_seeds

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("dpg_fig2", ROOT / "experiments" / "dpg_fig2.py")
fig2 = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(fig2)

# Mountain car from the uniform box, COPDAC-Q, CI's two settings, one tuning seed, three reported
# seeds, 3000 steps (from the fixed start no car reaches the goal that early)
SHORT = [
    "--tasks",
    "mountain car (uniform start)",
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
    env_id, env_kwargs = proto["env_id"], proto["env_kwargs"]
    per_member = zip(members, rec["returns"], rec["episode_returns"], rec["member_steps"], rec["test_seeds"])
    for (seed, setting), returns, episodes, steps, test_seeds in per_member:
        assert steps[0] == 0 and 150 <= steps[1] <= 156 and 400 <= steps[2] <= 412
        for i, n in enumerate(steps):
            # each member's own episodes: checkpoint i's of its seed's test stream
            assert test_seeds[i] == checkpoint_test_seeds(seed, i, 2)
            alone = fig2.AGENTS["COPDAC-Q"](gym.make(env_id, **env_kwargs), seed=seed, gamma=proto["gamma"], **setting)
            if n:
                alone.learn(n)
            replayed = [evaluate(alone, gym.make(env_id, **env_kwargs), seeds=[s])[0] for s in test_seeds[i]]
            assert episodes[i] == replayed and returns[i] == np.mean(replayed)


def random_policy_return(env_id: str, env_kwargs: dict, seed: int, episodes: int = 3) -> float:
    env = gym.make(env_id, **env_kwargs)
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


def zero_action_return(env_id: str, env_kwargs: dict, seed: int) -> float:
    env = gym.make(env_id, **env_kwargs)
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
    return fig2.sweep_cell("mountain car (uniform start)", "COPDAC-Q", args), lambda chosen: fig2.final_cell(
        "mountain car (uniform start)", "COPDAC-Q", chosen, args
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
    rec = finals[("mountain car (uniform start)", "COPDAC-Q")]
    final = final_of(rec["setting"])
    assert [p.name for p in after if p not in before] == [f"{final.key}.json"]
    # the step sizes come from the sweep's record alone: tuning runs and their episodes, none reported
    sweep_record = json.loads((cells / f"{sweep.key}.json").read_text())
    assert rec["setting"] == fig2.best_setting(fig2.by_setting(sweep_record))
    assert all(s in TUNING_TEST for s in np.ravel(sweep_record["measurements"]["test_seeds"]))
    assert all(s in REPORTED_TEST for s in np.ravel(rec["test_seeds"]))
    assert rec["env_kwargs"] == {"start": "random", "goal_reward": -1.0}

    returns = np.asarray(rec["returns"])
    assert returns.shape == (3, fig2.CHECKPOINTS) and rec["checkpoints"][-1] == 3000 and rec["seeds"] == [0, 1, 2]
    # learning progress: the mean policies of the last 5 checkpoints (each run from its own 2
    # starts a checkpoint) against a random policy from the same starts; the untrained mean
    # policy pushes 0 (it gets out only from a start with the energy to coast to the goal)
    starts = np.asarray(rec["test_seeds"])[:, -5:].ravel()
    baseline = np.mean([random_policy_return(rec["env_id"], rec["env_kwargs"], int(s), episodes=1) for s in starts])
    untrained = [
        np.mean([zero_action_return(rec["env_id"], rec["env_kwargs"], s) for s in run[0]]) for run in rec["test_seeds"]
    ]
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
    # Redrawn with --plot-only, the folder keeps the provenance of the invocation that ran its cells.
    ran = json.loads((out / "results.json").read_text())["provenance"]
    fig2.main(["--out", str(out), *SHORT, "--plot-only"])
    assert json.loads((out / "results.json").read_text())["provenance"] == ran


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


def test_the_mountain_car_tasks_are_rlparks_from_its_two_starts():
    fixed, uniform = (fig2.TASKS[f"mountain car ({start} start)"] for start in ("fixed", "uniform"))
    starts = {}
    for name, task in (("fixed", fixed), ("uniform", uniform)):
        env = gym.make(task["env_id"], **task["env_kwargs"])
        starts[name] = np.array([env.reset(seed=s)[0] for s in range(20)])
        # -1 on the goal step too (RLPark's): a car just below the goal at full speed ends its episode paying -1
        env.unwrapped.state = np.array([0.59, 0.07])
        _, reward, terminated, _, _ = env.step(np.ones(1, dtype=np.float32))
        assert terminated and reward == -1.0
    assert np.all(starts["fixed"] == np.array([-0.5, 0.0], dtype=np.float32))
    assert np.ptp(starts["uniform"][:, 0]) > 1.0 and np.ptp(starts["uniform"][:, 1]) > 0.07  # over the whole box
    args = argparse.Namespace(seeds=3, tuning_seeds=1, steps_scale=1.0, grid="ci", sweep_fraction=0.5, test_episodes=2)
    cells = [fig2.sweep_cell(f"mountain car ({s} start)", "SAC", args) for s in ("fixed", "uniform")]
    assert cells[0].key != cells[1].key
    assert [c.env_kwargs for c in cells] == [fixed["env_kwargs"], uniform["env_kwargs"]]


def synthetic_run(task: str, plateau: np.ndarray) -> dict:
    """A final run's record as ``by_setting`` gives it, its runs' returns ``plateau`` from the middle
    checkpoint on (and -5000 before)."""
    steps = fig2.TASKS[task]["steps"]
    returns = np.full((len(plateau), fig2.CHECKPOINTS), -5000.0)
    returns[:, fig2.CHECKPOINTS // 2 :] = plateau[:, None]
    return {
        "setting": {"alpha_u": 0.01, "alpha_v": 1.0},
        "seeds": list(range(len(plateau))),
        "returns": returns.tolist(),
        "checkpoints": np.linspace(0, steps, fig2.CHECKPOINTS).round().astype(int).tolist(),
    }


def test_each_row_is_scored_by_its_own_tasks_reference_and_the_paper_sits_beside_the_fixed_start_only():
    refs = {
        task: gym.make(fig2.TASKS[task]["env_id"], **fig2.TASKS[task]["env_kwargs"]).unwrapped.reference()
        for task in ("mountain car (fixed start)", "mountain car (uniform start)")
    }
    fixed, uniform = refs["mountain car (fixed start)"], refs["mountain car (uniform start)"]
    assert (fixed.value, fixed.random) != (uniform.value, uniform.random)
    spread = np.linspace(-100.0, 100.0, 30)
    finals = {
        # the fixed start's runs at its optimum (normalized 1), the uniform start's at its random policy's (0)
        ("mountain car (fixed start)", "COPDAC-Q"): synthetic_run("mountain car (fixed start)", fixed.value + spread),
        ("mountain car (uniform start)", "COPDAC-Q"): synthetic_run(
            "mountain car (uniform start)", uniform.random + spread
        ),
    }
    rows = {line.split(" | ")[0][2:]: line.split(" | ") for line in fig2.table(finals).splitlines()[2:]}
    score = rows["mountain car (fixed start)"][4]
    assert score.startswith("1.000 [") and rows["mountain car (uniform start)"][4].startswith("0.000 [")
    low, high = (float(x.replace("−", "-")) for x in score[7:-1].split(", "))
    assert low < 1.0 < high  # the bootstrap interval of the 30 runs' spread
    assert rows["mountain car (fixed start)"][5] == f"{fig2.signed(fixed.value, 1)} ({fig2.signed(fixed.random)}) |"
    assert (
        rows["mountain car (uniform start)"][5] == f"{fig2.signed(uniform.value, 1)} ({fig2.signed(uniform.random)}) |"
    )
    tasks = {line.split(" | ")[0][2:]: line.split(" | ") for line in fig2.tasks_table(finals).splitlines()[2:]}
    assert tasks["mountain car (uniform start)"][4:] == ["—", "— |"]
    plateau = fig2.PLATEAU["mountain car (fixed start)"]
    assert (
        tasks["mountain car (fixed start)"][5]
        == f"{fig2.signed(plateau)} ({fig2.fraction(fixed.normalize(plateau)[0])}) |"
    )
    assert tasks["mountain car (fixed start)"][3] == "−5,000 ± 0"  # every run's checkpoint 0 in synthetic_run
    assert tasks["mountain car (fixed start)"][4] == fig2.signed(fig2.PAPER_START["mountain car (fixed start)"])
