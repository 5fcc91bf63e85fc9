"""Faults of the comparison command, each through the real command line in a subprocess: Ctrl-C
(real SIGINT to the process group), corrupt cell files, unwritable output folders, bad
configurations, determinism of the default grid's reference agents, SB3's temp folders, a pool
worker killed by SIGKILL, two runs on one folder, SIGTERM (to the command and to an experiment
script) and a full disk (a small tmpfs, mounted when the tests run as root)."""

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from baselines import compare as cmp
from ray_procs import alive, title, wait_for

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def baselines(*args, env=None, timeout=300, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "baselines", *map(str, args)],
        capture_output=True,
        text=True,
        env=env or ENV,
        timeout=timeout,
        **kwargs,
    )


def write_config(path: Path, runs: list[dict]) -> Path:
    import yaml

    path.write_text(yaml.safe_dump({"runs": runs}))
    return path


def book3x3(steps=300, seeds=1, **extra):
    return {
        "env": "rl_envs/GridMaze-v0",
        "env_kwargs": {"layout": "book3x3"},
        "steps": steps,
        "seeds": seeds,
        "eval_episodes": 1,
        "agents": {"QLearning": {}},
        **extra,
    }


def cell_files(out: Path) -> list[Path]:
    return sorted((out / "cells").glob("*.json"))


def children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (from /proc)."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.append(int(stat.parent.name))
    return kids


# -- 1. Ctrl-C ---------------------------------------------------------------------------------


def test_ctrl_c_with_workers_saves_finished_cells_exits_at_once_and_resumes(tmp_path):
    # Two quick cells, then three that take seconds each: SIGINT arrives while two of the slow ones
    # run and one is queued, so waiting for them would take longer than the 3 s allowed.
    config = write_config(tmp_path / "c.yml", [book3x3(300, 2), book3x3(400_000, [10, 11, 12])])
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "baselines",
        "compare",
        "--config",
        str(config),
        "--out",
        str(out),
        "--workers",
        "2",
        "--no-progress",
    ]

    def start():
        return subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, start_new_session=True
        )

    def interrupt(proc, times=1):
        t0 = time.monotonic()
        for _ in range(times):
            os.killpg(proc.pid, signal.SIGINT)
            time.sleep(0.05)
        _, err = proc.communicate(timeout=60)
        return time.monotonic() - t0, err

    proc = start()
    wait_for(lambda: len(cell_files(out)) >= 2, 120, "the two quick cells")
    time.sleep(0.5)  # the slow cells are running now
    workers = children(proc.pid)
    assert len(workers) >= 2
    elapsed, err = interrupt(proc)
    assert proc.returncode == 130, err
    assert elapsed < 3, f"took {elapsed:.1f} s to stop"
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    last = err.strip().splitlines()[-1]
    assert re.fullmatch(
        rf"interrupted: 2 of 5 cells are saved in {re.escape(str(out / 'cells'))}.*; "
        rf"resume with: python -m baselines compare --config {re.escape(str(config))} "
        rf"--out {re.escape(str(out))} --workers 2 --no-progress",
        last,
    ), last
    saved = {json.loads(p.read_text())["cell"]["seed"] for p in cell_files(out)}
    assert saved == {0, 1} and not list((out / "cells").glob(".*.tmp"))
    wait_for(lambda: not any(map(alive, workers)), 10, "the workers to end")

    # Ctrl-C while the workers still import, and a second one 50 ms later, end it at once too.  The
    # second one may come after the first run has ended its workers and printed its message: then
    # it ends Python's own shutdown by SIGINT (the shell shows 130 either way).
    proc = start()
    wait_for(lambda: children(proc.pid), 30, "the worker processes")
    time.sleep(0.3)
    elapsed, err = interrupt(proc, times=2)
    assert proc.returncode in (130, -signal.SIGINT) and elapsed < 3, (elapsed, err)
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert len(cell_files(out)) == 2

    done = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "3 cells run, 2 reused" in done.stdout
    assert len(cell_files(out)) == 5


def test_ctrl_c_in_a_serial_run(tmp_path):
    config = write_config(tmp_path / "c.yml", [book3x3(300, 1), book3x3(2_000_000, [5])])
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "baselines",
            "compare",
            "--config",
            str(config),
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-progress",
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        start_new_session=True,
    )
    wait_for(lambda: len(cell_files(out)) == 1, 60, "the quick cell")
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and time.monotonic() - t0 < 2, err
    assert err.startswith(f"interrupted: 1 of 2 cells are saved in {out / 'cells'}") and err.count("\n") == 1, err


