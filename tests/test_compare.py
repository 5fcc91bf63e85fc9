import json
import os

import numpy as np
import gymnasium as gym
import pytest
import yaml

import rl_envs
from baselines import compare as cmp
from baselines.sb3 import ALGOS, HYPERPARAMS_DIR, SB3Agent
from rl_envs.core import Reference


def tiny_config(agents, steps=300, seeds=1, env="rl_envs/GridMaze-v0"):
    return {"runs": [{"env": env, "steps": steps, "seeds": seeds, "eval_episodes": 1, "agents": agents}]}


def test_yaml_entries_name_registered_envs_and_known_keys():
    """Each entry names a registered id, or is the 'default' entry every file has (rl_zoo3 reads
    that key for an id without an entry, and so does load_hyperparams)."""
    for algo in ALGOS:
        entries = yaml.safe_load((HYPERPARAMS_DIR / f"{algo}.yml").read_text()) or {}
        assert "default" in entries, f"{algo}.yml has no 'default' entry"
        for env_id, hp in entries.items():
            assert env_id == "default" or (env_id in gym.registry and env_id.startswith("rl_envs/"))
            assert isinstance(hp, dict) and "n_timesteps" in hp and "policy" in hp


@pytest.mark.parametrize("env_id", rl_envs.ENV_IDS)
def test_every_env_trains_with_a_suitable_sb3_algorithm(env_id):
    space = gym.make(env_id).action_space
    candidates = ["dqn", "ppo", "a2c"] if isinstance(space, gym.spaces.Discrete) else ["sac", "td3", "ppo"]
    algos = [a for a in candidates if env_id in (yaml.safe_load((HYPERPARAMS_DIR / f"{a}.yml").read_text()) or {})]
    assert algos, f"no SB3 defaults for {env_id} in {candidates}"
    agent = SB3Agent(
        env_id, algo=algos[0], seed=0, **({"learning_starts": 50} if algos[0] in ("dqn", "sac", "td3") else {})
    )
    agent.learn(256)
    env = agent.make_eval_env()
    obs, _ = env.reset(seed=0)
    action, _ = agent.predict(obs)
    assert env.action_space.contains(np.asarray(action).astype(env.action_space.dtype).reshape(env.action_space.shape))
    from baselines.evaluation import evaluate

    ret, _ = evaluate(agent, env, n_episodes=1)
    assert np.isfinite(ret)


def test_sb3_agent_save_and_load_predict_the_same(tmp_path):
    agent = SB3Agent("rl_envs/GridMaze-v0", algo="ppo", seed=0, n_steps=64, n_envs=1).learn(128)
    agent.save(tmp_path / "ppo")
    loaded = SB3Agent.load(tmp_path / "ppo")
    obs = np.arange(9)
    assert np.array_equal(loaded.predict(obs)[0], agent.predict(obs)[0])


def test_tiny_compare_writes_every_output(tmp_path):
    cells = cmp.cells_from_config(tiny_config({"QLearning": {}, "PPO": {"n_steps": 64, "n_envs": 1}}, seeds=2))
    result = cmp.compare(cells, tmp_path, progress_bar=False)
    assert not result.failed and result.ran == 4
    for name in (
        "results.csv",
        "results.json",
        "summary.md",
        "curves/rl_envs_GridMaze-v0.png",
        "gifs/rl_envs_GridMaze-v0.gif",
        "provenance.md",
        "aggregate.md",
        "scores.npz",
        "scores.json",
    ):
        assert (tmp_path / name).stat().st_size > 0, name
    # GridMaze's exact reference: its normalized scores are aggregated, and its regret tabulated
    aggregated = (tmp_path / "aggregate.md").read_text()
    assert "declares no reference()" not in aggregated and "| rl_envs/GridMaze-v0 | PPO | 2 | 0.96 |" in aggregated
    results = json.loads((tmp_path / "results.json").read_text())
    rows = results["rows"]
    assert {r["agent"] for r in rows} == {"QLearning", "PPO"}
    assert results["provenance"]["cells"] == {"ran": 4, "reused": 0, "failed": 0}
    assert results["provenance"]["seeds"]["training"] == {"count": 2, "ranges": [[0, 1]]}
    ref = gym.make("rl_envs/GridMaze-v0").unwrapped.reference()
    for r in rows:  # the maze's exact references, and the return normalized between them
        assert r["reference"] == r["reference_low"] == r["reference_high"] == pytest.approx(0.96)
        assert r["random_return"] == ref.random and r["normalized_score"] == r["normalized_low"] == r["normalized_high"]
        assert r["normalized_score"] == pytest.approx((r["return"] - ref.random) / (0.96 - ref.random))
        assert (r["baseline"], r["reference_gamma"]) == ("uniform random", 1.0)
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith(
        "| environment | agent | settings | seeds | steps | wall time / seed (s) | return (mean ± sd) | reference | "
        "baseline |"
    )
    assert "| rl_envs/GridMaze-v0 | QLearning |  | 2 | 300 |" in summary
    assert f"| 0.96 | {ref.random:.4g} (uniform random) |" in summary


