"""``python -m baselines sweep`` on real Ray Tune: a 6-trial grid sweep on conftest's local Ray (CI),
a 6-trial Optuna (TPE) sweep with ASHA and a sweep stopped by a real SIGINT and resumed from
Tune's experiment checkpoint (slow), and the configuration checks."""

import csv
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import gymnasium as gym
import pytest

from baselines import compare as cmp, seeds
from baselines.compare.run import cell_stages, cell_test_seeds
from baselines.sweep import Metric, NothingChosen, run_sweep, sweep_from_config
from baselines.sweep.run import choose
from ray_procs import processes_with, ray_tmpdir, stop, wait_for
from rl_envs.core import Reference

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def maze_sweep(**extra) -> dict:
    """Q-learning's step size and exploration on the book's 3x3 maze: 2 x 3 = 6 trials, scored by
    the steps its greedy policy needs to become optimal."""
    return {
        "env": "rl_envs/GridMaze-v0",
        "env_kwargs": {"layout": "book3x3"},
        "agent": "QLearning",
        "steps": 1500,
        "eval_at": [100, 200, 400, 800, 1500],
        "tuning_seeds": [1000, 1001],
        "evaluation_seeds": [0, 1, 2],
        "metric": "steps_to_optimal",
        "search": "grid",
        "budget": 6,
        "space": {"alpha": {"grid": [0.1, 0.5]}, "epsilon": {"grid": [0.05, 0.1, 0.3]}},
        **extra,
    }


def read_trials(out: Path) -> list[dict]:
    with open(out / "trials.csv") as f:
        return list(csv.DictReader(f))


def curve(sweep, setting, seeds) -> np.ndarray:
    """The seeds' evaluation returns at every checkpoint, computed here without Ray."""
    rows = []
    for cell in sweep.cells(setting, seeds):
        stages = cell_stages(cell, film=False)
        rows.append([ret for _, ret in stages])
    return np.array(rows)


def test_grid_sweep_chooses_on_tuning_seeds_and_evaluates_on_the_others(local_ray, tmp_path):
    sweep = sweep_from_config(maze_sweep())
    on_ctrl_c = signal.getsignal(signal.SIGINT)
    result = run_sweep(sweep, tmp_path, progress=False)
    # Tune's fit leaves its Ctrl-C handler behind; the sweep puts back the one it found.
    assert signal.getsignal(signal.SIGINT) is on_ctrl_c
    trials = read_trials(tmp_path)
    assert len(trials) == 6 and {t["status"] for t in trials} == {"complete"}
    assert sorted((float(t["alpha"]), float(t["epsilon"])) for t in trials) == sorted(
        (a, e) for a in (0.1, 0.5) for e in (0.05, 0.1, 0.3)
    )
    # Each trial's score is the metric of the cells run here, bit for bit (Tune ran the same cells).
    book = sweep.reference()
    assert book is not None and book.value == pytest.approx(0.96)
    for t in trials:
        setting = {"alpha": float(t["alpha"]), "epsilon": float(t["epsilon"])}
        assert float(t["score"]) == sweep.metric.score(
            sweep.checkpoints, curve(sweep, setting, sweep.tuning_seeds), book
        )
    best = min(trials, key=lambda t: float(t["score"]))
    chosen = json.loads((tmp_path / "chosen.json").read_text())
    assert (
        chosen["setting"]
        == {"alpha": float(best["alpha"]), "epsilon": float(best["epsilon"])}
        == result.chosen["setting"]
    )
    # Only the chosen setting ran on the evaluation seeds, as comparison cells.
    cells = sorted((tmp_path / "evaluation" / "cells").glob("*.json"))
    records = [json.loads(p.read_text()) for p in cells]
    assert sorted(r["cell"]["seed"] for r in records) == [0, 1, 2]
    assert all(
        r["cell"]["agent_kwargs"] == chosen["setting"] and r["log"]["eval_steps"] == sweep.eval_at for r in records
    )
    evaluation = curve(sweep, chosen["setting"], [0, 1, 2])
    assert chosen["evaluation_score"] == sweep.metric.score(sweep.checkpoints, evaluation, book)
    # the setting was chosen on tuning runs and their episodes only, and scored on others
    assert chosen["evaluation_test_seeds"] == [s for r in records for s in r["row"]["test_seeds"]]
    tuning_runs = [(c.seed, cell_test_seeds(c)) for c in sweep.cells(chosen["setting"], sweep.tuning_seeds)]
    assert chosen["tuning_test_seeds"] == [s for _, ts in tuning_runs for s in ts]
    seeds.check_streams(tuning_runs + [(r["row"]["seed"], r["row"]["test_seeds"]) for r in records])
    assert all(s in seeds.TUNING_TEST for s in chosen["tuning_test_seeds"])
    assert all(s in seeds.REPORTED_TEST for s in chosen["evaluation_test_seeds"])
    assert (tmp_path / "evaluation" / "summary.md").exists() and (tmp_path / "sweep.png").stat().st_size > 0
    summary = (tmp_path / "summary.md").read_text()
    assert f"| {chosen['trial']} **chosen** |" in summary and summary.count("| complete |") == 6
    # The same command again is resumed: Tune has every trial, the evaluation every cell.
    again = run_sweep(sweep, tmp_path, progress=False)
    assert again.chosen["setting"] == chosen["setting"] and read_trials(tmp_path) == trials


