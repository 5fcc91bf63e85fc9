"""baselines/compare/aggregate.py: a comparison's rows as rliable's ``{agent: array[runs, tasks]}``
of normalized scores, what is left out and why, the tables and figures, and the export."""

import json

import numpy as np
import gymnasium as gym
import pytest

import rl_envs  # noqa: F401
from baselines import stats
from baselines.compare import aggregate, group_labels


def row(env: str, agent: str, seed: int, ret: float | None, **extra) -> dict:
    return {"env": env, "agent": agent, "seed": seed, "steps": 100, "return": ret, "env_kwargs": "{}", **extra}


def scored(env: str, agent: str, seed: int, score: float) -> dict:
    """A row as the comparison writes it once the environment has a reference (0 random, 10 best)."""
    return row(env, agent, seed, 10 * score, reference=10.0, random_return=0.0, normalized_score=score)


def test_rows_become_rliables_layout_and_what_is_left_out_is_said():
    rows = [
        *(scored("a/T1", "X", s, v) for s, v in [(0, 0.1), (1, 0.3), (2, 0.2)]),
        *(scored("a/T2", "X", s, v) for s, v in [(1, 0.9), (0, 0.7)]),  # two runs only, in another order
        *(scored("a/T1", "Y", s, v) for s, v in [(0, 0.5), (1, 0.6)]),
        scored("a/T1", "Y", 2, float("nan")),  # a diverged run
        row("CartPole-v1", "X", 0, 9.0),  # a user's environment: no reference()
    ]
    table = aggregate.score_table(rows, group_labels(rows))
    assert table.tasks == {"X": ["a/T1", "a/T2"], "Y": ["a/T1"]}
    # X keeps 2 runs a task, the lowest seeds, rows in seed order
    assert table.scores["X"].tolist() == [[0.1, 0.7], [0.3, 0.9]] and table.seeds["X"] == [[0, 1], [0, 1]]
    assert table.scores["Y"].tolist() == [[0.5], [0.6]]
    assert table.left_out == [
        "a/T1, Y, seed 2: no finite return",
        "CartPole-v1: the environment declares no reference()",
        "a/T1, X: 3 runs, the first 2 by seed kept",
    ]
    lines = aggregate.aggregate_lines(table, reps=500)
    # X's IQM over 0.1, 0.3, 0.7, 0.9: int(0.25 * 4) = 1 cut from each end
    assert lines[2].startswith("| X | 2 | 2 | 0.500 [") and "| 0.500 [" in lines[2]
    improvement = aggregate.improvement_lines(table, reps=500)
    # on T1 only: X's 0.1, 0.3 against Y's 0.5, 0.6: X never wins
    assert improvement[2].startswith("| X | Y | 1 | 0.000 [0.000, 0.000]")


def test_a_reference_of_the_environment_normalizes_a_row_without_one():
    env = gym.make("rl_envs/FoodGrid-v0", max_steps=200)
    ref = env.unwrapped.reference()
    rows = [
        {**row("rl_envs/FoodGrid-v0", "MOP", s, ret), "env_kwargs": json.dumps({"max_steps": 200})}
        for s, ret in [(0, 200.0), (1, ref.random)]
    ]
    table = aggregate.score_table(rows, group_labels(rows))
    assert table.scores["MOP"][:, 0] == pytest.approx([ref.normalize(200.0)[0], 0.0]) and not table.left_out
    assert ref.normalize(200.0)[0] == pytest.approx(1.0)


def test_the_export_is_rliables_layout_and_reads_back(tmp_path):
    rows = [scored("a/T1", "X", s, v) for s, v in [(0, 0.1), (1, 0.3)]] + [scored("a/T2", "X", 0, 0.5)]
    table = aggregate.score_table(rows, group_labels(rows))
    aggregate.write_scores(table, tmp_path)
    arrays = np.load(tmp_path / "scores.npz")
    data = json.loads((tmp_path / "scores.json").read_text())
    assert list(arrays) == ["X"] and arrays["X"].tolist() == [[0.1, 0.5]] == data["agents"]["X"]["scores"]
    assert data["agents"]["X"]["tasks"] == ["a/T1", "a/T2"] and data["left_out"] == [
        "a/T1, X: 2 runs, the first 1 by seed kept"
    ]
    # what rliable would compute from the export
    assert stats.aggregate_mean(arrays["X"]) == pytest.approx(0.3)