def test_interrupted_run_resumes_only_the_missing_cells(tmp_path, monkeypatch):
    cells = cmp.cells_from_config(tiny_config({"QLearning": {}}, seeds=3))
    real = cmp.run_cell

    def flaky(cell):
        if cell.seed == 1:
            raise RuntimeError("node lost")
        return real(cell)

    monkeypatch.setattr(cmp.run, "run_cell", flaky)
    first = cmp.compare(cells, tmp_path, progress_bar=False)
    assert [c.seed for c, _ in first.failed] == [1] and first.ran == 2
    assert "node lost" in first.failed[0][1]
    saved = tmp_path.parent / "first_results.json"
    saved.write_text((tmp_path / "results.json").read_text())
    ran = []
    monkeypatch.setattr(cmp.run, "run_cell", lambda cell: ran.append(cell.seed) or real(cell))
    second = cmp.compare(cells, tmp_path, progress_bar=False)
    assert ran == [1] and second.reused == 2 and not second.failed and len(second.rows) == 3
    # The resumed run's provenance covers the cells it reused: the first invocation is listed.
    first_entry, second_entry = (json.loads(p.read_text())["provenance"] for p in (saved, tmp_path / "results.json"))
    assert second_entry["cells"] == {"ran": 1, "reused": 2, "failed": 0}
    (earlier,) = second_entry["earlier"]
    assert earlier["started"] == first_entry["started"] and earlier["cells"] == first_entry["cells"]
    text = (tmp_path / "provenance.md").read_text()
    assert "resumed: this invocation ran 1 cell and reused 2" in text and first_entry["started"] in text


def test_process_pool_backend_runs_cells(tmp_path):
    cells = cmp.cells_from_config(tiny_config({"QLearning": {}}, seeds=2))
    result = cmp.compare(cells, tmp_path, backend=cmp.ProcessPoolBackend(2), progress_bar=False)
    assert result.ran == 2 and len(result.rows) == 2


@pytest.mark.parametrize(
    "config, message",
    [
        ({}, "non-empty list 'runs'"),
        (tiny_config({"QLearning": {}}, env="rl_envs/Nope-v0"), "unknown environment 'rl_envs/Nope-v0'"),
        (tiny_config({"Nope": {}}), "unknown agent 'Nope'"),
        (tiny_config({"QLearning": {}}, steps=-5), "steps must be a positive int"),
        (tiny_config({"QLearning": {}}, steps="many"), "steps must be a positive int"),
        (tiny_config({"QLearning": {}}, seeds=[-1]), "seeds must be"),
        (tiny_config({"QLearning": {}}, seeds=[3, 2000]), r"seed must be a training seed \(0..999\) or a tuning seed"),
        (tiny_config({"QLearning": 3}), "must be a mapping"),
        ({"runs": [{"env": "rl_envs/GridMaze-v0", "steps": 10, "agents": ["QLearning"], "typo": 1}]}, "unknown keys"),
    ],
)
def test_bad_configs_are_rejected_before_any_work(config, message):
    with pytest.raises(cmp.ConfigError, match=message):
        cmp.cells_from_config(config)