# Slow (minutes on a loaded 2-core machine); CI runs the 6-trial grid sweep above.
@pytest.mark.slow
def test_optuna_sweep_with_asha_stops_trials_on_the_learning_curve(local_ray, tmp_path):
    config = {
        "env": "rl_envs/QuadraticBandit-v0",
        "env_kwargs": {"dim": 10},
        "agent": "COPDACB",
        "steps": 2000,
        "eval_at": {"logspace": [40, 2000, 9]},
        "tuning_seeds": [1000],
        "evaluation_seeds": [0],
        "metric": "mean_log_cost",
        "search": "optuna",
        "budget": 6,
        "early_stopping": "asha",
        "search_seed": 3,
        "space": {"alpha_theta": {"loguniform": [0.01, 3.0]}, "sigma_beta": {"choice": [0.02, 0.1]}},
    }
    sweep = sweep_from_config(config)
    result = run_sweep(sweep, tmp_path, progress=False)
    trials = read_trials(tmp_path)
    assert len(trials) == 6 and result.finished == 6
    assert all(0.01 <= float(t["alpha_theta"]) <= 3.0 and float(t["sigma_beta"]) in (0.02, 0.1) for t in trials)
    assert len({t["alpha_theta"] for t in trials}) == 6  # sampled, not a grid
    stopped = [t for t in trials if t["status"] == "stopped early"]
    complete = [t for t in trials if t["status"] == "complete"]
    assert stopped and complete and len(stopped) + len(complete) == 6
    assert all(int(t["checkpoints"]) < 9 for t in stopped) and all(int(t["checkpoints"]) == 9 for t in complete)
    # Chosen among the trials that reached the end (a stopped trial's score is of a shorter curve).
    best = min(complete, key=lambda t: float(t["score"]))
    assert result.chosen["trial"] == best["trial"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sweep_interrupted_by_ctrl_c_or_sigterm_resumes_from_tunes_checkpoint(tmp_path, sig):
    """SIGTERM (`docker stop`, `kill`) does what Ctrl-C does: Tune saves the sweep, the command
    exits with 128 + the signal's number and prints the command that resumes; no native stack dump
    (Ray's core prints one on SIGTERM when its handler is left in place).  Ctrl-C reaches the
    whole process group, SIGTERM here the command alone: the Ray processes the command started
    block only SIGINT, and a SIGTERM to the group ends them under it (docs/cluster.md)."""
    config = tmp_path / "sweep.json"
    # Trials of several seconds each, two at a time: SIGINT arrives with some finished and some not
    # (at 60,000 steps all six could finish within the 3 s below, and the signal then reached the
    # evaluation instead).  The early checkpoints tell the settings apart (at 20,000 steps all of
    # them are optimal, and a sweep whose trials all tie chooses nothing).
    config.write_text(json.dumps(maze_sweep(steps=300_000, eval_at=[100, 200, 400, 800, 20_000, 300_000])))
    config = config.rename(tmp_path / "sweep.yml")  # YAML reads JSON
    out = tmp_path / "out"
    tmpdir = ray_tmpdir()
    cmd = [sys.executable, "-m", "baselines", "sweep", "--config", str(config), "--out", str(out), "--no-progress"]
    env = {**ENV, "RAY_TMPDIR": tmpdir}

    def finished_trials() -> dict:
        """trial dir name -> its result file's bytes, for trials whose last report was the end."""
        done = {}
        for result in (out / "tune").glob("*/result.json"):
            lines = result.read_bytes().splitlines()
            if lines and json.loads(lines[-1]).get("complete"):
                done[result.parent.name] = result.read_bytes()
        return done

    try:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
        )
        wait_for(lambda: len(finished_trials()) >= 2, 300, "two finished trials")
        # A trial's last result is written before Tune marks the trial finished; one stopped in
        # between is run again on resume (Tune keeps only the trials it had marked).
        time.sleep(3)
        (os.killpg if sig == signal.SIGINT else os.kill)(proc.pid, sig)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 128 + sig, err
        word = "interrupted" if sig == signal.SIGINT else re.escape("terminated (SIGTERM)")
        assert re.search(
            rf"{word}: (\d) of 6 trials finished; Tune saved the sweep in {re.escape(str(out / 'tune'))}; "
            rf"resume with: python -m baselines sweep --config {re.escape(str(config))}",
            err,
        ), err
        assert "SIGTERM received" not in err and "Traceback" not in err, err
        before = finished_trials()
        assert 2 <= len(before) < 6
        assert not (out / "evaluation" / "cells").exists() or not list((out / "evaluation" / "cells").glob("*.json"))
        wait_for(lambda: not processes_with(tmpdir), 30, "the sweep's Ray processes to end")

        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "**chosen**" in done.stdout
        after = finished_trials()
        assert len(after) == 6
        for name, data in before.items():  # kept from the first run, not trained again
            assert after[name] == data, name
        assert {t["status"] for t in read_trials(out)} == {"complete"}
    finally:
        stop(tmpdir)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sweep_stopped_while_evaluating_the_chosen_setting_keeps_its_cells(tmp_path, sig):
    """Ctrl-C or SIGTERM after the trials, while the chosen setting runs on the evaluation seeds,
    stops the sweep there (Tune's handler, left behind by its fit, once took the first signal and
    the evaluation ran on to its end)."""
    # With epsilon 0.05, alpha 0.5 is optimal after 150 steps on the tuning seeds, alpha 0.1 after
    # 300: a choice (a tie would choose nothing).
    sweep = maze_sweep(steps=300_000, eval_at=[100, 200, 400, 800, 300_000], evaluation_seeds=[0, 1, 2, 3])
    config = tmp_path / "sweep.yml"
    space = {"alpha": {"grid": [0.1, 0.5]}, "epsilon": {"grid": [0.05]}}
    config.write_text(json.dumps({**sweep, "budget": 2, "space": space}))
    out, tmpdir = tmp_path / "out", ray_tmpdir()
    cells = out / "evaluation" / "cells"
    cmd = [sys.executable, "-m", "baselines", "sweep", "--config", str(config), "--out", str(out), "--no-progress"]
    try:
        proc = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**ENV, "RAY_TMPDIR": tmpdir},
            start_new_session=True,
        )
        # Two cells at a time on two CPUs, each for seconds: after the first, others are running.
        wait_for(lambda: list(cells.glob("*.json")), 600, "the first evaluation cell")
        (os.killpg if sig == signal.SIGINT else os.kill)(proc.pid, sig)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 128 + sig, err
        saved = len(list(cells.glob("*.json")))
        word = "interrupted" if sig == signal.SIGINT else "terminated (SIGTERM)"
        assert f"{word}: while evaluating the chosen setting, {saved} of 4 cells are saved in {cells}" in err, err
        assert saved < 4 and "Stop signal received" not in err and not (out / "chosen.json").exists()
    finally:
        stop(tmpdir)


