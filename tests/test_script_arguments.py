"""The command lines check their arguments first: every experiment script, and ``python -m
baselines``, refuses a bad argument with one line naming it and what it allows (exit code 2),
before it imports the comparison machinery, trains anything or makes a folder; their ``--help``
says what each option accepts and its default.  The scripts run as a user runs them: a new
process in an empty working directory, its imports listed by ``python -X importtime``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from baselines.__main__ import main as baselines_main

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (ROOT / "experiments").glob("*.py"))

# Modules that take seconds to import (the comparison machinery, which imports every agent; the
# plots; SB3; the envs that compile at import): none may come before an argument is checked.
HEAVY = (
    "baselines.compare",
    "baselines.__main__",
    "baselines.continuous_time",
    "baselines.distributional",
    "matplotlib",
    "scipy.stats",
    "torch",
    "stable_baselines3",
    "ray",
    "rl_envs.pendulum_swingup",
    "rl_envs.variable_reward",
)

# script and arguments -> what the one-line error must say
BAD = {
    # The examples of issue 28: each trained for seconds to minutes, then failed with a traceback.
    "dpg_bandit --seeds 0": "argument --seeds: must be a positive int, got '0'",
    "dpg_bandit --dims 5": "argument --dims: invalid choice: 5 (choose from 10, 25, 50)",
    "dpg_bandit --steps 0": "argument --steps: must be an int >= 100, got '0'",
    "dpg_bandit --out FILE": "argument --out: cannot write results to FILE: FILE is not a directory",
    "tabular control --slip 2": "argument --slip: must be a probability in [0, 1], got '2'",
    # One or more for every other script and option kind.
    "dpg_bandit --out FILE/sub": "argument --out: cannot write results to FILE/sub: FILE is not a directory",
    "dpg_bandit --workers 0": "argument --workers: must be a positive int, got '0'",
    "dpg_bandit --address auto": "--address needs --backend ray",
    "tabular control --set QLearning.alpha=-1": "QLearning refuses its arguments: alpha must be a step size in (0, 1]",
    "tabular control --set QLearning.alpah=1": "QLearning has no argument 'alpah'",
    "tabular control --layout nowhere": "argument --layout: invalid choice: 'nowhere'",
    "tabular control --layout four_rooms": "no stated budget for layout 'four_rooms': pass --steps",
    "tabular control --first-seed -1": "argument --first-seed: must be a non-negative int, got '-1'",
    "tabular book --seeds 1.5": "argument --seeds: must be a positive int, got '1.5'",
    "doya_pendulum --only nothing": "--only 'nothing' matches no method; methods: continuous AC, traces",
    "doya_pendulum --figure .": "argument --figure: cannot write .: it is a directory",
    "dpg_fig2 --steps-scale 0": "argument --steps-scale: must be a real number > 0, got '0'",
    "dpg_fig2 --steps-scale 1e-5": "leaves a sweep 0 steps, fewer than its 11 checkpoints need (10)",
    "dpg_fig2 --tasks moon": "argument --tasks: invalid choice: 'moon'",
    "lq --only nothing": "--only 'nothing' matches no run",
    "lq --seed-offset -1": "argument --seed-offset: must be a non-negative int, got '-1'",
    "mop_food_grid --heatmap-gain 7": "--heatmap-gain 7 is not among the gains",
    "mop_food_grid --tol nan": "argument --tol: must be a real number > 0, got 'nan'",
    "mop_food_grid --from-results": "--from-results needs results/mop_food_grid/results.json, which is not there",
    "octopus_copdac --steps 299": "argument --steps: must be an int >= 300, got '299'",
    "octopus_copdac --alpha-w -0.1": "argument --alpha-w: must be a real number >= 0, got '-0.1'",
    "pomdp_scores --runs 1": "argument --runs: must be an int >= 2, got '1'",
    "pomdp_scores --layouts tiger": "argument --layouts: invalid choice: 'tiger'",
    "distributional_td --noise -1": "argument --noise: must be a real number >= 0, got '-1'",
    "distributional_td --plot-only": "--plot-only needs results/distributional_td/results.json, which is not there",
}


def run_script(name: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), MPLBACKEND="Agg", SDL_VIDEODRIVER="dummy")
    command = [sys.executable, "-X", "importtime", str(ROOT / "experiments" / f"{name}.py"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_every_script_has_bad_arguments_here():
    assert {case.split()[0] for case in BAD} == set(SCRIPTS)


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_argument_is_one_line_before_any_heavy_import_or_work(case, tmp_path):
    name, *args = case.split()
    (tmp_path / "FILE").write_text("x")
    done = run_script(name, args, tmp_path)
    imported = {line.rsplit("|", 1)[1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    message = [line for line in done.stderr.splitlines() if not line.startswith("import time:")]
    script = f"{name}.py {args[0]}" if name == "tabular" else f"{name}.py"
    assert done.returncode == 2 and message == [f"{script}: error: {message[0].partition('error: ')[2]}"], done.stderr
    assert BAD[case] in message[0]
    assert not imported & set(HEAVY), sorted(imported & set(HEAVY))
    assert done.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["FILE"]


def options(help_text: str) -> dict[str, str]:
    """Each option of an argparse help text (its section ``options:``) and its help, joined."""
    found: dict[str, str] = {}
    option = None
    section = ""
    for line in help_text.splitlines():
        if line and not line.startswith(" "):
            section, option = line, None
        elif section == "options:" and re.match(r"  -", line):
            spec, _, text = line.strip().partition("  ")
            option = spec
            found[option] = text.strip()
        elif option and line.startswith(" " * 4):
            found[option] = f"{found[option]} {line.strip()}".strip()
    return found


def check_help(help_text: str) -> None:
    """Every option has help; every option that takes a value says its default (those required excepted)."""
    usage = help_text.partition("\n\n")[0]
    documented = options(help_text)
    assert len(documented) > 1, help_text
    for option, text in documented.items():
        assert text, f"{option} has no help"
        name = re.split(r"[ ,]", option)[0]
        takes_value = " " in option.replace(", ", ",")
        if takes_value and f"[{name}" in usage:
            assert "default" in text, f"{option}: {text!r} does not say its default"


@pytest.mark.parametrize("command", ["control", "book", None])
def test_tabular_help_says_what_each_option_accepts_and_its_default(command, tmp_path):
    done = run_script("tabular", [command, "--help"] if command else ["--help"], tmp_path)
    assert done.returncode == 0
    help_text = done.stdout
    if command is None:
        assert "python experiments/tabular.py control --layout book3x3" in help_text  # the docstring, as written
        return
    check_help(help_text)
    assert "(a positive int; default: 2)" in options(help_text)["--workers WORKERS"]
    if command == "control":
        assert "(a probability in [0, 1]; default: 0.0)" in options(help_text)["--slip SLIP"]
        assert "{book3x3,dyna_maze,four_rooms,rooms10x10,maze10x10}" in help_text


@pytest.mark.parametrize("name", [s for s in SCRIPTS if s != "tabular"])
def test_script_help_says_what_each_option_accepts_and_its_default(name, tmp_path):
    done = run_script(name, ["--help"], tmp_path)
    assert done.returncode == 0, done.stderr
    check_help(done.stdout)
    if name == "dpg_bandit":
        documented = options(done.stdout)
        assert "(default: 10 25 50)" in documented["--dims {10,25,50} [{10,25,50} ...]"]
        assert "(an int >= 100; default: 10000)" in documented["--steps STEPS"]


@pytest.mark.parametrize("command", ["compare", "run", "plot", "sweep", "tune", "hyperparams"])
def test_command_line_help_documents_every_option(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        baselines_main([command, "--help"])
    help_text = capsys.readouterr().out
    assert exit_info.value.code == 0
    if command != "hyperparams":
        check_help(help_text)
    assert not re.search(r"\S+\.py\b", help_text), "the help points to a source file, which a pip user does not have"
    if command == "run":
        assert "(a positive int; default: 5)" in options(help_text)["--seeds SEEDS"]
        assert "no progress bar" in options(help_text)["--no-progress"]


def test_command_line_refuses_a_bad_count_in_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        baselines_main(["run", "--seeds", "0", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert err == "python -m baselines run: error: argument --seeds: must be a positive int, got '0'\n"
    assert not (tmp_path / "o").exists()


def test_a_run_whose_every_cell_fails_announces_no_outputs_and_leaves_no_folder(tmp_path, capsys):
    """Every cell fails (the agent refuses its argument): nothing is written, nothing is announced,
    and the folders the run made are gone; a folder that was there before stays."""
    argv = ["run", "--agent-kwargs", "alpha=-1", "--seeds", "2", "--steps", "50", "--workers", "1", "--no-progress"]
    out = tmp_path / "new" / "out"
    assert baselines_main([*argv, "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "no cell finished, so no outputs were written" in printed.out and "outputs in" not in printed.out
    assert printed.err.count("FAILED") == 2 and "alpha must be a step size" in printed.err
    assert list(tmp_path.iterdir()) == []
    mine = tmp_path / "mine"
    mine.mkdir()
    assert baselines_main([*argv, "--out", str(mine)]) == 1
    assert mine.is_dir() and list(mine.iterdir()) == []