def test_config_files(tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('[[runs]]\nenv = "rl_envs/GridMaze-v0"\nsteps = 100\nseeds = [0, 4]\nagents = ["QLearning"]\n')
    cells = cmp.cells_from_config(cmp.load_config(toml))
    assert [c.seed for c in cells] == [0, 4]
    bad = tmp_path / "c.yaml"
    bad.write_text("runs: [\n")
    with pytest.raises(cmp.ConfigError, match=r"c\.yaml"):
        cmp.load_config(bad)
    txt = tmp_path / "c.txt"
    txt.write_text("runs = []")
    with pytest.raises(cmp.ConfigError, match=r"must be \.toml"):
        cmp.load_config(txt)


def test_command_line_run_and_bad_config(tmp_path, capsys):
    from baselines.__main__ import main

    out = tmp_path / "demo"
    assert main(["run", "--steps", "300", "--seeds", "1", "--workers", "1", "--no-progress", "--out", str(out)]) == 0
    assert "| rl_envs/GridMaze-v0 | QLearning |  | 1 |" in capsys.readouterr().out
    assert (out / "gifs" / "rl_envs_GridMaze-v0.gif").exists()
    bad = tmp_path / "bad.toml"
    bad.write_text('[[runs]]\nenv = "rl_envs/GridMaze-v0"\nsteps = -1\nagents = ["QLearning"]\n')
    assert main(["compare", "--config", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "steps must be a positive int" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_command_line_key_value_arguments(tmp_path, capsys):
    """Values are Python literals where they parse, text otherwise; a pair without '=' is a usage
    error naming the option, before any work."""
    from baselines.__main__ import key_value, main

    assert [key_value(t) for t in ("slip=0.1", "size=(5, 5)", "layout=dyna_maze", "note=")] == [
        ("slip", 0.1),
        ("size", (5, 5)),
        ("layout", "dyna_maze"),
        ("note", ""),
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--env-kwargs", "slip", "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2 and "--env-kwargs: expected KEY=VALUE, got 'slip'" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_default_config_is_valid_and_covers_every_env():
    cells = cmp.cells_from_config(cmp.default_config())
    assert {c.env for c in cells} == set(rl_envs.ENV_IDS)
    for env_id in rl_envs.ENV_IDS:
        agents = {c.agent for c in cells if c.env == env_id}
        assert agents & set(cmp.SB3_AGENTS) and agents - set(cmp.SB3_AGENTS), (
            f"{env_id}: needs a reference and an SB3 agent"
        )


def test_every_row_of_the_default_comparison_has_a_reference():
    """No n/a in the default table's reference columns (issue 26): every run's environment declares
    a reference of the quantity its rows report, the discounted return where the run measures it."""
    from baselines.evaluation import reference_of

    for run in cmp.default_config()["runs"]:
        env = gym.make(run["env"], **run.get("env_kwargs", {}))
        env.reset(seed=0)  # the bandit draws its problem
        discounted = run.get("measure", {}).get("name") == "discounted_reward"
        ref = reference_of(env, discounted=discounted)
        assert ref is not None and (ref.gamma < 1) == discounted, run["env"]


def test_summary_keeps_settings_apart():
    base = {
        "env": "rl_envs/GridMaze-v0",
        "agent": "QLearning",
        "seed": 0,
        "return": 1.0,
        **cmp.reference_columns(1.0, Reference("exact", 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, "q", 1.0, "m")),
        "wall_time_s": 0.1,
        "env_kwargs": "{}",
        "agent_kwargs": "{}",
        "steps": 100,
    }
    rows = [
        base,
        {**base, "seed": 1},
        {**base, "steps": 200},
        {**base, "agent_kwargs": '{"alpha": 0.1}'},
        {**base, "env_kwargs": '{"layout": "+-+\\n|S|"}'},
    ]
    lines = cmp.summary_table(rows)[2:]
    assert len(lines) == 4  # seeds 0 and 1 together; another budget, agent setting or layout apart
    assert any("| QLearning {} (100 steps) |  | 2 |" in line for line in lines)
    assert any("| QLearning {} (200 steps) |  | 1 |" in line for line in lines)
    assert any('| QLearning {"alpha": 0.1} (100 steps) |  | 1 |' in line for line in lines)
    assert all(line.count(" | ") == 10 for line in lines)  # a bar inside a layout text is escaped
    a, b = (
        cmp.file_name("rl_envs/GridMaze-v0", '{"layout": "S.#.G"}', "x"),
        cmp.file_name("rl_envs/GridMaze-v0", '{"layout": "S. .G"}', "x"),
    )
    assert a != b and len(cmp.file_name("rl_envs/GridMaze-v0", '{"layout": "' + "x" * 500 + '"}', "x")) < 100


def test_reference_columns_and_their_summary():
    """(R - random) / (reference - random) on hand-worked records: a negative optimum (a cost), an
    optimum of 0, a bounds record's interval, and no score where every policy is optimal."""
    lq = Reference("exact", -2.0, -2.0, -2.0, -10.0, -10.0, -10.0, "q", 1.0, "m")
    assert cmp.reference_columns(-4.0, lq) == {
        "reference": -2.0,
        "reference_low": -2.0,
        "reference_high": -2.0,
        "random_return": -10.0,
        "normalized_score": 0.75,
        "normalized_low": 0.75,
        "normalized_high": 0.75,
    }
    bandit = Reference("exact", 0.0, 0.0, 0.0, -800.0, -800.0, -800.0, "q", 1.0, "m")
    assert cmp.reference_columns(-8.0, bandit)["normalized_score"] == pytest.approx(0.99)
    bounds = Reference("bounds", 2.0, 1.0, 3.0, 0.0, 0.0, 0.0, "q", 1.0, "m")
    columns = cmp.reference_columns(1.5, bounds)
    assert (columns["normalized_score"], columns["normalized_low"], columns["normalized_high"]) == (0.75, 0.5, 1.5)
    one_action = Reference("exact", 5.0, 5.0, 5.0, 5.0, 5.0, 5.0, "q", 1.0, "m")
    assert cmp.reference_columns(5.0, one_action)["normalized_score"] is None
    assert cmp.reference_columns(None, lq)["normalized_score"] is None and cmp.reference_columns(
        1.0, None
    ) == dict.fromkeys(cmp.REFERENCE_COLUMNS)
    row = {"env": "e", "agent": "a", "seed": 0, "steps": 10, "wall_time_s": 1.0, "env_kwargs": "{}"}
    rows = [
        {**row, "seed": 0, "return": 1.5, **columns},
        {**row, "seed": 1, "return": 2.0, **cmp.reference_columns(2.0, bounds)},
    ]
    line = cmp.summary_table(rows)[2]
    # the reference with its bounds, the random value, and the mean score with the mean of its interval
    assert "| 2 [1, 3] | 0 | 0.875 [0.583, 1.750] |" in line, line
    assert "| n/a | n/a | n/a |" in cmp.summary_table([{**rows[0], **dict.fromkeys(cmp.REFERENCE_COLUMNS)}])[2]
    # the baseline is named beside its value (LQ control's is the zero control)
    lq_row = {**row, "return": -4.0, **cmp.reference_columns(-4.0, lq), **cmp.reference_notes(lq)}
    assert "| -2 | -10 (uniform random) | 0.750 |" in cmp.summary_table([lq_row])[2]
    zero = Reference("exact", -2.0, -2.0, -2.0, -10.0, -10.0, -10.0, "q", 1.0, "m", baseline="zero control (u = 0)")
    assert "| -10 (zero control (u = 0)) |" in cmp.summary_table([{**lq_row, **cmp.reference_notes(zero)}])[2]
    assert cmp.reference_notes(None) == {"baseline": None, "reference_gamma": None}


@pytest.mark.parametrize(
    "algo, env_id, steps",
    [
        ("ppo", "rl_envs/GridMaze-v0", 256),
        pytest.param("sac", "rl_envs/QuadraticBandit-v0", 300, marks=pytest.mark.slow),
    ],
)
def test_rl_zoo3_trains_from_our_yaml(tmp_path, algo, env_id, steps):
    pytest.importorskip("rl_zoo3")
    import subprocess
    import sys

    cmd = [
        sys.executable,
        "-m",
        "rl_zoo3.train",
        "--algo",
        algo,
        "--env",
        env_id,
        "--gym-packages",
        "rl_envs",
        "--conf-file",
        str(HYPERPARAMS_DIR / f"{algo}.yml"),
        "-n",
        str(steps),
        "--eval-freq",
        "-1",
        "--log-folder",
        str(tmp_path),
    ]
    # The zoo leaves SB3's logger without a folder, and SB3 then makes SB3-<date> in the system temp dir.
    env = {**os.environ, "SB3_LOGDIR": str(tmp_path / "sb3_log")}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert list((tmp_path / algo).glob(f"{env_id.replace('/', '-')}_*/*.zip"))
    # The zoo extra also holds what enjoy imports (requests, through its hub loader).  300 steps
    # end an episode: the default 3x3 maze truncates at 225.
    cmd = [
        sys.executable,
        "-m",
        "rl_zoo3.enjoy",
        "--algo",
        algo,
        "--env",
        env_id,
        "--gym-packages",
        "rl_envs",
        "-f",
        str(tmp_path),
        "-n",
        "300",
        "--no-render",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Episodes" in out.stdout, out.stdout[-2000:]


def test_plot_merges_result_folders(tmp_path, capsys):
    from baselines.__main__ import main

    common = ["--steps", "300", "--seeds", "1", "--workers", "1", "--no-progress"]
    assert main(["run", *common, "--agent", "QLearning", "--out", str(tmp_path / "ref")]) == 0
    assert main(["run", *common, "--agent", "Sarsa", "--out", str(tmp_path / "other")]) == 0
    capsys.readouterr()
    merged = tmp_path / "merged"
    assert main(["plot", str(tmp_path / "ref"), str(tmp_path / "other"), "--out", str(merged)]) == 0
    out = capsys.readouterr().out
    assert "| QLearning |  | 1 |" in out and "| Sarsa |  | 1 |" in out
    merged_results = json.loads((merged / "results.json").read_text())
    rows = merged_results["rows"]
    assert sorted(r["agent"] for r in rows) == ["QLearning", "Sarsa"]
    assert merged_results["provenance"]["read_from"] == [str(tmp_path / "ref"), str(tmp_path / "other")]
    assert (merged / "curves" / "rl_envs_GridMaze-v0.png").stat().st_size > 0
    assert (
        main(
            [
                "run",
                *common,
                "--agent",
                "QLearning",
                "--env-kwargs",
                "layout=dyna_maze",
                "--out",
                str(tmp_path / "dyna"),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "ref"), str(tmp_path / "dyna"), "--out", str(tmp_path / "layouts")]) == 0
    out = capsys.readouterr().out  # one id with two layouts: two rows, two curve files
    assert (
        '| rl_envs/GridMaze-v0 {"layout": "dyna_maze"} | QLearning |' in out
        and "| rl_envs/GridMaze-v0 {} | QLearning |" in out
    )
    names = sorted(p.name for p in (tmp_path / "layouts" / "curves").iterdir())
    assert len(names) == 2 and names[1].startswith("rl_envs_GridMaze-v0_layout_dyna_maze_")
    # the same cells again under other file names (as written before cell keys held the budget) count once
    (tmp_path / "copy" / "cells").mkdir(parents=True)
    for path in (tmp_path / "ref" / "cells").glob("*.json"):
        (tmp_path / "copy" / "cells" / f"old_{path.name}").write_bytes(path.read_bytes())
    assert main(["plot", str(tmp_path / "ref"), str(tmp_path / "copy"), "--out", str(tmp_path / "dedup")]) == 0
    assert "| rl_envs/GridMaze-v0 | QLearning |  | 1 |" in capsys.readouterr().out
    assert main(["plot", str(tmp_path / "ref"), "--agents", "Sarsa"]) == 2
    assert "no cell matches" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "empty")]) == 2
    assert "no finished cells" in capsys.readouterr().err


def test_an_sb3_cells_key_covers_its_yml_entry(tmp_path, monkeypatch):
    """A resumed run reuses a cell only if everything that decides it is the same: for an SB3
    agent that includes its zoo-format entry, which a user may edit between two runs."""
    import yaml

    import baselines.sb3 as sb3
    from baselines.compare.config import zoo_entry

    cell = cmp.Cell(env="rl_envs/GridMaze-v0", agent="PPO", seed=0, steps=100)
    q_learning = cmp.Cell(env="rl_envs/GridMaze-v0", agent="QLearning", seed=0, steps=100)
    before = (cell.key, q_learning.key)
    entries = yaml.safe_load(sb3.hyperparams_file("ppo").read_text())
    entries["rl_envs/GridMaze-v0"]["learning_rate"] = 1e-5
    (tmp_path / "ppo.yml").write_text(yaml.safe_dump(entries))
    monkeypatch.setattr(sb3, "HYPERPARAMS_DIR", tmp_path)
    zoo_entry.cache_clear()
    try:
        assert cell.key != before[0] and q_learning.key == before[1]
    finally:
        monkeypatch.undo()
        zoo_entry.cache_clear()
    assert cell.key == before[0]
