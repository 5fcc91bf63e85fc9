"""The leaderboard's grid (one budget per environment, its two sizes, tuned settings read and
labelled), the table's "budget too small to tell" rule, the cost model behind the run-time
estimates, and the progress bar that names the running cells."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import gymnasium as gym
import pytest

import rl_envs
from baselines import compare as cmp
from baselines.compare.costs import CostTable, estimate, load_costs, measure, slowdown
from baselines.compare.report import FLAG, NEAR_BASELINE, not_above_baseline, score_interval
from baselines.sb3 import build_model, load_hyperparams, train
from baselines.tuning import write_tuned

ROOT = Path(__file__).resolve().parents[1]


def test_every_agent_of_a_row_trains_for_the_rows_budget():
    for size in cmp.SIZES.values():
        cells = cmp.cells_from_config(cmp.leaderboard_config(size.name))
        assert {c.env for c in cells} == set(rl_envs.ENV_IDS)
        for row in cmp.leaderboard_rows():
            mine = [c for c in cells if c.env == row["env"]]
            assert {c.steps for c in mine} == {row[size.budget_key]}, (size.name, row["env"])
            assert sorted({c.agent for c in mine}) == sorted(row["agents"])
            assert sorted({c.seed for c in mine}) == list(range(size.seeds))
    assert cmp.default_config() == cmp.leaderboard_config("quick")
    with pytest.raises(ValueError, match="size must be one of 'full', 'quick', got 'huge'"):
        cmp.leaderboard_config("huge")


def test_sb3_algorithms_of_a_row_suit_its_action_space_and_have_an_entry_of_their_own():
    """PPO everywhere, and SAC on continuous actions or DQN on discrete ones (none where there is one
    action); each (algorithm, environment) pair has its own entry in the defaults, not the generic one."""
    for row in cmp.LEADERBOARD:
        space = gym.make(row["env"], **row.get("env_kwargs", {})).action_space
        sb3 = {a for a in row["agents"] if a in cmp.SB3_AGENTS}
        off_policy = set() if getattr(space, "n", None) == 1 else {"DQN" if hasattr(space, "n") else "SAC"}
        assert sb3 == {"PPO"} | off_policy, row["env"]
        assert set(row["agents"]) - sb3, f"{row['env']} has no reference agent"
        for agent in sb3:
            algo = cmp.SB3_AGENTS[agent]
            assert load_hyperparams(algo, row["env"]) != load_hyperparams(algo, "default"), (agent, row["env"])


def test_untuned_settings_are_labelled_as_such_and_tuned_ones_are_read(tmp_path):
    config = cmp.leaderboard_config("full", tmp_path)  # no tuned file there: nothing is tuned
    settings = {(run["env"], agent): label for run in config["runs"] for agent, label in run["settings"].items()}
    assert settings["rl_envs/GridMaze-v0", "PPO"] == settings["rl_envs/GridMaze-v0", "QLearning"] == "defaults"
    assert settings["rl_envs/LQControl-v0", "LinearReinforce"] == "experiments"
    assert not any(label.startswith("tuned") for label in settings.values())
    record = {"trials": 7, "tuning_seeds": [1000], "steps": 50_000}
    write_tuned("QLearning", "rl_envs/GridMaze-v0", {"alpha": 0.3}, {"layout": "dyna_maze"}, record, tmp_path)
    # an entry tuned for other env_kwargs is not this row's
    write_tuned("PPO", "rl_envs/GridMaze-v0", {"learning_rate": 0.01}, {"layout": "book3x3"}, record, tmp_path)
    for size, label in (("full", "tuned (7 trials)"), ("quick", "tuned (7 trials at 50,000 steps)")):
        (grid,) = [r for r in cmp.leaderboard_config(size, tmp_path)["runs"] if r["env"] == "rl_envs/GridMaze-v0"]
        assert grid["agents"]["QLearning"] == {"alpha": 0.3} and grid["settings"]["QLearning"] == label
        assert grid["agents"]["PPO"] == {} and grid["settings"]["PPO"] == "defaults"
    cells = cmp.cells_from_config(cmp.leaderboard_config("full", tmp_path))
    tuned = next(c for c in cells if c.agent == "QLearning")
    assert tuned.settings == "tuned (7 trials)" and tuned.as_dict()["settings"] == "tuned (7 trials)"
    untagged = cmp.Cell(tuned.env, tuned.agent, tuned.seed, tuned.steps, tuned.env_kwargs, tuned.agent_kwargs)
    assert "settings" not in untagged.as_dict() and untagged.key != tuned.key  # the label is part of the cell


def test_a_run_says_where_its_settings_come_from():
    run = {"env": "rl_envs/GridMaze-v0", "steps": 10, "seeds": 1, "agents": {"QLearning": {}}}
    (cell,) = cmp.cells_from_config({"runs": [{**run, "settings": {"QLearning": "mine", "PPO": "filtered out"}}]})
    assert cell.settings == "mine"
    with pytest.raises(cmp.ConfigError, match="settings must map agents' names to texts"):
        cmp.cells_from_config({"runs": [{**run, "settings": {"QLearnig": "tuned"}}]})
    with pytest.raises(cmp.ConfigError, match="settings must map agents' names to texts"):
        cmp.cells_from_config({"runs": [{**run, "settings": {"QLearning": 3}}]})


def rows_with_scores(scores, low=None, high=None):
    return [
        {
            "env": "e",
            "agent": "a",
            "seed": seed,
            "steps": 10,
            "return": score,
            "wall_time_s": 1.0,
            "env_kwargs": "{}",
            "reference": 1.0,
            "reference_low": 1.0,
            "reference_high": 1.0,
            "random_return": 0.0,
            "normalized_score": score,
            "normalized_low": score if low is None else low[seed],
            "normalized_high": score if high is None else high[seed],
        }
        for seed, score in enumerate(scores)
    ]


def test_a_score_not_shown_above_the_random_policys_is_flagged():
    # Two seeds: the bootstrap's percentile interval of the mean is the seeds' range.
    assert score_interval(rows_with_scores([0.2, 0.6])) == pytest.approx((0.2, 0.6))
    assert not not_above_baseline(rows_with_scores([0.2, 0.6]))
    assert not_above_baseline(rows_with_scores([0.01, 0.6]))  # a seed at the baseline's score
    assert not_above_baseline(rows_with_scores([-4.0, -3.0]))  # a greedy policy worse than the baseline
    # one seed: its own bounds (an interval reference)
    assert not_above_baseline(rows_with_scores([0.3], low=[NEAR_BASELINE], high=[0.6]))
    assert not not_above_baseline(rows_with_scores([0.3], low=[0.1], high=[0.6]))
    assert score_interval([{**r, "normalized_score": None} for r in rows_with_scores([0.5])]) is None
    table = cmp.summary_table(rows_with_scores([0.0, 0.01]) + [{**r, "agent": "b"} for r in rows_with_scores([1, 1])])
    assert table[2].endswith(f"| {FLAG} |") and table[3].endswith("|  |")
    # the note under the table explains the flag where a row has it, and only there
    lines = cmp.summary_lines(rows_with_scores([0.0, 0.01]))
    assert any(line.startswith(f"* {FLAG}: the 95 % bootstrap interval") for line in lines)
    assert not any(FLAG in line for line in cmp.summary_lines(rows_with_scores([0.5, 0.6])))


def record(env, agent, steps, train_s, cell_s=None):
    """A finished cell's record with the processor times of its training and of the whole cell
    (a record written before they were kept has only the training's wall time)."""
    row = {"env": env, "agent": agent, "steps": steps, "wall_time_s": 100 * train_s}
    if cell_s is None:
        return {"row": {**row, "wall_time_s": train_s}}
    return {"row": {**row, "train_cpu_s": train_s, "cell_cpu_s": cell_s}}


def test_the_cost_model_on_hand_worked_cells(tmp_path):
    records = [
        record("A", "PPO", 1000, 2.0, 3.0),  # 2 ms a step, 1 s besides
        record("A", "PPO", 2000, 6.0, 8.0),  # 3 ms a step, 2 s besides: the pair's means are 2.5 ms and 1.5 s
        record("B", "PPO", 100, 0.1),  # 1 ms a step: written before processor times, its wall time, no rest
        record("A", "SAC", 100, 1.0, 1.0),
    ]
    costs = measure(records)
    assert costs.costs == {
        ("A", "PPO"): (pytest.approx(0.0025), pytest.approx(1.5)),
        ("B", "PPO"): (pytest.approx(0.001), 0.0),
        ("A", "SAC"): (pytest.approx(0.01), 0.0),
    }
    assert costs.per_cell("A", "PPO", 4000) == (pytest.approx(11.5), True)
    # not measured: the agent's median per-step cost elsewhere, no rest
    assert costs.per_cell("C", "PPO", 4000) == (pytest.approx(4000 * 0.00175), False)
    assert costs.per_cell("C", "DQN", 100) == (pytest.approx(100 * 0.0025), False)  # every pair's median
    cells = [cmp.Cell("A", "PPO", s, 4000) for s in range(3)] + [cmp.Cell("A", "SAC", 0, 100)]
    # two workers, in order: 11.5 and 11.5, then 11.5 on the first free one (23), then SAC's 1 on the other
    plan = estimate(cells, costs, workers=2)
    assert plan.seconds == plan.idle_seconds == pytest.approx(23.0) and plan.cell_seconds == pytest.approx(35.5)
    assert (plan.cells, plan.unmeasured, plan.longest) == (4, 0, ("A PPO s0", pytest.approx(11.5)))
    assert plan.text().startswith("4 cells: about 23 s on 2 worker(s) of an idle machine (36 processor-seconds")
    # 2 workers while 3 other processes run on 2 cores: each gets 2/5 of a core
    assert slowdown(2, load=3.0, cores=2) == 2.5 and slowdown(1, load=0.2, cores=2) == 1.0
    loaded = estimate(cells, costs, workers=2, slow=2.5)
    assert loaded.seconds == pytest.approx(57.5) and "about 58 s at the load average now" in loaded.text()
    assert "no estimate" in estimate(cells, CostTable(), 2).text()
    path = tmp_path / "costs.json"
    path.write_text(json.dumps(costs.to_json()))
    assert load_costs(path).costs == costs.costs
    path.write_text('{"costs": [{"env": "A"}]}')
    with pytest.raises(ValueError, match="is not a cost table"):
        load_costs(path)


def test_the_packaged_costs_price_every_cell_of_the_leaderboard():
    costs = load_costs()
    for size in cmp.SIZES:
        cells = cmp.cells_from_config(cmp.leaderboard_config(size))
        assert all(costs.per_cell(c.env, c.agent, c.steps)[1] for c in cells), size


def test_the_progress_bar_names_the_running_cells_and_the_run_records_costs(tmp_path, capsys):
    cells = cmp.cells_from_config(
        {
            "runs": [
                {
                    "env": "rl_envs/GridMaze-v0",
                    "env_kwargs": {"layout": "book3x3"},
                    "steps": 200,
                    "seeds": 2,
                    "eval_episodes": 1,
                    "agents": {"QLearning": {}},
                }
            ]
        }
    )
    cmp.compare(cells, tmp_path, cmp.SerialBackend(), title="**A title**")
    err = capsys.readouterr().err
    assert "running: GridMaze-v0 QLearning s0 (0 s)" in err and "running: GridMaze-v0 QLearning s1" in err
    assert (tmp_path / "summary.md").read_text().startswith("**A title**\n\n| environment | agent | settings |")
    records = [json.loads(p.read_text()) for p in sorted((tmp_path / "cells").glob("*.json"))]
    assert all(r["row"]["cell_cpu_s"] >= r["row"]["train_cpu_s"] > 0 for r in records)
    written = load_costs(tmp_path / "costs.json")
    assert written.costs == measure(records).costs and written.measured["cpu"]["cores"] >= 1


def baselines(*args):
    return subprocess.run(
        [sys.executable, "-m", "baselines", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_compare_prints_its_size_and_estimate_before_it_starts(tmp_path):
    full = baselines("compare", "--full", "--estimate", "--out", tmp_path / "full")
    assert full.returncode == 0, full.stderr
    first, second = full.stdout.splitlines()[:2]
    assert first.startswith("The leaderboard (python -m baselines compare --full): 10 seeds")
    n = len(cmp.cells_from_config(cmp.leaderboard_config("full")))
    assert second.startswith(f"estimated: {n} cells: about ") and "on 2 worker(s) of an idle machine" in second
    quick = baselines("compare", "--estimate", "--workers", "1", "--out", tmp_path / "quick")
    assert quick.returncode == 0 and quick.stdout.startswith("Quick run (make run): 2 seeds")
    assert "on 1 worker(s)" in quick.stdout
    assert not (tmp_path / "full").exists() and not (tmp_path / "quick").exists()
    both = baselines("compare", "--full", "--config", "x.toml")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr


def test_estimates_from_the_packaged_costs_are_in_proportion():
    """The full leaderboard costs more than the quick run by at least its seeds' ratio (its
    budgets are never smaller)."""
    costs = load_costs()
    quick, full = (
        estimate(cmp.cells_from_config(cmp.leaderboard_config(size)), costs, 2).cell_seconds
        for size in ("quick", "full")
    )
    assert full >= quick * cmp.SIZES["full"].seeds / cmp.SIZES["quick"].seeds
    assert np.isfinite(full)


def test_the_reports_budget_table_is_the_leaderboards():
    lines = (ROOT / "docs" / "reports" / "sb3-comparison.md").read_text().splitlines()
    start = lines.index("| environment | comparison budget (steps) | quick budget (steps) | agents |")
    table = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        env, budget, quick, agents = (c.strip() for c in line.strip("|").split("|"))
        table.append(("rl_envs/" + env.split()[0], int(budget.replace(",", "")), int(quick.replace(",", "")), agents))
    assert table == [
        (row["env"], row["budget"], row["quick_budget"], ", ".join(row["agents"])) for row in cmp.LEADERBOARD
    ]


SB3_PAIRS = [(agent, row["env"]) for row in cmp.LEADERBOARD for agent in row["agents"] if agent in cmp.SB3_AGENTS]


def assert_native_copies(model, entry: dict) -> None:
    """The model steps ``entry``'s ``n_envs`` copies in the env's native vector env (under
    VecMonitor, and VecNormalize where the entry normalises), unless the entry wraps single envs
    in a filter without a vector counterpart (BeliefState, PPO's on the partially observable
    maze), which takes the DummyVecEnv."""
    from stable_baselines3.common.vec_env import DummyVecEnv

    from baselines.sb3_vec import GymnasiumVecEnv

    base = model.get_env().unwrapped
    single_envs = "BeliefState" in str(entry.get("env_wrapper"))
    assert isinstance(base, DummyVecEnv if single_envs else GymnasiumVecEnv), type(base)
    assert base.num_envs == entry.get("n_envs", 1)


@pytest.mark.parametrize("agent, env_id", SB3_PAIRS, ids=[f"{a}-{e[8:]}" for a, e in SB3_PAIRS])
def test_every_sb3_pair_of_the_leaderboard_builds_from_its_entry(agent, env_id):
    model = build_model(cmp.SB3_AGENTS[agent], env_id)
    entry = load_hyperparams(cmp.SB3_AGENTS[agent], env_id)
    assert model.gamma == entry.get("gamma", 0.99)
    if "NormalizeAction" in str(entry.get("env_wrapper")):  # Box actions rescaled into [-1, 1]
        assert model.action_space.low.min() == -1 and model.action_space.high.max() == 1
    assert_native_copies(model, entry)
    # On-policy rollouts gain from copies (one with nothing to choose, VariableReward, needs
    # none); the off-policy entries keep one, as SB3 counts train_freq and gradient_steps in
    # VecEnv calls (docs/guides/train-sb3.md)
    if agent in ("PPO", "A2C"):
        assert entry["n_envs"] > 1 or model.action_space.n == 1
    else:
        assert entry.get("n_envs", 1) == 1


@pytest.mark.parametrize(
    "env_id", ["rl_envs/GridMaze-v0", "rl_envs/LQControl-v0", "rl_envs/PendulumSwingUp-v0", "rl_envs/OctopusArm-v0"]
)
def test_ppo_trains_on_the_native_vector_env_of_its_entry(env_id):
    model = train("ppo", env_id, total_timesteps=64, hyperparams={"n_steps": 16, "batch_size": 16})
    assert model.num_timesteps >= 64
    assert_native_copies(model, load_hyperparams("ppo", env_id))