def lq_sweep(alphas: list[float]) -> dict:
    """COPDAC-Q's actor step size on the double integrator with a state bound of 1000, which a
    controller pinned at the action bound (|u| = 10) crosses within the 200 steps of an episode."""
    return {
        "env": "rl_envs/LQControl-v0",
        "env_kwargs": {"max_state_norm": 1000.0},
        "agent": "COPDACQ",
        "steps": 400,
        "eval_at": [200],
        "tuning_seeds": [1000],
        "evaluation_seeds": [0],
        "metric": "final_return",
        "search": "grid",
        "budget": len(alphas),
        "space": {"alpha_theta": {"grid": alphas}},
    }


def test_lq_control_says_whether_an_episode_diverged():
    env = gym.make("rl_envs/LQControl-v0", max_state_norm=1000.0)
    env.reset(seed=0)
    steps, terminated, truncated, info = 0, False, False, {}
    while not (terminated or truncated):
        _, _, terminated, truncated, info = env.step(np.array([10.0]))
        steps += 1
        assert terminated or truncated or "diverged" not in info
    # The double integrator from x0 = (-1, 0) pushed at u = 10: after t steps the velocity is 10 t
    # and the position -1 + 5 t (t - 1), so ||x|| is 919.7 at t = 14 and first passes 1000 at t = 15.
    assert steps == 15 and terminated and info == {"diverged": True}
    np.testing.assert_allclose(env.unwrapped.state, [1049.0, 150.0], atol=0.5)  # plus the process noise
    env.reset(seed=0)
    for _ in range(200):
        *_, terminated, truncated, info = env.step(np.array([0.0]))
    assert truncated and not terminated and info == {"diverged": False}