# -- 2. corrupt cells ------------------------------------------------------------------------------


def test_corrupt_cells_are_named_moved_aside_and_rerun(tmp_path):
    config = write_config(tmp_path / "c.yml", [book3x3(300, 7)])
    out = tmp_path / "out"
    first = baselines("compare", "--config", config, "--out", out, "--workers", "1", "--no-progress")
    assert first.returncode == 0, first.stderr
    files = {json.loads(p.read_text())["cell"]["seed"]: p for p in cell_files(out)}
    good = json.loads(files[0].read_text())
    files[0].write_bytes(files[0].read_bytes()[:100])
    files[1].write_bytes(b"")
    files[2].write_text('{"cell":{},"row":{"env":"x"}}')
    files[3].write_text("[1,2,3]")
    nan = json.loads(files[4].read_text())
    nan["row"]["return"] = float("nan")
    files[4].write_text(json.dumps(nan))
    foreign = json.loads(files[5].read_text())
    foreign["row"]["seed"] = foreign["cell"]["seed"] = 99
    files[5].write_text(json.dumps(foreign))
    bad = [files[s] for s in range(6)]

    plot = baselines("plot", out, "--out", tmp_path / "plot")
    assert plot.returncode == 0, plot.stderr
    warnings = plot.stderr.strip().splitlines()
    for path in bad[:5]:  # the seed-99 cell is valid on its own: plot has no configuration to hold it to
        assert sum(str(path) in line and "skipped" in line for line in warnings) == 1, (path, plot.stderr)
    assert "Traceback" not in plot.stderr and "nan" not in plot.stdout

    again = baselines("compare", "--config", config, "--out", out, "--workers", "1", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "6 cells run, 1 reused" in again.stdout
    warnings = [line for line in again.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 6, again.stderr
    for path in bad:
        (line,) = [w for w in warnings if str(path) in w]
        assert str(out / "cells" / "corrupt" / path.name) in line and "reruns" in line
        assert (out / "cells" / "corrupt" / path.name).exists()
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert sorted(int(r["seed"]) for r in rows) == list(range(7))
    assert all(float(r["return"]) == good["row"]["return"] for r in rows)


# -- 3. unwritable output folders -------------------------------------------------------------------


def unwritable_cases(tmp_path):
    """Paths that cannot hold results even for root (chmod does not stop root)."""
    (tmp_path / "a_file").write_text("x")
    (tmp_path / "cells_is_a_file" / "cells").parent.mkdir()
    (tmp_path / "cells_is_a_file" / "cells").write_text("x")
    return {
        "a file in place of the folder": (tmp_path / "a_file", tmp_path / "a_file"),
        "a path under a file": (tmp_path / "a_file" / "out", tmp_path / "a_file"),
        "a file named cells": (tmp_path / "cells_is_a_file", tmp_path / "cells_is_a_file" / "cells"),
    }


@pytest.mark.parametrize("case", ["a file in place of the folder", "a path under a file", "a file named cells"])
def test_unwritable_output_folder_is_one_line_error(tmp_path, case):
    out, culprit = unwritable_cases(tmp_path)[case]
    config = write_config(tmp_path / "c.yml", [book3x3()])
    result = baselines("compare", "--config", config, "--out", out, "--workers", "1", "--no-progress")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: cannot write results to {out}: {culprit}"), result.stderr


def test_resume_into_unwritable_outputs_trains_nothing(tmp_path):
    out = tmp_path / "out"
    config = write_config(tmp_path / "c.yml", [book3x3(seeds=1)])
    assert baselines("compare", "--config", config, "--out", out, "--workers", "1", "--no-progress").returncode == 0
    (out / "results.csv").unlink()
    (out / "results.csv").mkdir()  # the table could not be written at the end
    bigger = write_config(tmp_path / "c.yml", [book3x3(seeds=2)])
    result = baselines("compare", "--config", bigger, "--out", out, "--workers", "1", "--no-progress")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"{out / 'results.csv'} is a directory" in result.stderr
    assert len(cell_files(out)) == 1


# -- 4-7. configurations ------------------------------------------------------------------------------


def limit_memory():
    """4 GiB of address space: building 10^8 cells in memory fails under it, so a grid-size limit
    must come first."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


@pytest.mark.parametrize(
    "run, message",
    [
        (
            book3x3(agents={"QLearning": {"alpah": 0.1}}),
            "runs[0]: QLearning has no argument 'alpah' (did you mean 'alpha'?); its arguments: alpha, epsilon, gamma, q_init",
        ),
        (book3x3(agents={"QMDP": {"gamma": 0.9}}), "runs[0]: QMDP has no argument 'gamma'; it takes none"),
        (book3x3(agents={"QLearning": {"seed": 3}}), "runs[0]: QLearning's seed is set by the cell"),
        (
            book3x3(agents={"PPO": {"learning_rat": 1}}),
            "runs[0]: PPO has no argument 'learning_rat' (did you mean 'learning_rate'?)",
        ),
        (book3x3(agents={"DQN": {"n_timesteps": 10}}), "runs[0]: DQN has no argument 'n_timesteps'"),
        (book3x3(seeds=[1, 1]), "runs[0]: seeds repeat 1"),
        (book3x3(seeds=[0, True]), "runs[0]: seeds must be"),
        (book3x3(eval_episodes=True), "runs[0]: eval_episodes must be a positive int, got True"),
        (book3x3(steps=True), "runs[0]: steps must be a positive int, got True"),
        (
            book3x3(seeds=100_000_000),
            "runs[0]: the grid reaches 100,000,000 cells (100,000,000 seeds x 1 agent(s)); a comparison is limited to 100,000 cells",
        ),
    ],
)
def test_bad_config_is_a_one_line_error_before_any_work(tmp_path, run, message):
    config = write_config(tmp_path / "c.yml", [run])
    out = tmp_path / "out"
    result = baselines("compare", "--config", config, "--out", out, timeout=60, preexec_fn=limit_memory)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {message}") and result.stderr.count("\n") == 1, result.stderr
    assert not out.exists()


def test_the_same_cell_in_two_runs_is_an_error():
    with pytest.raises(
        cmp.ConfigError, match=r"runs\[1\] repeats the cell rl_envs/GridMaze-v0 QLearning seed 0 of runs\[0\]"
    ):
        cmp.cells_from_config({"runs": [book3x3(), book3x3()]})


def test_run_command_validates_agent_arguments(tmp_path):
    result = baselines("run", "--agent", "Sarsa", "--agent-kwargs", "alpah=0.1", "--out", tmp_path / "o")
    assert result.returncode == 2 and "Sarsa has no argument 'alpah' (did you mean 'alpha'?)" in result.stderr


# -- 12. reproducibility -------------------------------------------------------------------------------


# Rendering the GIFs takes most of a cell's time (7 s of the octopus arm's 10): seed 0 of every
# reference agent takes about 25 s in two processes at once, the whole grid (14 cells) about 75 s.
@pytest.mark.parametrize("seeds", [[0], pytest.param(None, marks=pytest.mark.slow, id="every-seed")])
def test_default_grid_reference_cells_are_deterministic(tmp_path, seeds):
    runs = [
        {
            **run,
            "agents": {a: kw for a, kw in run["agents"].items() if a not in cmp.SB3_AGENTS},
            **({"seeds": seeds} if seeds else {}),
        }
        for run in cmp.default_config()["runs"]
    ]
    runs = [run for run in runs if run["agents"]]  # a run of SB3 agents only has none left
    config = write_config(tmp_path / "reference.yml", runs)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "baselines",
                "compare",
                "--config",
                str(config),
                "--out",
                str(tmp_path / name),
                "--workers",
                "1",
                "--no-progress",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        for name in ("a", "b")
    ]
    for proc in procs:
        assert proc.wait(timeout=600) == 0, proc.stderr.read()

    def rows(name):
        with open(tmp_path / name / "results.csv") as f:
            return [{k: v for k, v in r.items() if k not in cmp.run.TIMINGS} for r in csv.DictReader(f)]

    a = rows("a")
    assert len(a) == len(cmp.cells_from_config({"runs": runs})) >= 5
    assert a == rows("b")


def test_plot_splices_the_table_into_a_readme(tmp_path):
    out = tmp_path / "out"
    config = write_config(tmp_path / "c.yml", [book3x3(seeds=2)])
    assert baselines("compare", "--config", config, "--out", out, "--workers", "1", "--no-progress").returncode == 0
    readme = tmp_path / "README.md"
    before, after = "# Title\n\ntext\n<!-- compare-table:start -->\n", "<!-- compare-table:end -->\nmore text\n"
    readme.write_text(before + "| an old table |\n" + after)
    for _ in range(2):  # splicing twice gives the same file
        result = baselines("plot", out, "--readme", readme)
        assert result.returncode == 0, result.stderr
        assert readme.read_text() == before + (out / "summary.md").read_text() + after
    assert "| rl_envs/GridMaze-v0 | QLearning |  | 2 |" in readme.read_text()
    plain = tmp_path / "plain.md"
    plain.write_text("no markers\n")
    result = baselines("plot", out, "--readme", plain)
    assert result.returncode == 2 and plain.read_text() == "no markers\n"
    assert result.stderr == (
        f"error: {plain} has no '<!-- compare-table:start -->' ... "
        "'<!-- compare-table:end -->' pair to put the table between\n"
    )


# -- 13. SB3 temp folders ---------------------------------------------------------------------------


def test_sb3_cell_leaves_no_folder_in_the_temp_dir(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = baselines(
        "run",
        "--agent",
        "PPO",
        "--agent-kwargs",
        "n_steps=64",
        "n_envs=1",
        "--steps",
        "128",
        "--seeds",
        "1",
        "--workers",
        "1",
        "--no-progress",
        "--out",
        tmp_path / "out",
        env={**ENV, "TMPDIR": str(tmp)},
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "results.csv").exists()
    assert not list(tmp.glob("SB3-*"))


# -- 14. a lost worker ------------------------------------------------------------------------------


def pool_workers(pid: int) -> list[int]:
    """The process-pool workers among the children of ``pid``."""
    return [k for k in children(pid) if "spawn_main" in title(k)]


def two_workers(proc: subprocess.Popen) -> list[int]:
    """The two pool workers of ``proc``, once both are there."""
    return wait_for(lambda: len(workers := pool_workers(proc.pid)) == 2 and workers, 60, "two workers")


def start_compare(config: Path, out: Path, workers: int = 2, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "baselines",
            "compare",
            "--config",
            str(config),
            "--out",
            str(out),
            "--workers",
            str(workers),
            "--no-progress",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
        start_new_session=True,
        **kwargs,
    )


def test_a_killed_worker_costs_only_its_cell(tmp_path):
    # SIGKILL is what the kernel's out-of-memory killer sends.  Each worker is sent its cell when
    # it starts, so the one killed was running (or about to run) a cell: that cell runs again on a
    # new worker while the other worker goes on with its own.
    config = write_config(tmp_path / "c.yml", [book3x3(20_000, [10, 11, 12])])
    out = tmp_path / "out"
    proc = start_compare(config, out)
    first = two_workers(proc)
    victim, other = first
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: set(pool_workers(proc.pid)) - set(first), 60, "a new worker")
    assert alive(other)
    stdout, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    (warning,) = err.splitlines()
    assert re.fullmatch(
        r"warning: the worker running the cell rl_envs_GridMaze-v0__QLearning__\w+__seed1[012] died "
        r"\(killed by SIGKILL, possibly out of memory\); the cell runs again \(retry 1 of 3\)",
        warning,
    ), warning
    assert "3 cells run, 0 reused" in stdout and len(cell_files(out)) == 3


def test_a_cell_whose_worker_keeps_dying_fails_alone_and_the_outputs_say_so(tmp_path, capsys):
    cells = cmp.cells_from_config({"runs": [book3x3(300, [0, 1])]})
    killed = []

    def kill_the_first_two_workers():
        # One worker: the cell of seed 0, sent first, is the one its first two workers die on
        # (killed while still importing, well before the cell could finish).
        while len(killed) < 2:
            for pid in pool_workers(os.getpid()):
                if pid not in killed:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
            time.sleep(0.02)

    killer = threading.Thread(target=kill_the_first_two_workers)
    killer.start()
    result = cmp.compare(cells, tmp_path, cmp.ProcessPoolBackend(1, max_retries=1), progress_bar=False)
    killer.join()
    (failed,) = result.failed
    assert failed[0].seed == 0
    assert failed[1] == "WorkerLost: its worker died 2 times, the last one killed by SIGKILL, possibly out of memory"
    assert [r["seed"] for r in result.rows] == [1]
    assert capsys.readouterr().err == (
        f"warning: the worker running the cell {cells[0].key} died (killed by SIGKILL, possibly out of memory); "
        "the cell runs again (retry 1 of 1)\n"
    )
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith(
        "**Incomplete: 1 of 2 cells are missing** (the same command runs them again):\n\n"
        f"* {cells[0].key}: WorkerLost: its worker died 2 times"
    )
    (missing,) = json.loads((tmp_path / "results.json").read_text())["provenance"]["missing"]
    assert missing.startswith(f"{cells[0].key}: WorkerLost")
    assert "* incomplete, missing cells: 1" in (tmp_path / "provenance.md").read_text()
    again = cmp.compare(cells, tmp_path, cmp.ProcessPoolBackend(1, max_retries=1), progress_bar=False)
    assert again.ran == 1 and again.reused == 1 and not again.failed
    assert (tmp_path / "summary.md").read_text().startswith("| environment |")


# -- 15. one run per results folder ------------------------------------------------------------------


def test_a_second_run_on_a_folder_is_refused_and_a_dead_runs_lock_taken_over(tmp_path):
    # cells of seconds each (the run is killed before they end): the second run must find it running
    slow = write_config(tmp_path / "slow.yml", [book3x3(300, 1), book3x3(2_000_000, [10, 11, 12])])
    out, lock = tmp_path / "out", tmp_path / "out" / "run.lock"
    first = start_compare(slow, out, workers=1)

    def holder():
        try:
            return json.loads(lock.read_text())
        except (OSError, ValueError):
            return None

    held = wait_for(holder, 60, "the first run's lock")
    assert held["pid"] == first.pid and held["host"] == socket.gethostname()
    assert held["command"] == f"python -m baselines compare --config {slow} --out {out} --workers 1 --no-progress"
    second = baselines("compare", "--config", slow, "--out", out, "--workers", "1", "--no-progress")
    assert first.poll() is None, "the first run ended before the second was refused: make its cells longer"
    assert second.returncode == 2 and second.stdout == ""
    assert second.stderr == (
        f"error: {out} is in use by another run (pid {first.pid} on {held['host']} since {held['started']}: "
        f"{held['command']}); wait for it to end, or give another --out\n"
    )
    # Killed outright, the first run leaves its lock file behind, with its lock released by the
    # kernel: the next run takes it over.
    wait_for(lambda: cell_files(out), 60, "the first run's quick cell")
    os.killpg(first.pid, signal.SIGKILL)
    first.communicate()
    assert lock.exists()
    quick = write_config(tmp_path / "quick.yml", [book3x3(300, 1)])
    third = baselines("compare", "--config", quick, "--out", out, "--workers", "1", "--no-progress")
    assert third.returncode == 0, third.stderr
    assert third.stderr == (
        f"warning: {lock}: the run that held it (pid {first.pid} on {held['host']} since {held['started']}: "
        f"{held['command']}) is no longer running; lock taken over\n"
    )
    assert "0 cells run, 1 reused" in third.stdout and not lock.exists()


# -- 16. SIGTERM ---------------------------------------------------------------------------------------


def test_a_sigterm_while_a_worker_starts_is_held_not_dropped():
    """The pool starts a worker with Ctrl-C ignored (the worker inherits it); a SIGTERM that came
    then was dropped, as one during the clean-up of a stop is meant to be, and the run went on to
    its end (seen under load in the test above).  Now it stops the run once the start is over."""
    from baselines.compare.run import _sigint_ignored
    from baselines.interrupts import Terminated, sigterm_as_ctrl_c, sigterm_held

    reached = []
    with sigterm_as_ctrl_c(), pytest.raises(Terminated):
        with sigterm_held():
            with _sigint_ignored():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.05)  # the handler runs here, between bytecodes: it must not raise here
                reached.append("start")
            reached.append("after the start")  # still within the held block
        reached.append("after the block")
    assert reached == ["start", "after the start"]
    # Cleaning up a stop, Ctrl-C ignored without the held block, a SIGTERM is still dropped.
    with sigterm_as_ctrl_c(), _sigint_ignored():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        reached.append("clean-up went on")
    assert reached[-1] == "clean-up went on"


@pytest.mark.parametrize("when", ["while the workers start", "after two cells"])
def test_sigterm_stops_compare_as_ctrl_c_does(tmp_path, when):
    # `docker stop` signals the process alone, a batch scheduler the whole job: the first case
    # sends SIGTERM to the command alone, the second to its process group.
    config = write_config(tmp_path / "c.yml", [book3x3(300, 2), book3x3(400_000, [10, 11, 12])])
    out = tmp_path / "out"
    proc = start_compare(config, out)
    workers = two_workers(proc)
    if when == "after two cells":
        wait_for(lambda: len(cell_files(out)) >= 2, 120, "the two quick cells")
        time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGTERM)
    else:
        os.kill(proc.pid, signal.SIGTERM)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 143 and elapsed < 3, (elapsed, err)
    saved = len(cell_files(out))
    assert saved == {"after two cells": 2, "while the workers start": 0}[when]
    assert err == (
        f"terminated (SIGTERM): {saved} of 5 cells are saved in {out / 'cells'} (cells that were running are not); "
        f"resume with: python -m baselines compare --config {config} --out {out} --workers 2 --no-progress\n"
    )
    # No worker outlives the command, even one that was still importing (its parent-death signal
    # not yet set): it finds the command's end of its pipe closed.
    wait_for(lambda: not any(map(alive, workers)), 10, "the workers to end")
    assert not (out / "run.lock").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_an_experiment_script_stops_on_sigterm_or_ctrl_c_with_the_resume_line(tmp_path, sig):
    out = tmp_path / "out"
    script = ROOT / "experiments" / "tabular.py"
    args = ["control", "--agents", "QLearning", "--seeds", "3", "--steps", "100000", "--every", "50000"]
    args += ["--workers", "1", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, str(script), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    )
    wait_for(lambda: cell_files(out), 120, "the first cell")
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    word = "terminated (SIGTERM)" if sig == signal.SIGTERM else "interrupted"
    assert proc.returncode == 128 + sig, err
    saved = len(cell_files(out))
    assert "Traceback" not in err, err
    assert err.splitlines()[-1] == (  # after the progress bar's lines
        f"{word}: {saved} of 3 cells are saved in {out / 'cells'} (cells that were running are not); "
        f"resume with: python {script} {' '.join(args)}"
    )


# -- 17. a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs (a real filesystem that fills up), mounted for the test; skipped where this
    process may not mount one (not root, or a container without the capability)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Fill ``disk`` up to ``leave`` free bytes (a tmpfs counts whole 4 KiB pages)."""
    (disk / "filler").unlink(missing_ok=True)
    stat = os.statvfs(disk)
    (disk / "filler").write_bytes(bytes(max(0, stat.f_bavail * stat.f_frsize - leave)))


def test_a_full_disk_is_one_line_with_the_resume_line_at_every_stage(small_disk, capsys):
    from baselines.__main__ import main

    out, cells = small_disk / "out", small_disk / "out" / "cells"

    def compare(config):
        args = ["compare", "--config", str(config), "--out", str(out), "--workers", "1", "--no-progress"]
        code = main(args)
        err = capsys.readouterr().err
        assert err.count("\n") == 1, err
        return (
            code,
            err.removesuffix("\n"),
            f"; once it can be written, resume with: python -m baselines {' '.join(args)}",
        )

    two = write_config(small_disk.parent / "two.yml", [book3x3(300, 2)])
    four = write_config(small_disk.parent / "four.yml", [book3x3(300, 4)])
    # Room for the cells (a few KiB each), not for the outputs (a curve is 40 KiB).
    fill(small_disk, 40 << 10)
    code, err, resume = compare(two)
    assert code == 2 and len(cell_files(out)) == 2
    assert re.fullmatch(
        rf"error: cannot write {re.escape(str(out))}/(results|summary|provenance|aggregate|scores|curves|gifs)\S*: No space left on device; "
        rf"2 of 2 cells are saved in {re.escape(str(cells))}{re.escape(resume)}",
        err,
    ), err
    # A rerun on a disk still full stops before training (the check writes a block).
    fill(small_disk, 0)
    code, err, resume = compare(four)
    assert code == 2 and len(cell_files(out)) == 2
    assert err == f"error: cannot write results to {out}: {cells}: No space left on device{resume}"
    # The disk fills up while cells train: those written are kept.
    fill(small_disk, 16 << 10)
    code, err, resume = compare(four)
    saved = len(cell_files(out))
    assert code == 2 and 2 <= saved < 4
    assert re.fullmatch(
        rf"error: cannot write {re.escape(str(cells))}/\S+__seed{saved}\.json: No space left on device; "
        rf"{saved} of 4 cells are saved in {re.escape(str(cells))}{re.escape(resume)}",
        err,
    ), err
    (small_disk / "filler").unlink()
    assert main(["compare", "--config", str(four), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert f"{4 - saved} cells run, {saved} reused" in capsys.readouterr().out
    # An experiment script says the same.
    fill(small_disk, 0)
    script = ROOT / "experiments" / "lq.py"
    done = subprocess.run(
        [sys.executable, str(script), "--out", str(small_disk / "lq")],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"error: cannot write results to {small_disk / 'lq'}: {small_disk / 'lq' / 'cells'}: No space left on device; "
        f"once it can be written, resume with: python {script} --out {small_disk / 'lq'}\n"
    )