def test_write_aggregate_writes_the_tables_and_figures(tmp_path):
    records = []
    for s in range(3):
        for task, base in (("a/T1", 0.2), ("a/T2", 0.6)):
            r = scored(task, "X", s, base + 0.1 * s)
            # a training curve rising from the random policy's return (0) to the row's
            log = {"end_steps": [20, 50, 100], "returns": [0.0, 5 * r["normalized_score"], 10 * r["normalized_score"]]}
            records.append({"row": r, "log": log})
    lines = aggregate.write_aggregate(records, group_labels([r["row"] for r in records]), tmp_path, reps=300)
    assert (tmp_path / "aggregate.md").read_text() == "\n".join(lines)
    assert any(line.startswith("| X | 2 | 3 | ") for line in lines)
    for name in ("intervals.png", "performance_profile.png", "sample_efficiency.png"):
        assert (tmp_path / "aggregate" / name).stat().st_size > 0
    x, est = aggregate.sample_efficiency_data(
        aggregate.score_table([r["row"] for r in records], group_labels([r["row"] for r in records])), records
    )["X"]
    # The last grid point averages (smoothing over 5 points) the steps 92, 94, 96, 98, whose latest
    # episode is the one ended at 50 (half the row's score), and 100 (all of it): 0.6 of the score.
    scores = np.array([[0.2 + 0.1 * s, 0.6 + 0.1 * s] for s in range(3)])
    assert x[-1] == 1.0 and est.point[-1] == pytest.approx(stats.aggregate_iqm(0.6 * scores))


def test_regret_and_area_for_an_environment_with_an_exact_optimum():
    records = [
        {
            "row": row("b/Bandit", "A", s, -1.0, reference=0.0, reference_low=0.0, reference_high=0.0),
            "log": {"end_steps": [1, 2, 3, 4], "returns": [-4.0, -2.0, -1.0, -1.0 - s]},
        }
        for s in range(2)
    ]
    lines = aggregate.regret_lines(records, group_labels([r["row"] for r in records]), reps=200)
    # regret 8 and 9 (mean 8.5) over 4 steps; mean height of the curve over [1, 4]: 5.5/3 and 6/3
    assert lines[2].startswith("| b/Bandit | A | 2 | 0 | 8.5 [8, 9] | 2.125 [2, 2.25] | -1.917 [")


def test_a_discounted_reference_is_scored_named_and_kept_off_the_episode_return_curves(tmp_path):
    """A row measured as the POMDP literature scores (the discounted return of the maze's
    reference) is aggregated and named as such; its training log (episode returns) is neither
    normalized by that reference nor counted as regret against it."""
    maze = '{"layout": "hallway"}'
    records = []
    for s in range(2):
        log = {"end_steps": [1, 2, 3, 4], "returns": [0.0, 1.0, 1.0, 1.0]}  # undiscounted: reached the goal
        discounted = {
            **row("rl_envs/PartiallyObservableMaze-v0", "X", s, 0.3 + 0.1 * s, env_kwargs=maze),
            **dict(reference=0.5, reference_low=0.5, reference_high=0.5, random_return=0.1),
            **dict(normalized_score=0.5 + 0.25 * s, reference_gamma=0.95, baseline="uniform random"),
        }
        records.append({"row": discounted, "log": log})
        exact = {**scored("a/T1", "X", s, 0.5), "reference_low": 10.0, "reference_high": 10.0, "reference_gamma": 1.0}
        records.append({"row": exact, "log": {"end_steps": [1, 2, 3, 4], "returns": [0.0, 5.0, 5.0, 5.0]}})
    labels = group_labels([r["row"] for r in records])
    table = aggregate.score_table([r["row"] for r in records], labels)
    tasks = table.tasks["X"]
    assert table.scores["X"][:, tasks.index("rl_envs/PartiallyObservableMaze-v0")].tolist() == [0.5, 0.75]
    assert aggregate.discounted_lines(table)[2:] == ["* rl_envs/PartiallyObservableMaze-v0 (gamma = 0.95)"]
    assert aggregate.discounted_lines(aggregate.score_table([records[1]["row"]], labels[1:2])) == []
    # the sample-efficiency curve is the episode-return task's alone: its runs' 0.5 at the end
    x, est = aggregate.sample_efficiency_data(table, records)["X"]
    assert x[-1] == 1.0 and est.point[-1] == pytest.approx(0.5)
    regret = aggregate.regret_lines(records, labels, reps=200)
    assert len(regret) == 3 and regret[2].startswith("| a/T1 | X | 2 | 10 |")
    lines = aggregate.write_aggregate(records, labels, tmp_path, reps=200)
    assert "* rl_envs/PartiallyObservableMaze-v0 (gamma = 0.95)" in lines


def test_a_row_without_reference_columns_is_not_scored_against_a_discounted_reference():
    rows = [row("rl_envs/PartiallyObservableMaze-v0", "X", 0, 1.0, env_kwargs='{"layout": "hallway"}')]
    table = aggregate.score_table(rows, group_labels(rows))
    assert not table.scores and table.left_out == [
        "rl_envs/PartiallyObservableMaze-v0: its reference is of the discounted return (gamma = 0.95), "
        "not of this row's return"
    ]