def test_a_sweep_in_which_every_setting_diverges_chooses_nothing(local_ray, tmp_path):
    sweep = sweep_from_config(lq_sweep([1e100, 1e300]))
    with pytest.raises(NothingChosen, match=re.escape("no trial finished without diverging or failing (2 diverged)")):
        run_sweep(sweep, tmp_path, progress=False)
    trials = read_trials(tmp_path)
    assert [t["status"] for t in trials] == ["diverged", "diverged"]
    assert all(
        t["error"]
        == "seed 1000: 10 of 10 evaluation episodes after 200 steps reached the divergence bound of rl_envs/LQControl-v0"
        for t in trials
    )
    summary = (tmp_path / "summary.md").read_text()
    assert "Nothing chosen: no trial finished without diverging or failing (2 diverged); see trials.csv." in summary
    assert not (tmp_path / "chosen.json").exists() and not list((tmp_path / "evaluation").glob("cells/*.json"))


def trial_rows(*scores: float, status: str = "complete") -> list[dict]:
    return [
        {"trial": f"t{i}", "alpha": a, "epsilon": 0.1, "score": s, "status": status, "error": ""}
        for i, (a, s) in enumerate(zip((0.1, 0.2, 0.3, 0.4), scores))
    ]


def test_ties_go_to_the_first_trial_and_a_sweep_of_ties_chooses_nothing():
    sweep = sweep_from_config(maze_sweep())  # steps_to_optimal: the lower the better
    chosen = choose(sweep, trial_rows(300, 200, 200, 500))
    assert chosen["trial"] == "t1" and chosen["tied_with"] == ["t2"] and chosen["setting"]["alpha"] == 0.2
    chosen = choose(sweep, trial_rows(300, 100, 200, 200))
    assert chosen["trial"] == "t1" and chosen["tied_with"] == []
    with pytest.raises(NothingChosen, match=r"all 3 complete trials score 200: the steps_to_optimal cannot tell"):
        choose(sweep, trial_rows(200, 200, 200))
    rows = trial_rows(200, 200, 200)
    rows[0]["status"] = "diverged"
    with pytest.raises(NothingChosen, match=r"all 2 complete trials score 200 \(the other 1 diverged, failed or"):
        choose(sweep, rows)
    rows = trial_rows(200, 200, 200)
    rows[0]["status"] = rows[1]["status"] = "diverged"  # the one complete trial is chosen, even if it is bad
    assert choose(sweep, rows)["trial"] == "t2"
    rows = trial_rows(1, 2, 3, status="diverged")
    rows[2]["status"] = "error"
    with pytest.raises(
        NothingChosen, match=re.escape("no trial finished without diverging or failing (2 diverged, 1 error)")
    ):
        choose(sweep, rows)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"evaluation_seeds": [1001, 5]}, "evaluation_seeds must be training seeds (0..999), got 1001"),
        ({"tuning_seeds": [5, 1000]}, "tuning_seeds must be tuning seeds (1000..1999), got 5"),
        ({"space": {"alpah": {"grid": [0.1]}}}, "QLearning has no argument 'alpah' (did you mean 'alpha'?)"),
        ({"space": {"alpha": {"loguniform": [0.1, 1.0]}}}, "search = 'grid' cannot sample a loguniform range"),
        ({"search": "optuna"}, "search = 'optuna' samples; give a grid's values as {choice = [...]}"),
        ({"budget": 5}, "the grid has 6 settings but the budget is 5 trials"),
        ({"eval_at": [], "metric": "steps_to_optimal"}, "metric steps_to_optimal reads a learning curve: give eval_at"),
        (
            {"eval_at": [], "metric": "final_return", "early_stopping": "asha"},
            "early_stopping = 'asha' needs a learning curve",
        ),
        (
            {"metric": "area"},
            "metric must be one of mean_log_cost, final_return, final_normalized_score, steps_to_optimal",
        ),
        ({"space": {"alpha": {"loguniform": [1.0, 0.1]}}, "search": "optuna"}, "0 < low < high"),
        ({"agent_kwargs": {"alpha": 0.1}}, "alpha: both swept (space) and fixed (agent_kwargs)"),
        (
            {
                "env": "rl_envs/OctopusArm-v0",
                "env_kwargs": {},
                "agent": "COPDACQ",
                "space": {"alpha_theta": {"grid": [0.1]}},
                "metric": "steps_to_optimal",
                "eval_at": [500],
            },
            "metric steps_to_optimal needs an exact optimum, and rl_envs/OctopusArm-v0's reference is best-known",
        ),
        (
            {
                "env": "rl_envs/OctopusArm-v0",
                "env_kwargs": {"target": "random"},
                "agent": "COPDACQ",
                "space": {"alpha_theta": {"grid": [0.1]}},
                "metric": "final_normalized_score",
                "eval_at": [],
            },
            "metric final_normalized_score needs the environment's reference, and rl_envs/OctopusArm-v0 has none",
        ),
        (
            {
                "env": "rl_envs/QuadraticBandit-v0",
                "env_kwargs": {},
                "agent": "COPDACB",
                "space": {"alpha_theta": {"grid": [0.1]}},
                "metric": "final_normalized_score",
                "eval_at": [],
            },
            "depends on the problem each seed draws (the bandit's C)",
        ),
        (
            {
                "env": "rl_envs/VariableReward-v0",
                "env_kwargs": {},
                "agent": "ExpectileTD",
                "space": {"step_size": {"grid": [0.1]}},
                "metric": "final_normalized_score",
                "eval_at": [],
            },
            "needs a reference above the random policy's return",
        ),
        ({"eval_at": [100, 5000]}, "eval_at goes past the budget of 1500 steps"),
        ({"tuning_seeds": []}, "tuning_seeds must be a non-empty list"),
        ({"seeds": 3}, "unknown keys ['seeds']"),
    ],
)
def test_bad_sweep_configs_are_rejected_before_any_trial(change, message):
    with pytest.raises(cmp.ConfigError, match=re.escape(message)):
        sweep_from_config({**maze_sweep(), **change})


def test_the_command_line_reports_a_bad_sweep_in_one_line(tmp_path):
    config = tmp_path / "s.yml"
    config.write_text(json.dumps({**maze_sweep(), "evaluation_seeds": [1000]}))
    done = subprocess.run(
        [sys.executable, "-m", "baselines", "sweep", "--config", str(config), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "got 1000" in done.stderr, done.stderr
    assert not (tmp_path / "o").exists()


def test_metrics_on_hand_worked_curves():
    steps = [100, 1000, 10_000]
    costs = np.array([[10.0, 1.0, 0.1], [10.0, 1.0, 0.1]])
    assert Metric("mean_log_cost").score(steps, -costs, None) == pytest.approx(0.0)  # mean of 1, 0, -1
    assert Metric("mean_log_cost", first=1000).score(steps, -costs, None) == pytest.approx(-0.5)
    assert Metric("mean_log_cost").score(steps, -np.array([[1.0, np.inf, 1.0]]), None) == math.inf
    reached = np.array([[0.5, 0.96, 0.96], [0.5, 0.5, 0.96]])
    optimum = Reference("exact", 0.96, 0.96, 0.96, 0.0, 0.0, 0.0, "return", 1.0, "by hand")
    assert Metric("steps_to_optimal").score(steps, reached, optimum) == pytest.approx((1000 + 10_000) / 2)
    assert (
        Metric("steps_to_optimal").score(steps, np.array([[0.5, 0.5, 0.5]]), optimum) == 10_001
    )  # never: past the budget
    # 0.96 reached from a random policy's -1.04: the mean final return 0.72 is (0.72 + 1.04) / 2 of the way
    maze = Reference("exact", 0.96, 0.96, 0.96, -1.04, -1.04, -1.04, "return", 1.0, "by hand")
    final = np.array([[0, 0, 0.48], [0, 0, 0.96]])
    assert Metric("final_normalized_score").score(steps, final, maze) == pytest.approx(0.88)
    assert Metric("final_normalized_score").score(steps, np.array([[0, 0, np.nan]]), maze) == -math.inf
    assert Metric("final_return").score(steps, np.array([[0, 0, 1.0], [0, 0, 3.0]]), None) == 2.0


def test_importing_the_commands_does_not_import_ray():
    code = "import baselines.__main__, baselines.sweep, baselines.compare.ray_backend, sys; print('ray' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    assert done.stdout.strip() == "False", done.stderr


@pytest.mark.parametrize(
    "run",
    [
        {"env": "rl_envs/QuadraticBandit-v0", "env_kwargs": {"dim": 10}, "agents": ["COPDACB"], "steps": 400},
        {"env": "rl_envs/GridMaze-v0", "env_kwargs": {"layout": "book3x3"}, "agents": ["QLearning"], "steps": 3000},
    ],
)
def test_checkpoints_do_not_change_what_a_cell_learns(run):
    """A cell with eval_at learns in pieces and evaluates between them: the same agent, bit for bit."""
    (plain,) = cmp.cells_from_config({"runs": [{**run, "seeds": [7], "eval_episodes": 1}]})
    (pieces,) = cmp.cells_from_config({"runs": [{**run, "seeds": [7], "eval_episodes": 1, "eval_at": [1, 50, 333]}]})
    a, b = cmp.run_cell(plain), cmp.run_cell(pieces)
    assert {k: v for k, v in a["row"].items() if k not in (*cmp.run.TIMINGS, "test_seeds")} == {
        k: v for k, v in b["row"].items() if k not in (*cmp.run.TIMINGS, "test_seeds")
    }
    # each evaluation plays the next episodes of the run's stream (both tasks are deterministic,
    # so the final return is the same from the 1st checkpoint's episode as from the 4th's)
    assert a["row"]["test_seeds"] == seeds.checkpoint_test_seeds(7, 0, 1)
    assert b["row"]["test_seeds"] == [seeds.checkpoint_test_seeds(7, c, 1)[0] for c in range(4)]
    assert a["log"] == {k: v for k, v in b["log"].items() if k not in ("eval_steps", "eval_returns")}
    assert b["log"]["eval_steps"] == [1, 50, 333] and len(b["log"]["eval_returns"]) == 3


def test_a_bandit_cell_is_evaluated_on_the_problem_it_learned():
    from baselines.compare.run import make_agent

    (cell,) = cmp.cells_from_config(
        {
            "runs": [
                {
                    "env": "rl_envs/QuadraticBandit-v0",
                    "env_kwargs": {"dim": 10},
                    "steps": 400,
                    "seeds": [3],
                    "eval_episodes": 1,
                    "agents": ["COPDACB"],
                }
            ]
        }
    )
    record = cmp.run_cell(cell)
    agent = make_agent(cell.agent, cell.env, cell.env_kwargs, cell.seed, {}).learn(400)
    assert record["row"]["return"] == -agent.env.unwrapped.cost(agent.theta)
